using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// Pre-activation ("v2") ResNet graphs laid out as the ONNX model zoo's resnet*-v2 files (exported from gluoncv's
/// ResNetV2, after He et al., "Identity Mappings in Deep Residual Networks"):
/// <list type="bullet">
/// <item>a BatchNormalization on the image itself (gluoncv's BatchNorm(scale=False, center=False): γ = 1, β = 0);</item>
/// <item>stem: Conv 7×7/2 (no bias) → BN → ReLU → MaxPool 3×3/2;</item>
/// <item>BasicBlockV2: x → BN → ReLU = a; the shortcut is x, or a 1×1/stride Conv (no BN) of <b>a</b> when the shape
/// changes; a → Conv 3×3/stride → BN → ReLU → Conv 3×3 → Add(shortcut) — no ReLU after the Add;</item>
/// <item>after the last stage BN → ReLU → GlobalAveragePool → Flatten → Gemm.</item>
/// </list>
/// So most BNs are standalone (their input is also the residual, or the graph input) and cannot be folded into a conv.
/// Weights: seeded, He-scaled; BN statistics non-trivial so that a wrong scale/shift shows.
/// </summary>
static class GlV2Models
{
    public static OnnxModel ResNet18V2(int size = 64, int classes = 10, int seed = 5, int width = 64) =>
        ResNetV2(new[] { 2, 2, 2, 2 }, size, classes, seed, width);

    public static OnnxModel ResNetV2(int[] layers, int size, int classes, int seed, int width)
    {
        var rng = new Random(seed);
        var g = new OnnxGraph { Name = "resnetv2" };
        g.Inputs.Add(new OnnxValueInfo("data", OnnxDataType.Float, new OnnxDim("N"), 3, size, size));
        g.Outputs.Add(new OnnxValueInfo("logits", OnnxDataType.Float, new OnnxDim("N"), classes));
        float R() => (float)(rng.NextDouble() * 2 - 1);
        int relus = 0;

        string Conv(string x, int cin, int cout, int k, int s, int p, string name)
        {
            float scale = MathF.Sqrt(6f / (cin * k * k));
            var w = new float[cout * cin * k * k];
            for (int i = 0; i < w.Length; i++) w[i] = R() * scale;
            g.Initializers.Add(OnnxTensor.FromFloats(name + "_weight", new[] { cout, cin, k, k }, w));
            g.Nodes.Add(new OnnxNode("Conv", name, new[] { x, name + "_weight" }, new[] { name + "_fwd" },
                OnnxAttribute.IntList("kernel_shape", k, k), OnnxAttribute.IntList("strides", s, s),
                OnnxAttribute.IntList("pads", p, p, p, p), OnnxAttribute.Int("group", 1)));
            return name + "_fwd";
        }
        string Bn(string x, int c, string name, bool affine = true)
        {
            float[] F(Func<float> f) => Enumerable.Range(0, c).Select(_ => f()).ToArray();
            g.Initializers.Add(OnnxTensor.FromFloats(name + "_gamma", new[] { c }, affine ? F(() => 1 + 0.2f * R()) : F(() => 1f)));
            g.Initializers.Add(OnnxTensor.FromFloats(name + "_beta", new[] { c }, affine ? F(() => 0.1f * R()) : F(() => 0f)));
            g.Initializers.Add(OnnxTensor.FromFloats(name + "_running_mean", new[] { c }, F(() => 0.1f * R())));
            g.Initializers.Add(OnnxTensor.FromFloats(name + "_running_var", new[] { c }, F(() => 1 + 0.3f * R())));
            g.Nodes.Add(new OnnxNode("BatchNormalization", name, new[] { x, name + "_gamma", name + "_beta", name + "_running_mean", name + "_running_var" },
                new[] { name + "_fwd" }, OnnxAttribute.Float("epsilon", 1e-5f), OnnxAttribute.Float("momentum", 0.9f)));
            return name + "_fwd";
        }
        string Relu(string x) { string o = $"relu{relus++}_fwd"; g.Nodes.Add(new OnnxNode("Relu", o, new[] { x }, new[] { o })); return o; }

        string h = Bn("data", 3, "resnetv20_batchnorm0", affine: false);
        h = Relu(Bn(Conv(h, 3, width, 7, 2, 3, "resnetv20_conv0"), width, "resnetv20_batchnorm1"));
        g.Nodes.Add(new OnnxNode("MaxPool", "resnetv20_pool0", new[] { h }, new[] { "resnetv20_pool0_fwd" },
            OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("strides", 2, 2), OnnxAttribute.IntList("pads", 1, 1, 1, 1)));
        h = "resnetv20_pool0_fwd";
        int ch = width;
        for (int st = 0; st < layers.Length; st++)
        {
            int planes = width << st;
            for (int b = 0; b < layers[st]; b++)
            {
                string p = $"resnetv20_stage{st + 1}_block{b}";
                int stride = b == 0 && st > 0 ? 2 : 1;
                string a = Relu(Bn(h, ch, p + "_batchnorm0"));
                string shortcut = stride != 1 || ch != planes ? Conv(a, ch, planes, 1, stride, 0, p + "_conv2") : h;
                string y = Relu(Bn(Conv(a, ch, planes, 3, stride, 1, p + "_conv0"), planes, p + "_batchnorm1"));
                y = Conv(y, planes, planes, 3, 1, 1, p + "_conv1");
                g.Nodes.Add(new OnnxNode("Add", p + "_plus", new[] { y, shortcut }, new[] { p + "_plus_fwd" }));
                h = p + "_plus_fwd";
                ch = planes;
            }
        }
        h = Relu(Bn(h, ch, "resnetv20_batchnorm2"));
        return GlTestModels.Head(g, h, ch, classes, R, "resnetv20_pool1_fwd", "flatten0_fwd", "resnetv20_dense0", "_");
    }
}
