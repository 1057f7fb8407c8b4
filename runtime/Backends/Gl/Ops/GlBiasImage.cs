using ResNetRealtime.Runtime.Gl;
using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// BiasImage (shaders/bias_image.comp): y[n] = x[n] + K for a constant C×H×W image K, broadcast over the batch. It lowers
/// ONNX Sub(x, M) (K = −M) and Add(x, M) / Add(M, x) where M is an initializer of x's per-image shape ([1,C,H,W] or
/// [C,H,W]) — the in-graph mean image of pretrained:resnet18. Anything else stays unsupported.
/// </summary>
internal sealed class GlBiasImage : GlKernel
{
    public override string Name => "BiasImage";
    public override string Shader => "bias_image.comp";

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (!Matches(n, g.IsActivation, g.Consts, out int xi)) return false;
        int x = g.Act(n, xi);
        var input = g.Net.Tensors[x];
        var d = g.Consts[n.Inputs[1 - xi]].Dims;
        var (c, h, w) = d.Length == 4 ? (d[1], d[2], d[3]) : (d[0], d[1], d[2]);
        if (c != input.C || h != input.H || w != input.W)
            throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': constant {OnnxTensor.FormatDims(d)} does not match the activation {input} (broadcasting other than over the batch is not supported)");
        var k = g.Consts[n.Inputs[1 - xi]].ToFloatArray();
        if (n.OpType == "Sub") for (int i = 0; i < k.Length; i++) k[i] = -k[i];
        g.Net.Ops.Add(new GlOp { Kind = this, Name = n.Name, Inputs = [x], Weights = k, Bias = [], Output = g.Out(n, input.C, input.H, input.W) });
        return true;
    }

    /// <summary>True when <paramref name="n"/> is a Sub/Add of an activation and a constant image; <paramref name="x"/> is the activation's input slot.</summary>
    static bool Matches(OnnxNode n, Func<string, bool> isActivation, IReadOnlyDictionary<string, OnnxTensor> consts, out int x)
    {
        x = -1;
        if (n.OpType is not ("Sub" or "Add") || n.Inputs.Count != 2) return false;
        for (int i = 0; i < 2; i++)
            if (isActivation(n.Inputs[i]) && consts.TryGetValue(n.Inputs[1 - i], out var k) && IsImage(k.Dims) && (n.OpType == "Add" || i == 0)) { x = i; return true; }
        return false;
    }

    static bool IsImage(long[] d) => d.Length == 3 || (d.Length == 4 && d[0] == 1);

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (o.Size != a.Size || op.Weights.Length != a.Size) Fail(op, $"output {o} or constant of {op.Weights.Length} values differs from input {a}");
    }

    // The constant image, as is.
    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch) =>
        new(op, net.Tensors[op.Inputs[0]], net.Tensors[op.Output]) { Program = shaders.Get(Shader), Weights = GlObjects.Buffer<float>(gl, op.Weights) };

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) =>
        MemoryMarshal.Write(block, new BiasImageParams { Count = batch * l.Output.Size, Size = l.Output.Size, Relu = l.Op.Relu ? 1 : 0 });

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        r.Bind(1, l.Weights);
        var g = Grid(((long)r.Batch * l.Output.Size + 255) / 256);
        r.Gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
    }

    /// <summary>y = x + K per image, ReLU when set.</summary>
    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var x = t[op.Inputs[0]];
        int size = op.Weights.Length;
        for (int i = 0; i < y.Length; i++) { float v = x[i] + op.Weights[i % size]; y[i] = op.Relu ? MathF.Max(v, 0) : v; }
    }

    public override long Flops(GlNetwork net, GlOp op, int batch) => (long)batch * net.Tensors[op.Output].Size;
}

/// <summary>shaders/bias_image.comp's Params block.</summary>
[StructLayout(LayoutKind.Sequential)]
struct BiasImageParams
{
    public int Count, Size, Relu, Pad0;
}
