using System.Numerics;
using ResNetRealtime.Training.Engine;

namespace ResNetRealtime.Training.Optim;

/// <summary>
/// torch.optim.SGD (dampening 0), per element, in this order:
///   g = grad + wd·p
///   buf = g                       on the first step (PyTorch clones, no momentum applied)
///   buf = momentum·buf + g        afterwards
///   d = g + momentum·buf          with Nesterov, else d = buf
///   p = p − lr·d
/// With momentum 0 there is no buffer and d = g.
/// </summary>
public sealed class Sgd : Optimizer
{
    public Sgd(IReadOnlyList<Parameter> parameters, double lr, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : base(parameters, lr, weightDecay)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"SGD momentum must be in [0, 1) (got {momentum})");
        if (nesterov && momentum == 0) throw new ArgumentException("SGD Nesterov needs a momentum > 0");
        Momentum = momentum;
        Nesterov = nesterov;
    }

    public override string Kind => "sgd";
    public override double Momentum { get; set; }
    public bool Nesterov { get; }

    protected override void Update(Parameter p, Dictionary<string, float[]> state, float lr, float wd)
    {
        var w = p.Data.AsSpan();
        var g = p.Grad.AsSpan();
        float m = (float)Momentum;
        if (m == 0)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= lr * (g[i] + wd * w[i]);
            return;
        }
        if (!state.TryGetValue("momentum_buffer", out var buf))
        {
            // First step: PyTorch sets buf = clone(d_p) (weight decay included), no momentum term.
            buf = new float[w.Length];
            state["momentum_buffer"] = buf;
            for (int i = 0; i < w.Length; i++)
            {
                float d = g[i] + wd * w[i];
                buf[i] = d;
                w[i] -= lr * (Nesterov ? d + m * d : d);
            }
            return;
        }
        int k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Same operations, lane by lane, so the results equal the scalar loop bit for bit
            // (no fused multiply-add: PyTorch's CPU kernels do not fuse these either).
            var vlr = new Vector<float>(lr); var vwd = new Vector<float>(wd); var vm = new Vector<float>(m);
            var bs = buf.AsSpan();
            for (; k <= w.Length - Vector<float>.Count; k += Vector<float>.Count)
            {
                var vw = new Vector<float>(w[k..]);
                var d = new Vector<float>(g[k..]) + vwd * vw;
                var b = vm * new Vector<float>(bs[k..]) + d;
                b.CopyTo(bs[k..]);
                var step = Nesterov ? d + vm * b : b;
                (vw - vlr * step).CopyTo(w[k..]);
            }
        }
        for (; k < w.Length; k++)
        {
            float d = g[k] + wd * w[k];
            float b = m * buf[k] + d;
            buf[k] = b;
            w[k] -= lr * (Nesterov ? d + m * b : b);
        }
    }
}
