using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// The BiasImage layer (shaders/bias_image.comp): y[n] = x[n] + K for a constant C×H×W image K, broadcast over the
/// batch. It lowers ONNX Sub(x, M) (K = −M) and Add(x, M) / Add(M, x) where M is an initializer of x's per-image shape
/// ([1,C,H,W] or [C,H,W]) — the in-graph mean image of pretrained:resnet18. Anything else stays unsupported.
/// </summary>
static class GlBiasImage
{
    /// <summary>True when <paramref name="n"/> is a Sub/Add of an activation and a constant image; <paramref name="x"/> is the activation's input slot.</summary>
    public static bool Matches(OnnxNode n, Func<string, bool> isActivation, IReadOnlyDictionary<string, OnnxTensor> consts, out int x)
    {
        x = -1;
        if (n.OpType is not ("Sub" or "Add") || n.Inputs.Count != 2) return false;
        for (int i = 0; i < 2; i++)
            if (isActivation(n.Inputs[i]) && consts.TryGetValue(n.Inputs[1 - i], out var k) && IsImage(k.Dims) && (n.OpType == "Add" || i == 0)) { x = i; return true; }
        return false;
    }

    static bool IsImage(long[] d) => d.Length == 3 || (d.Length == 4 && d[0] == 1);

    /// <summary>The layer for a node that <see cref="Matches"/>; the constant's shape must equal the activation's C×H×W.</summary>
    public static GlOp Lower(OnnxNode n, int x, GlTensor input, OnnxTensor constant)
    {
        var d = constant.Dims;
        var (c, h, w) = d.Length == 4 ? (d[1], d[2], d[3]) : (d[0], d[1], d[2]);
        if (c != input.C || h != input.H || w != input.W)
            throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': constant {OnnxTensor.FormatDims(d)} does not match the activation {input} (broadcasting other than over the batch is not supported)");
        var k = constant.ToFloatArray();
        if (n.OpType == "Sub") for (int i = 0; i < k.Length; i++) k[i] = -k[i];
        return new GlOp { Kind = GlOpKind.BiasImage, Name = n.Name, Inputs = [x], Weights = k, Bias = [] };
    }

    /// <summary>CPU reference (GlReference): y = x + K per image, ReLU when fused.</summary>
    public static void Reference(float[] x, GlOp op, float[] y)
    {
        int size = op.Weights.Length;
        for (int i = 0; i < y.Length; i++) { float v = x[i] + op.Weights[i % size]; y[i] = op.Relu ? MathF.Max(v, 0) : v; }
    }
}

/// <summary>shaders/bias_image.comp.</summary>
[StructLayout(LayoutKind.Sequential)]
struct BiasImageParams
{
    public int Count, Size, Relu, Pad0;

    public static BiasImageParams For(GlOp op, GlTensor o, int batch) => new() { Count = batch * o.Size, Size = o.Size, Relu = op.Relu ? 1 : 0 };
}
