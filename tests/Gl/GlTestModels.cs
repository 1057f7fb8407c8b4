using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// ResNet ONNX graphs built in code, laid out as torchvision exports them (un-fused BatchNormalization
/// with non-trivial statistics, the downsample branch emitted after the main branch, GlobalAveragePool →
/// Flatten → Gemm), so the GL builder's BN folding and Add/ReLU fusion are exercised on the real pattern.
/// Weights: seeded, He-scaled so activations stay O(1) through 50 layers.
/// </summary>
static class GlTestModels
{
    public static OnnxModel ResNet(int[] layers, bool bottleneck, int size, int classes = 10, bool cifar = false,
                                   int groups = 1, int widthPerGroup = 64, int widthMult = 1, int inChannels = 3, int seed = 1, int stem = 64)
    {
        var rng = new Random(seed);
        var g = new OnnxGraph { Name = "resnet" };
        g.Inputs.Add(new OnnxValueInfo("input", OnnxDataType.Float, new OnnxDim("N"), inChannels, size, size));
        g.Outputs.Add(new OnnxValueInfo("logits", OnnxDataType.Float, new OnnxDim("N"), classes));
        int counter = 0;
        float R() => (float)(rng.NextDouble() * 2 - 1);

        string Conv(string x, int cin, int cout, int k, int s, int p, int grp, string name)
        {
            int fan = cin / grp * k * k;
            float scale = MathF.Sqrt(3f * 2f / fan); // uniform with He variance
            var w = new float[cout * (cin / grp) * k * k];
            for (int i = 0; i < w.Length; i++) w[i] = R() * scale;
            g.Initializers.Add(OnnxTensor.FromFloats(name + ".weight", new[] { cout, cin / grp, k, k }, w));
            g.Nodes.Add(new OnnxNode("Conv", name, new[] { x, name + ".weight" }, new[] { name },
                OnnxAttribute.IntList("kernel_shape", k, k), OnnxAttribute.IntList("strides", s, s),
                OnnxAttribute.IntList("pads", p, p, p, p), OnnxAttribute.IntList("dilations", 1, 1), OnnxAttribute.Int("group", grp)));
            return name;
        }
        string Bn(string x, int c, string name)
        {
            float[] F(Func<float> f) => Enumerable.Range(0, c).Select(_ => f()).ToArray();
            g.Initializers.Add(OnnxTensor.FromFloats(name + ".weight", new[] { c }, F(() => 1 + 0.2f * R())));
            g.Initializers.Add(OnnxTensor.FromFloats(name + ".bias", new[] { c }, F(() => 0.1f * R())));
            g.Initializers.Add(OnnxTensor.FromFloats(name + ".running_mean", new[] { c }, F(() => 0.1f * R())));
            g.Initializers.Add(OnnxTensor.FromFloats(name + ".running_var", new[] { c }, F(() => 1 + 0.3f * R())));
            g.Nodes.Add(new OnnxNode("BatchNormalization", name, new[] { x, name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var" },
                new[] { name + ".out" }, OnnxAttribute.Float("epsilon", 1e-5f), OnnxAttribute.Float("momentum", 0.9f)));
            return name + ".out";
        }
        string Relu(string x) { string o = "relu" + counter++; g.Nodes.Add(new OnnxNode("Relu", o, new[] { x }, new[] { o })); return o; }

        string h;
        int ch;
        if (cifar)
        {
            h = Relu(Bn(Conv("input", inChannels, stem, 3, 1, 1, 1, "conv1"), stem, "bn1"));
            ch = stem;
        }
        else
        {
            h = Relu(Bn(Conv("input", inChannels, stem, 7, 2, 3, 1, "conv1"), stem, "bn1"));
            g.Nodes.Add(new OnnxNode("MaxPool", "maxpool", new[] { h }, new[] { "maxpool" },
                OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("strides", 2, 2), OnnxAttribute.IntList("pads", 1, 1, 1, 1)));
            h = "maxpool";
            ch = stem;
        }
        int expansion = bottleneck ? 4 : 1;
        for (int st = 0; st < layers.Length; st++)
        {
            int planes = stem << st;
            for (int b = 0; b < layers[st]; b++)
            {
                string p = $"layer{st + 1}.{b}";
                int stride = b == 0 && st > 0 ? 2 : 1;
                int outCh = planes * expansion;
                string y;
                if (bottleneck)
                {
                    int width = planes * widthPerGroup / 64 * groups * widthMult;
                    y = Relu(Bn(Conv(h, ch, width, 1, 1, 0, 1, p + ".conv1"), width, p + ".bn1"));
                    y = Relu(Bn(Conv(y, width, width, 3, stride, 1, groups, p + ".conv2"), width, p + ".bn2"));
                    y = Bn(Conv(y, width, outCh, 1, 1, 0, 1, p + ".conv3"), outCh, p + ".bn3");
                }
                else
                {
                    y = Relu(Bn(Conv(h, ch, outCh, 3, stride, 1, 1, p + ".conv1"), outCh, p + ".bn1"));
                    y = Bn(Conv(y, outCh, outCh, 3, 1, 1, 1, p + ".conv2"), outCh, p + ".bn2");
                }
                string id = h;
                if (stride != 1 || ch != outCh) id = Bn(Conv(h, ch, outCh, 1, stride, 0, 1, p + ".downsample.0"), outCh, p + ".downsample.1");
                g.Nodes.Add(new OnnxNode("Add", p + ".add", new[] { y, id }, new[] { p + ".add" }));
                h = Relu(p + ".add");
                ch = outCh;
            }
        }
        return Head(g, h, ch, classes, R, "avgpool", "flatten", "fc", ".");
    }

    /// <summary>GlobalAveragePool → Flatten → Gemm(transB) to "logits", as torchvision and gluoncv export the classifier;
    /// weights named <paramref name="fc"/> + sep + "weight"/"bias". Returns the finished opset-13 model.</summary>
    internal static OnnxModel Head(OnnxGraph g, string features, int ch, int classes, Func<float> r, string gap, string flatten, string fc, string sep)
    {
        g.Nodes.Add(new OnnxNode("GlobalAveragePool", gap, new[] { features }, new[] { gap }));
        g.Nodes.Add(new OnnxNode("Flatten", flatten, new[] { gap }, new[] { flatten }, OnnxAttribute.Int("axis", 1)));
        var fw = new float[classes * ch];
        float fs = MathF.Sqrt(3f / ch);
        for (int i = 0; i < fw.Length; i++) fw[i] = r() * fs;
        g.Initializers.Add(OnnxTensor.FromFloats(fc + sep + "weight", new[] { classes, ch }, fw));
        g.Initializers.Add(OnnxTensor.FromFloats(fc + sep + "bias", new[] { classes }, Enumerable.Range(0, classes).Select(_ => 0.1f * r()).ToArray()));
        g.Nodes.Add(new OnnxNode("Gemm", fc, new[] { flatten, fc + sep + "weight", fc + sep + "bias" }, new[] { "logits" },
            OnnxAttribute.Float("alpha", 1f), OnnxAttribute.Float("beta", 1f), OnnxAttribute.Int("transB", 1)));
        var m = new OnnxModel { IrVersion = 8, ProducerName = "gl-tests", Graph = g };
        m.OpsetImports.Add(new OnnxOpset("", 13));
        return m;
    }
}
