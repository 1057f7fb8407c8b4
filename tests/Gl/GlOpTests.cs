using NUnit.Framework;
using ResNetRealtime.Runtime.Backends.Gl;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// Every shader op against the naive CPU reference (GlReference, double accumulation) on awkward shapes:
/// odd sizes, channel counts 3/7/13 (not multiples of 4 or 16), more channels than one 64-wide tile,
/// stride 2, padding, groups, dilation, 1x1 and the 7x7 stem, batch > 1.
/// Tolerance: 1e-5 of the output's max |value|. The GPU sums in float32 (fma, tile order) while the
/// reference sums in double; for K ≤ ~700 terms of O(1) values the float32 rounding error is ~K·6e-8·|x|,
/// far below 1e-5, while any indexing bug moves values by O(|x|).
/// </summary>
[TestFixture, Category("Gl")]
public class GlOpTests
{
    internal static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    internal static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relTol, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), what + ": length");
        double maxAbs = 0, worst = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++) maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(actual[i])) d = double.PositiveInfinity;
            if (d > worst) { worst = d; at = i; }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(relTol * Math.Max(maxAbs, 1e-30)),
            $"{what}: worst |diff| {worst:G4} at {at} (gl {(at >= 0 ? actual[at] : 0)}, ref {(at >= 0 ? expected[at] : 0)}), max |ref| {maxAbs:G4}, tolerance {relTol:G2} relative");
    }

    /// <summary>Runs a one-layer network on the GL backend (output = that layer) and on the reference.</summary>
    static (float[] Gl, float[] Ref) RunOne(GlNetwork net, int batch, int seed)
    {
        var inT = net.Tensors[net.Input];
        var x = Random(batch * inT.Size, seed);
        var expect = GlReference.Run(net, x, batch)[net.Output];
        using var be = new GlBackend(net, new GlBackendOptions { Context = GlTestContext.Get(), MaxBatch = batch, CheckErrors = true, Cam = false });
        var y = new float[batch * be.Classes];
        be.Run(x, batch, y);
        return (y, expect);
    }

    static GlNetwork ConvNet(int cin, int h, int w, int cout, int k, int stride, int pad, int groups = 1, int dil = 1, bool relu = false, bool residual = false, int seed = 1)
    {
        var net = new GlNetwork();
        net.Input = net.AddTensor("x", cin, h, w);
        var proto = new GlOp { KH = k, KW = k, StrideH = stride, StrideW = stride, PadTop = pad, PadLeft = pad, DilationH = dil, DilationW = dil };
        var (oh, ow) = GlNetwork.ConvOutput(h, w, proto, pad, pad);
        int res = -1;
        if (residual)
        {
            // residual comes from a 1x1 conv of the input so it is a real GPU tensor, shaped like the output
            int r0 = net.AddTensor("r", cout, oh, ow);
            net.Ops.Add(new GlOp { Kind = GlOpKind.Conv, Name = "res", Inputs = new[] { net.Input }, Output = r0, StrideH = stride, StrideW = stride,
                Weights = Random(cout * cin, seed + 7), Bias = Random(cout, seed + 8) });
            // a stride-s 1x1 conv gives ceil(h/s) rows; only matches when the conv keeps the same grid
            Assume.That((net.Tensors[r0].H, net.Tensors[r0].W), Is.EqualTo(((h - 1) / stride + 1, (w - 1) / stride + 1)));
            res = r0;
        }
        int o = net.AddTensor("y", cout, oh, ow);
        net.Ops.Add(new GlOp
        {
            Kind = GlOpKind.Conv, Name = "conv", Inputs = new[] { net.Input }, Output = o, KH = k, KW = k, StrideH = stride, StrideW = stride,
            PadTop = pad, PadLeft = pad, DilationH = dil, DilationW = dil, Groups = groups, Relu = relu, Residual = res,
            Weights = Random(cout * (cin / groups) * k * k, seed, 0.5f), Bias = Random(cout, seed + 1),
        });
        net.Output = o;
        return net;
    }

    [TestCase(3, 13, 11, 7, 3, 2, 1, 1, 2, TestName = "Conv 3x3 s2 p1, 3->7 ch, 13x11, batch 2")]
    [TestCase(13, 9, 9, 70, 3, 1, 1, 1, 1, TestName = "Conv 3x3 s1 p1, 13->70 ch (two channel tiles), 9x9")]
    [TestCase(7, 15, 13, 13, 1, 1, 0, 1, 3, TestName = "Conv 1x1 s1, 7->13 ch, 15x13, batch 3")]
    [TestCase(13, 15, 15, 7, 1, 2, 0, 1, 1, TestName = "Conv 1x1 s2 (downsample), 13->7 ch, 15x15")]
    [TestCase(3, 29, 23, 16, 7, 2, 3, 1, 1, TestName = "Conv 7x7 s2 p3 stem, 3->16 ch, 29x23")]
    [TestCase(12, 11, 11, 8, 3, 1, 1, 4, 1, TestName = "Conv grouped (4 groups), 12->8 ch, 11x11")]
    [TestCase(32, 7, 7, 32, 3, 2, 1, 32, 2, TestName = "Conv depthwise (32 groups) s2, 7x7, batch 2")]
    [TestCase(5, 6, 5, 3, 2, 1, 0, 1, 1, TestName = "Conv 2x2 even kernel no pad, 5->3 ch, 6x5")]
    [TestCase(1, 1, 1, 1, 1, 1, 0, 1, 1, TestName = "Conv 1x1x1 smallest")]
    [TestCase(64, 5, 5, 70, 3, 1, 1, 1, 1, TestName = "Conv split-K (K=576 in 2 chunks), 16-pixel tiles, 64->70 ch, 5x5")]
    [TestCase(520, 3, 3, 13, 1, 1, 0, 1, 2, TestName = "Conv 1x1 split-K (K=520, uneven last chunk), 520->13 ch, 3x3, batch 2")]
    [TestCase(31, 23, 25, 9, 3, 1, 1, 1, 1, TestName = "Conv 64-pixel tiles (P=575), 31->9 ch, 23x25")]
    public void Conv(int cin, int h, int w, int cout, int k, int stride, int pad, int groups, int batch)
    {
        var (gl, reference) = RunOne(ConvNet(cin, h, w, cout, k, stride, pad, groups), batch, 11);
        AssertClose(gl, reference, 1e-5, "conv");
    }

    [Test]
    public void ConvDilated()
    {
        var (gl, reference) = RunOne(ConvNet(7, 13, 12, 9, 3, 1, 2, dil: 2), 1, 12);
        AssertClose(gl, reference, 1e-5, "dilated conv");
    }

    [TestCase(1, TestName = "Conv epilogue: bias + residual + ReLU, stride 1")]
    [TestCase(3, TestName = "Conv epilogue after split-K reduce: bias + residual + ReLU")]
    [TestCase(2, TestName = "Conv epilogue: bias + residual + ReLU, stride 2")]
    public void ConvResidualRelu(int stride)
    {
        // stride 3 stands for "the split-K case": 64 channels, 3x3 → K = 576, run at stride 1
        var net = stride == 3 ? ConvNet(64, 6, 7, 21, 3, 1, 1, relu: true, residual: true) : ConvNet(13, 11, 11, 21, 3, stride, 1, relu: true, residual: true);
        var (gl, reference) = RunOne(net, 2, 13);
        Assert.That(reference.Count(v => v == 0), Is.GreaterThan(0), "ReLU must clip something for this test to mean anything");
        AssertClose(gl, reference, 1e-5, "conv+residual+relu");
    }

    [TestCase(13, 13, 3, 2, 1, TestName = "MaxPool 3x3 s2 p1 on 13x13")]
    [TestCase(12, 9, 2, 2, 0, TestName = "MaxPool 2x2 s2 on 12x9")]
    [TestCase(1, 1, 3, 2, 1, TestName = "MaxPool 3x3 s2 p1 on 1x1")]
    public void MaxPool(int h, int w, int k, int s, int p)
    {
        var net = new GlNetwork();
        net.Input = net.AddTensor("x", 7, h, w);
        var op = new GlOp { KH = k, KW = k, StrideH = s, StrideW = s, PadTop = p, PadLeft = p };
        var (oh, ow) = GlNetwork.ConvOutput(h, w, op, p, p);
        net.Output = net.AddTensor("y", 7, oh, ow);
        net.Ops.Add(new GlOp { Kind = GlOpKind.MaxPool, Name = "pool", Inputs = new[] { net.Input }, Output = net.Output, KH = k, KW = k, StrideH = s, StrideW = s, PadTop = p, PadLeft = p });
        var (gl, reference) = RunOne(net, 2, 21);
        AssertClose(gl, reference, 0, "maxpool (exact: max selects, no rounding)");
    }

    [TestCase(13, 7, 5, 3, TestName = "GlobalAvgPool 13 ch 7x5 batch 3")]
    [TestCase(3, 11, 9, 1, TestName = "GlobalAvgPool 3 ch 11x9 (more than 64 values per plane)")]
    [TestCase(7, 1, 1, 2, TestName = "GlobalAvgPool 1x1")]
    public void GlobalAvgPool(int c, int h, int w, int batch)
    {
        var net = new GlNetwork();
        net.Input = net.AddTensor("x", c, h, w);
        net.Output = net.AddTensor("y", c, 1, 1);
        net.Ops.Add(new GlOp { Kind = GlOpKind.GlobalAvgPool, Name = "gap", Inputs = new[] { net.Input }, Output = net.Output });
        var (gl, reference) = RunOne(net, batch, 22);
        AssertClose(gl, reference, 1e-5, "gap");
    }

    [TestCase(13, 7, 2, TestName = "FullyConnected 13 -> 7, batch 2")]
    [TestCase(130, 1000, 1, TestName = "FullyConnected 130 -> 1000")]
    [TestCase(1, 3, 1, TestName = "FullyConnected 1 -> 3")]
    public void FullyConnected(int inF, int outF, int batch)
    {
        var net = new GlNetwork();
        net.Input = net.AddTensor("x", inF, 1, 1);
        net.Output = net.AddTensor("y", outF, 1, 1);
        net.Ops.Add(new GlOp { Kind = GlOpKind.FullyConnected, Name = "fc", Inputs = new[] { net.Input }, Output = net.Output, Weights = Random(inF * outF, 5), Bias = Random(outF, 6) });
        var (gl, reference) = RunOne(net, batch, 23);
        AssertClose(gl, reference, 1e-5, "fc");
    }

    [Test]
    public void AddReluAndRelu()
    {
        var net = new GlNetwork();
        net.Input = net.AddTensor("x", 13, 5, 3);
        int a = net.AddTensor("a", 13, 5, 3), b = net.AddTensor("b", 13, 5, 3), c = net.AddTensor("c", 13, 5, 3);
        net.Ops.Add(new GlOp { Kind = GlOpKind.Conv, Name = "c1", Inputs = new[] { net.Input }, Output = a, Weights = Random(13 * 13, 1), Bias = Random(13, 2) });
        net.Ops.Add(new GlOp { Kind = GlOpKind.Relu, Name = "relu", Inputs = new[] { net.Input }, Output = b });
        net.Ops.Add(new GlOp { Kind = GlOpKind.Add, Name = "add", Inputs = new[] { a, b }, Output = c, Relu = true });
        net.Output = c;
        var (gl, reference) = RunOne(net, 2, 24);
        AssertClose(gl, reference, 1e-5, "add+relu");
    }

    [TestCase(3, 13, 11, 2, false, TestName = "Affine 3 ch 13x11 batch 2")]
    [TestCase(7, 5, 3, 1, true, TestName = "Affine+ReLU 7 ch 5x3")]
    [TestCase(130, 1, 1, 3, true, TestName = "Affine+ReLU 130 ch 1x1 batch 3")]
    public void Affine(int c, int h, int w, int batch, bool relu)
    {
        var net = new GlNetwork();
        net.Input = net.AddTensor("x", c, h, w);
        net.Output = net.AddTensor("y", c, h, w);
        net.Ops.Add(new GlOp { Kind = GlOpKind.Affine, Name = "bn", Inputs = new[] { net.Input }, Output = net.Output, Weights = Random(c, 7, 2f), Bias = Random(c, 8), Relu = relu });
        var (gl, reference) = RunOne(net, batch, 25);
        AssertClose(gl, reference, 1e-6, "affine"); // one fma per value: only float rounding differs
    }
}
