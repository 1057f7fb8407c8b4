using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Inference;

/// <summary>
/// Small models built in code with the project's ONNX writer (no files, no python):
/// a plain CNN input[N,C,H,W] → Conv3x3(C→F, pad 1, named "conv1") → Relu ("relu1") →
/// GlobalAveragePool ("pool") → Flatten → Gemm(F→classes) → "logits". Seeded weights.
/// </summary>
internal static class TestModels
{
    public sealed record Weights(float[] Conv, float[] ConvBias, float[] Fc, float[] FcBias, int C, int F, int Classes);

    public static OnnxModel PlainCnn(int channels = 3, int size = 16, int classes = 10, int filters = 4, int seed = 1,
                                     bool fixedBatch = false, int batch = 1, Weights w = null)
    {
        w ??= MakeWeights(channels, filters, classes, seed);
        var g = new OnnxGraph { Name = "plain_cnn" };
        OnnxDim n = fixedBatch ? new OnnxDim(batch) : new OnnxDim("N");
        g.Inputs.Add(new OnnxValueInfo("input", OnnxDataType.Float, n, channels, size, size));
        g.Outputs.Add(new OnnxValueInfo("logits", OnnxDataType.Float, fixedBatch ? new OnnxDim(batch) : new OnnxDim("N"), classes));
        g.Initializers.Add(OnnxTensor.FromFloats("conv1.weight", new[] { filters, channels, 3, 3 }, w.Conv));
        g.Initializers.Add(OnnxTensor.FromFloats("conv1.bias", new[] { filters }, w.ConvBias));
        g.Initializers.Add(OnnxTensor.FromFloats("fc.weight", new[] { classes, filters }, w.Fc));
        g.Initializers.Add(OnnxTensor.FromFloats("fc.bias", new[] { classes }, w.FcBias));
        g.Nodes.Add(new OnnxNode("Conv", "conv1", new[] { "input", "conv1.weight", "conv1.bias" }, new[] { "conv1" },
            OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("pads", 1, 1, 1, 1)));
        g.Nodes.Add(new OnnxNode("Relu", "relu1", new[] { "conv1" }, new[] { "relu1" }));
        g.Nodes.Add(new OnnxNode("GlobalAveragePool", "pool", new[] { "relu1" }, new[] { "pool" }));
        g.Nodes.Add(new OnnxNode("Flatten", "flatten", new[] { "pool" }, new[] { "flat" }, OnnxAttribute.Int("axis", 1)));
        g.Nodes.Add(new OnnxNode("Gemm", "fc", new[] { "flat", "fc.weight", "fc.bias" }, new[] { "logits" }, OnnxAttribute.Int("transB", 1)));
        var m = new OnnxModel { IrVersion = 8, ProducerName = "tests", Graph = g };
        m.OpsetImports.Add(new OnnxOpset("", 13));
        return m;
    }

    public static Weights MakeWeights(int c, int f, int classes, int seed)
    {
        var rng = new Random(seed);
        float R(double s) => (float)((rng.NextDouble() * 2 - 1) * s);
        return new Weights(
            Enumerable.Range(0, f * c * 9).Select(_ => R(0.5)).ToArray(),
            Enumerable.Range(0, f).Select(_ => R(0.1)).ToArray(),
            Enumerable.Range(0, classes * f).Select(_ => R(1.0)).ToArray(),
            Enumerable.Range(0, classes).Select(_ => R(0.1)).ToArray(), c, f, classes);
    }

    /// <summary>A BGRA frame with smooth content that changes with <paramref name="t"/>.</summary>
    public static byte[] Frame(int w, int h, int t, int stride = 0)
    {
        stride = stride == 0 ? w * 4 : stride;
        var px = new byte[h * stride];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int o = y * stride + x * 4;
                px[o] = (byte)(x * 255 / Math.Max(1, w - 1) + t * 7);
                px[o + 1] = (byte)(y * 255 / Math.Max(1, h - 1) + t * 13);
                px[o + 2] = (byte)((x ^ y) + t * 29);
                px[o + 3] = 255;
            }
        return px;
    }
}
