using ResNetRealtime.Training.Engine;

namespace ResNetRealtime.Training.Optim;

/// <summary>
/// torch.optim.Adam / AdamW (amsgrad off), per element, step t counted per parameter from 1:
///   Adam:  g = grad + wd·p                      AdamW: p = p·(1 − lr·wd), g = grad
///   m = β1·m + (1−β1)·g        v = β2·v + (1−β2)·g²
///   p = p − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
/// PyTorch computes the bias corrections in double precision and the rest in float32; so does this.
/// </summary>
public sealed class Adam : Optimizer
{
    public Adam(IReadOnlyList<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weightDecay = 0, bool decoupled = false)
        : base(parameters, lr, weightDecay)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"Adam beta1 must be in [0, 1) (got {beta1})");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"Adam beta2 must be in [0, 1) (got {beta2})");
        if (!(eps > 0)) throw new ArgumentException($"Adam eps must be > 0 (got {eps})");
        Beta1 = beta1; Beta2 = beta2; Eps = eps; Decoupled = decoupled;
    }

    public override string Kind => Decoupled ? "adamw" : "adam";
    public double Beta1 { get; set; }
    public double Beta2 { get; }
    public double Eps { get; }
    /// <summary>True = AdamW (decoupled weight decay).</summary>
    public bool Decoupled { get; }
    public override double Momentum { get => Beta1; set => Beta1 = value; }

    protected override void Update(Parameter p, Dictionary<string, float[]> state, float lr, float wd)
    {
        if (!state.TryGetValue("exp_avg", out var m))
        {
            state["exp_avg"] = m = new float[p.Data.Length];
            state["exp_avg_sq"] = new float[p.Data.Length];
            state["step"] = new float[1];
        }
        var v = state["exp_avg_sq"];
        var stepBuf = state["step"];
        stepBuf[0] += 1;           // per-parameter step, exact in float up to 2^24 steps
        double t = stepBuf[0];
        double bc1 = 1 - Math.Pow(Beta1, t);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, t));
        float stepSize = (float)(lr / bc1);
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Eps, bc2s = (float)bc2Sqrt;
        float oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2;
        var w = p.Data;
        var g = p.Grad;
        float decay = Decoupled ? 1 - lr * wd : 1;
        for (int i = 0; i < w.Length; i++)
        {
            float wi = w[i];
            float gi = g[i];
            if (Decoupled) wi *= decay;
            else gi += wd * wi;
            // PyTorch 1.13: exp_avg.mul_(β1).add_(grad, alpha=1-β1)
            float mi = b1 * m[i] + oneMinusB1 * gi;
            float vi = b2 * v[i] + oneMinusB2 * gi * gi;
            m[i] = mi; v[i] = vi;
            float denom = MathF.Sqrt(vi) / bc2s + eps;
            w[i] = wi - stepSize * (mi / denom);
        }
    }
}
