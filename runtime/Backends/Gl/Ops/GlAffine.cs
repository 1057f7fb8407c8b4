using ResNetRealtime.Runtime.Gl;
using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Affine (shaders/affine.comp): y[n,c,i] = x[n,c,i]·scale[c] + shift[c] (ReLU) — a BatchNormalization that could not be
/// folded. Lowering BatchNormalization folds it into the conv before it when that conv is its only producer and nothing
/// else reads the conv's output (the usual case); otherwise (pre-activation v2 ResNets: BN → ReLU on a block input that
/// is also the residual, or on the image) it becomes this layer, with Weights = scale and Bias = shift.
/// </summary>
internal sealed class GlAffine : GlKernel
{
    public override string Name => "Affine";
    public override string Shader => "affine.comp";
    public override bool FusesRelu => true;

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType != "BatchNormalization") return false;
        var net = g.Net;
        int x = g.Act(n, 0);
        var conv = net.Ops.LastOrDefault(o => o.Output == x);
        var scale = g.Const(n, 1, "scale"); var bias = g.Const(n, 2, "B"); var mean = g.Const(n, 3, "mean"); var var_ = g.Const(n, 4, "var");
        float eps = n.GetFloat("epsilon", 1e-5f);
        int cout = net.Tensors[x].C;
        foreach (var (what, v) in new[] { ("scale", scale), ("B", bias), ("mean", mean), ("var", var_) })
            if (v == null || v.Length != cout) throw new NotSupportedException($"gl backend: {GlLowering.Where(n)}: {what} has {v?.Length ?? 0} values, expected one per channel ({cout})");
        if (conv == null || conv.Kind != GlOpKind.Conv || conv.Relu || conv.Residual >= 0 || g.Consumers(n.Inputs[0]) != 1 || g.Keep.Contains(n.Inputs[0])
            || g.Graph.Outputs.Any(o => o.Name == n.Inputs[0]))
        {
            // y = x·s + (beta − mean·s)
            var sc = new float[cout]; var sh = new float[cout];
            for (int c = 0; c < cout; c++)
            {
                double s = scale[c] / Math.Sqrt(var_[c] + (double)eps);
                sc[c] = (float)s; sh[c] = (float)(bias[c] - mean[c] * s);
            }
            var xt = net.Tensors[x];
            net.Ops.Add(new GlOp { Kind = this, Name = n.Name, Inputs = new[] { x }, Output = g.Out(n, xt.C, xt.H, xt.W), Weights = sc, Bias = sh });
            return true;
        }
        int per = conv.Weights.Length / cout;
        // y = (conv(x) + b - mean) * s + beta with s = gamma / sqrt(var + eps): scale each output row of W.
        for (int c = 0; c < cout; c++)
        {
            double s = scale[c] / Math.Sqrt(var_[c] + (double)eps);
            for (int i = 0; i < per; i++) conv.Weights[c * per + i] = (float)(conv.Weights[c * per + i] * s);
            conv.Bias[c] = (float)((conv.Bias[c] - mean[c]) * s + bias[c]);
        }
        // The BN output replaces the conv output (the pre-BN value is not computed any more).
        conv.Fused.Add(n.Name);
        g.Rename(x, n.Inputs[0], n.Outputs[0]);
        return true;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (o.Size != a.Size || o.C != a.C) Fail(op, $"output {o} differs from input {a}");
        if (op.Weights.Length != a.C || op.Bias.Length != a.C) Fail(op, $"scale/shift have {op.Weights.Length}/{op.Bias.Length} values, expected {a.C}");
    }

    // Per-channel scale and shift: no rows to pad.
    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch) =>
        new(op, net.Tensors[op.Inputs[0]], net.Tensors[op.Output])
        {
            Program = shaders.Get(Shader), Weights = GlObjects.Buffer<float>(gl, op.Weights), Bias = GlObjects.Buffer<float>(gl, op.Bias),
        };

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) =>
        MemoryMarshal.Write(block, new AffineParams { Count = batch * l.Output.Size, Channels = l.Output.C, Hw = l.Output.H * l.Output.W, Relu = l.Op.Relu ? 1 : 0 });

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        r.Bind(1, l.Weights); r.Bind(2, l.Bias);
        var g = Grid(((long)r.Batch * l.Output.Size + 255) / 256);
        r.Gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var a = net.Tensors[op.Inputs[0]];
        var x = t[op.Inputs[0]];
        int c = a.C, hw = a.H * a.W;
        for (int b = 0; b < batch; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < hw; i++)
                {
                    int idx = (b * c + ch) * hw + i;
                    float v = MathF.FusedMultiplyAdd(x[idx], op.Weights[ch], op.Bias[ch]);
                    y[idx] = op.Relu ? MathF.Max(v, 0) : v;
                }
    }

    public override long Flops(GlNetwork net, GlOp op, int batch) => 2L * batch * net.Tensors[op.Output].Size;
}

/// <summary>shaders/affine.comp's Params block: per-channel scale and shift over the whole batch.</summary>
[StructLayout(LayoutKind.Sequential)]
struct AffineParams
{
    public int Count, Channels, Hw, Relu;
}
