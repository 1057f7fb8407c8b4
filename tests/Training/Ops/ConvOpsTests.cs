using NUnit.Framework;
using ResNetRealtime.Training.Ops;
using static ResNetRealtime.Tests.Training.TestMath;

namespace ResNetRealtime.Tests.Training;

[TestFixture]
public class ConvOpsTests
{
    // N, C, H, W, K, R, stride, pad, groups — batch 1 and 3, odd channels and sizes, stride 2, pads 0/1/3,
    // a 7×7 stem, 1×1 (pointwise and strided), groups 4 and 32 (ResNeXt), a kernel as large as the padded input.
    public static readonly object[] Cases =
    {
        new object[] { 1, 1, 5, 5, 1, 3, 1, 1, 1 },
        new object[] { 3, 3, 7, 7, 7, 3, 1, 1, 1 },
        new object[] { 1, 7, 13, 13, 13, 3, 2, 1, 1 },
        new object[] { 3, 13, 5, 7, 7, 1, 1, 0, 1 },
        new object[] { 2, 13, 13, 13, 7, 1, 2, 0, 1 },
        new object[] { 1, 3, 31, 31, 5, 7, 2, 3, 1 },
        new object[] { 3, 8, 7, 7, 12, 3, 1, 1, 4 },
        new object[] { 1, 64, 5, 5, 64, 3, 2, 1, 32 },
        new object[] { 2, 3, 5, 5, 4, 3, 1, 0, 1 },
        new object[] { 1, 2, 3, 3, 3, 5, 1, 1, 1 },
        new object[] { 1, 1, 1, 1, 1, 1, 1, 0, 1 },
    };

    private static ConvShape Shape(object[] c) => new((int)c[0], (int)c[1], (int)c[2], (int)c[3], (int)c[4], (int)c[5], (int)c[5], (int)c[6], (int)c[7], (int)c[8]);

    [TestCaseSource(nameof(Cases))]
    public void ForwardFastMatchesReference(int n, int c, int h, int w, int k, int r, int stride, int pad, int groups)
    {
        var s = new ConvShape(n, c, h, w, k, r, r, stride, pad, groups);
        var rng = new Random(h * 31 + c);
        var x = Rand(rng, s.InputLength); var wt = Rand(rng, s.WeightLength); var b = Rand(rng, k);
        var yRef = new float[s.OutputLength]; var y = new float[s.OutputLength];
        ConvOps.ForwardReference(s, x, wt, b, yRef);
        ConvOps.Forward(s, x, wt, b, y);
        // float32 sums of up to C·R·S = 147 terms vs a float64-accumulated reference.
        AssertClose(y, yRef, 1e-5, $"conv forward {s}");
        var yd = DoubleReference.Conv(ToDouble(x), ToDouble(wt), ToDouble(b), n, c, h, w, k, r, r, stride, pad, groups);
        AssertClose(yRef, yd, 1e-6, $"conv reference vs float64 {s}");
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesReferenceAndFiniteDifferences(int n, int c, int h, int w, int k, int r, int stride, int pad, int groups)
    {
        var s = new ConvShape(n, c, h, w, k, r, r, stride, pad, groups);
        var rng = new Random(h * 17 + k);
        var x = Rand(rng, s.InputLength); var wt = Rand(rng, s.WeightLength); var dy = Rand(rng, s.OutputLength);
        var dx = new float[x.Length]; var dw = new float[wt.Length]; var db = new float[k];
        ConvOps.Backward(s, x, wt, dy, dx, dw, db);
        var dxR = new float[x.Length]; var dwR = new float[wt.Length]; var dbR = new float[k];
        ConvOps.BackwardReference(s, x, wt, dy, dxR, dwR, dbR);
        AssertClose(dx, dxR, 1e-5, $"conv dx {s}");
        AssertClose(dw, dwR, 1e-5, $"conv dw {s}");
        AssertClose(db, dbR, 1e-5, $"conv db {s}");

        // L = Σ dy·conv(x, w, b) in float64; its gradients are exactly what backward computes.
        double[] xd = ToDouble(x), wd = ToDouble(wt), bd = new double[k], r64 = ToDouble(dy);
        double L(double[] xx, double[] ww, double[] bb) => Dot(r64, DoubleReference.Conv(xx, ww, bb, n, c, h, w, k, r, r, stride, pad, groups));
        var ix = Sample(rng, x.Length, 40); var iw = Sample(rng, wt.Length, 40); var ib = Sample(rng, k, 8);
        // L is linear in each argument, so central differences are exact up to rounding (h = 1e-3 keeps that ~1e-10);
        // the float32 analytic gradients carry ~1e-6 relative error.
        AssertGradClose(dx, NumericGrad(v => L(v, wd, bd), xd, ix, 1e-3), ix, 2e-5, "conv dx");
        AssertGradClose(dw, NumericGrad(v => L(xd, v, bd), wd, iw, 1e-3), iw, 2e-5, "conv dw");
        AssertGradClose(db, NumericGrad(v => L(xd, wd, v), bd, ib, 1e-3), ib, 2e-5, "conv db");
    }

    // Shapes for the stride-1 direct path, the transposed-conv data gradient and the batched weight gradient:
    // C·R·S > KC = 256 (two k-blocks), out channels not a multiple of the 8/6-row tile, NR-pixel strips that
    // span output rows (OW 9, 7, 40) or are exactly one row (OW 32) or two (OW 16), 5×5 pad 2 with groups,
    // 1×1, 7 channels, batch 20 (several images per weight-gradient batch, 2 workers; at 32×32 the batch is
    // longer than one 4096-pixel k-block) and batch 1; B read in place (OW 8, 16, 32, 64 with out channels a
    // multiple of 8; C·R·S 270 = two packed k-blocks, 1170 = two in-place ones) and the same shapes packed; stride 2
    // (gathered strips: runs of 16 and 8, odd widths with scalar tails, 1×1/2, groups, 5×5 pad 2).
    public static readonly object[] DirectCases =
    {
        new object[] { 2, 40, 9, 9, 20, 3, 1, 1, 1 },
        new object[] { 2, 3, 6, 32, 16, 3, 1, 1, 1 },
        new object[] { 2, 7, 16, 16, 13, 3, 1, 1, 1 },
        new object[] { 1, 5, 3, 40, 9, 3, 1, 1, 1 },
        new object[] { 2, 6, 11, 11, 10, 5, 1, 2, 2 },
        new object[] { 20, 4, 8, 8, 8, 3, 1, 1, 1 },
        new object[] { 20, 3, 32, 32, 5, 3, 1, 1, 1 },
        new object[] { 2, 5, 16, 16, 16, 3, 1, 1, 1 },
        new object[] { 1, 30, 3, 64, 8, 3, 1, 1, 1 },
        new object[] { 1, 130, 2, 32, 8, 3, 1, 1, 1 },
        new object[] { 2, 16, 8, 8, 16, 3, 1, 1, 1 },
        new object[] { 20, 5, 4, 4, 6, 1, 1, 0, 1 },
        new object[] { 20, 7, 7, 7, 7, 3, 2, 1, 1 },
        new object[] { 2, 16, 32, 32, 32, 3, 2, 1, 1 },
        new object[] { 2, 32, 16, 16, 20, 1, 2, 0, 1 },
        new object[] { 3, 6, 13, 27, 8, 3, 2, 1, 2 },
        new object[] { 1, 5, 9, 39, 9, 5, 2, 2, 1 },
        new object[] { 1, 13, 7, 7, 13, 3, 1, 0, 1 },
        new object[] { 1, 1, 1, 1, 1, 1, 1, 0, 1 },
        // B read in place over virtual rows (widths outside 8/16/32k, out channels a multiple of 8): 28 (MNIST),
        // 14 with groups, 7 with C·R·S 1170 (two k-blocks), 5×5 pad 2 on a 12×20 map, a valid (pad 0) 3×3.
        new object[] { 2, 5, 28, 28, 16, 3, 1, 1, 1 },
        new object[] { 3, 12, 14, 14, 16, 3, 1, 1, 2 },
        new object[] { 2, 130, 7, 7, 8, 3, 1, 1, 1 },
        new object[] { 1, 3, 12, 20, 8, 5, 1, 2, 1 },
        new object[] { 1, 4, 12, 12, 8, 3, 1, 0, 1 },
    };

    [Test]
    public void DirectPathsMatchReference([ValueSource(nameof(DirectCases))] object[] c, [Values("vector256", "shifted-dw", "im2col-dw", "packed-b")] string mode)
    {
        var s = Shape(c);
        bool vector256 = mode == "vector256";
        bool saved = ResNetRealtime.Training.Kernels.Sgemm.ForceVector256;
        ResNetRealtime.Training.Kernels.Sgemm.ForceVector256 = vector256;
        ConvOps.ForceShiftedWeightGrad = mode == "shifted-dw";
        ConvOps.DisableShiftedWeightGrad = mode == "im2col-dw";
        ConvOps.DisableInPlaceB = mode == "packed-b";
        try
        {
            var rng = new Random(s.H * 7 + s.C * 3 + s.N);
            var x = Rand(rng, s.InputLength); var wt = Rand(rng, s.WeightLength); var b = Rand(rng, s.K); var dy = Rand(rng, s.OutputLength);
            var yRef = new float[s.OutputLength]; var y = new float[s.OutputLength];
            ConvOps.ForwardReference(s, x, wt, b, yRef);
            ConvOps.Forward(s, x, wt, b, y);
            // float32 sums of up to C·R·S = 360 terms vs float64 accumulation.
            AssertClose(y, yRef, 1e-5, $"conv forward {s} {mode}");
            // Backward accumulates: start from non-zero gradients to check it adds rather than overwrites.
            var dx = Rand(rng, x.Length); var dw = Rand(rng, wt.Length); var db = Rand(rng, s.K);
            var dxR = (float[])dx.Clone(); var dwR = (float[])dw.Clone(); var dbR = (float[])db.Clone();
            ConvOps.Backward(s, x, wt, dy, dx, dw, db);
            ConvOps.BackwardReference(s, x, wt, dy, dxR, dwR, dbR);
            // dw sums N·OH·OW = up to 1280 products; float32 against float64.
            AssertClose(dx, dxR, 1e-5, $"conv dx {s} {mode}");
            AssertClose(dw, dwR, 2e-5, $"conv dw {s} {mode}");
            AssertClose(db, dbR, 1e-5, $"conv db {s}");
        }
        finally { ResNetRealtime.Training.Kernels.Sgemm.ForceVector256 = saved; ConvOps.DisableShiftedWeightGrad = false; ConvOps.ForceShiftedWeightGrad = false; ConvOps.DisableInPlaceB = false; }
    }

    /// <summary>The layer's overwrite mode: dx gets exactly the accumulate-into-zero result whatever it held;
    /// dw still accumulates. Stride 1 (transposed-conv path) and stride 2 (col2im path).</summary>
    [TestCase(2, 7, 9, 9, 16, 3, 1, 1, 1)]
    [TestCase(2, 7, 9, 9, 8, 3, 2, 1, 1)]
    public void BackwardOverwriteModeEqualsAccumulateIntoZero(int n, int c, int h, int w, int k, int r, int stride, int pad, int groups)
    {
        var s = new ConvShape(n, c, h, w, k, r, r, stride, pad, groups);
        var rng = new Random(11);
        var x = Rand(rng, s.InputLength); var wt = Rand(rng, s.WeightLength); var dy = Rand(rng, s.OutputLength);
        var dx1 = new float[x.Length]; var dw1 = Rand(rng, wt.Length); var dw2 = (float[])dw1.Clone();
        ConvOps.Backward(s, x, wt, dy, dx1, dw1, null);
        var dx2 = Rand(rng, x.Length); // garbage that must be overwritten
        ConvOps.Backward(s, x, wt, dy, dx2, dw2, null, false);
        Assert.That(dx2, Is.EqualTo(dx1), "dx overwrite vs accumulate into zero (same sums, first k-block stores instead of adding to 0)");
        Assert.That(dw2, Is.EqualTo(dw1), "dw accumulates in both modes");
    }

    [Test]
    public void BackwardAccumulates()
    {
        var s = new ConvShape(3, 8, 7, 7, 12, 3, 3, 2, 1, 4);
        var rng = new Random(5);
        var x = Rand(rng, s.InputLength); var wt = Rand(rng, s.WeightLength); var dy = Rand(rng, s.OutputLength);
        var dx1 = new float[x.Length]; var dw1 = new float[wt.Length]; var db1 = new float[s.K];
        ConvOps.Backward(s, x, wt, dy, dx1, dw1, db1);
        var dx2 = (float[])dx1.Clone(); var dw2 = (float[])dw1.Clone(); var db2 = (float[])db1.Clone();
        ConvOps.Backward(s, x, wt, dy, dx2, dw2, db2);
        AssertClose(dx2, Array.ConvertAll(dx1, v => 2.0 * v), 1e-6, "dx after two backward calls");
        AssertClose(dw2, Array.ConvertAll(dw1, v => 2.0 * v), 1e-6, "dw after two backward calls");
        AssertClose(db2, Array.ConvertAll(db1, v => 2.0 * v), 1e-6, "db after two backward calls");
    }

    [Test]
    public void SingleThreadGivesSameResultAsParallel()
    {
        var s = new ConvShape(3, 13, 13, 13, 7, 3, 3, 1, 1, 1);
        var rng = new Random(9);
        var x = Rand(rng, s.InputLength); var wt = Rand(rng, s.WeightLength); var dy = Rand(rng, s.OutputLength);
        var y1 = new float[s.OutputLength]; var y2 = new float[s.OutputLength];
        var dw1 = new float[wt.Length]; var dw2 = new float[wt.Length];
        int saved = ResNetRealtime.Training.Kernels.Workers.Threads;
        try
        {
            ResNetRealtime.Training.Kernels.Workers.Threads = 1;
            ConvOps.Forward(s, x, wt, null, y1); ConvOps.Backward(s, x, wt, dy, null, dw1, null);
            ResNetRealtime.Training.Kernels.Workers.Threads = 3;
            ConvOps.Forward(s, x, wt, null, y2); ConvOps.Backward(s, x, wt, dy, null, dw2, null);
        }
        finally { ResNetRealtime.Training.Kernels.Workers.Threads = saved; }
        Assert.That(y2, Is.EqualTo(y1), "forward is per-image, so thread count must not change it");
        AssertClose(dw2, dw1, 1e-6, "dw (partial sums reduced in a different order)");
    }

    [Test]
    public void BadGeometryIsOneClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConvShape(1, 6, 5, 5, 8, 3, 3, 1, 1, 4));
        Assert.That(e.Message, Does.Contain("groups 4"));
        e = Assert.Throws<ArgumentException>(() => ConvOps.Forward(new ConvShape(1, 2, 5, 5, 2, 3, 3, 1, 1, 1), new float[3], new float[36], null, new float[50]));
        Assert.That(e.Message, Does.Contain("x length 3"));
    }
}
