using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Pretrained;

/// <summary>The gl BiasImage layer (Sub/Add of a constant image, broadcast over the batch) against ONNX Runtime, odd shapes.</summary>
public class GlBiasImageTests
{
    /// <summary>input [N,3,H,W] → op(input, K [1,3,H,W]) → Conv 3×3 (3→5) → Relu → GAP → Flatten → Gemm(5→4).</summary>
    static OnnxModel Model(string op, bool constantFirst, int h, int w, long[] kDims = null)
    {
        var rng = new Random(7);
        float[] R(int n, double s) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * s)).ToArray();
        kDims ??= [1, 3, h, w];
        var g = new OnnxGraph { Name = "bias_image" };
        g.Inputs.Add(new OnnxValueInfo("input", OnnxDataType.Float, "N", 3, h, w));
        g.Outputs.Add(new OnnxValueInfo("logits", OnnxDataType.Float, "N", 4));
        // Large constants: a layer that ignored K (or broadcast it wrongly over the batch) is far off.
        g.Initializers.Add(OnnxTensor.FromFloats("k", kDims, R((int)kDims.Aggregate(1L, (a, b) => a * b), 50)));
        g.Initializers.Add(OnnxTensor.FromFloats("conv.weight", new[] { 5, 3, 3, 3 }, R(135, 0.3)));
        g.Initializers.Add(OnnxTensor.FromFloats("fc.weight", new[] { 4, 5 }, R(20, 0.5)));
        g.Nodes.Add(new OnnxNode(op, "bias", constantFirst ? ["k", "input"] : ["input", "k"], ["centred"]));
        g.Nodes.Add(new OnnxNode("Conv", "conv", ["centred", "conv.weight"], ["conv"], OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("pads", 1, 1, 1, 1)));
        g.Nodes.Add(new OnnxNode("Relu", "relu", ["conv"], ["relu"]));
        g.Nodes.Add(new OnnxNode("GlobalAveragePool", "pool", ["relu"], ["pool"]));
        g.Nodes.Add(new OnnxNode("Flatten", "flatten", ["pool"], ["flat"], OnnxAttribute.Int("axis", 1)));
        g.Nodes.Add(new OnnxNode("Gemm", "fc", ["flat", "fc.weight"], ["logits"], OnnxAttribute.Int("transB", 1)));
        var m = new OnnxModel { IrVersion = 8, ProducerName = "tests", Graph = g };
        m.OpsetImports.Add(new OnnxOpset("", 13));
        return m;
    }

    [TestCase("Sub", false, 7, 5)]
    [TestCase("Add", false, 13, 11)]
    [TestCase("Add", true, 1, 9)]
    public void Matches_onnx_runtime_for_a_batch_of_three(string op, bool constantFirst, int h, int w)
    {
        var model = Model(op, constantFirst, h, w);
        var rng = new Random(3);
        var x = Enumerable.Range(0, 3 * 3 * h * w).Select(_ => (float)(rng.NextDouble() * 255)).ToArray();
        var want = new float[12];
        using (var ort = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 3, Threads = 1 })) ort.Run(x, 3, want);
        Gl.GlTestContext.Get();
        using var gl = BackendFactory.Create(Backend.Gl, model, new BackendOptions { MaxBatch = 3 });
        var got = new float[12];
        gl.Run(x, 3, got);
        // Inputs ~255 and constants ~50 through a 27-term conv: 1e-5 of the largest logit covers float32 summation order.
        double scale = want.Max(Math.Abs);
        Assert.That(scale, Is.GreaterThan(1));
        Assert.That(got, Is.EqualTo(want).Within(1e-5 * scale), $"{op} {h}x{w}");
        // The CPU reference of the lowered network agrees too.
        var net = GlNetworkBuilder.Build(model);
        Assert.That(net.Ops[0].Kind, Is.EqualTo(GlOpKind.BiasImage));
        Assert.That(GlReference.Run(net, x, 3)[net.Output], Is.EqualTo(want).Within(1e-5 * scale));
    }

    [Test]
    public void A_constant_of_another_shape_is_refused_with_both_shapes()
    {
        var e = Assert.Throws<NotSupportedException>(() => GlNetworkBuilder.Build(Model("Sub", false, 7, 5, kDims: [1, 3, 7, 4])));
        Assert.That(e.Message, Does.Contain("[1,3,7,4]").And.Contain("3x7x5"));
    }
}
