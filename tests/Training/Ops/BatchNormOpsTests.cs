using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Ops;
using static ResNetRealtime.Tests.Training.TestMath;

namespace ResNetRealtime.Tests.Training;

[TestFixture]
public class BatchNormOpsTests
{
    [TestCase(1, 1, 5, 5)]
    [TestCase(3, 7, 13, 13)]
    [TestCase(2, 13, 1, 7)]
    [TestCase(1, 3, 31, 31)]
    [TestCase(3, 16, 4, 4)]
    public void TrainForwardBackwardAndRunningStats(int n, int c, int h, int w)
    {
        int hw = h * w;
        var rng = new Random(n * 100 + c);
        // A channel offset of 3 (and scale 2) so a one-pass E[x²]−E[x]² variance would visibly lose digits.
        var x = Rand(rng, n * c * hw, 2.0);
        for (int i = 0; i < x.Length; i++) x[i] += 3f;
        var gamma = Rand(rng, c); var beta = Rand(rng, c);
        var rm = Rand(rng, c); var rv = Array.ConvertAll(Rand(rng, c), v => 1.5f + v);
        var rm0 = (float[])rm.Clone(); var rv0 = (float[])rv.Clone();
        var rmRef = (float[])rm.Clone(); var rvRef = (float[])rv.Clone();
        var y = new float[x.Length]; var yRef = new float[x.Length];
        var mean = new float[c]; var inv = new float[c]; var meanRef = new float[c]; var invRef = new float[c];
        BatchNormOps.ForwardTrain(n, c, hw, x, gamma, beta, rm, rv, 0.1f, 1e-5f, y, mean, inv);
        BatchNormOps.ForwardTrainReference(n, c, hw, x, gamma, beta, rmRef, rvRef, 0.1f, 1e-5f, yRef, meanRef, invRef);
        var yd = DoubleReference.BatchNormTrain(ToDouble(x), ToDouble(gamma), ToDouble(beta), n, c, hw, 1e-5);
        // Normalised outputs are O(1); float32 rounding of x − mean and the scale leaves ~1e-6.
        AssertClose(y, yd, 1e-5, "bn train forward (fast)");
        AssertClose(yRef, yd, 1e-5, "bn train forward (reference)");

        // Running statistics: PyTorch's update with the UNBIASED batch variance.
        int m = n * hw;
        var expMean = new double[c]; var expVar = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double s = 0, sq = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) s += x[(i * c + ch) * hw + j];
            double mu = s / m;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) { double d = x[(i * c + ch) * hw + j] - mu; sq += d * d; }
            expMean[ch] = 0.9 * rm0[ch] + 0.1 * mu;
            expVar[ch] = 0.9 * rv0[ch] + 0.1 * sq / (m - 1);
        }
        // float32 storage of O(1) statistics: 1e-6 relative.
        AssertClose(rm, expMean, 1e-6, "running_mean (momentum 0.1)", 1e-7);
        AssertClose(rv, expVar, 1e-6, "running_var (momentum 0.1, unbiased)");
        AssertClose(rmRef, expMean, 1e-6, "running_mean reference", 1e-7);
        AssertClose(rvRef, expVar, 1e-6, "running_var reference");

        // Backward against float64 central differences of L = Σ r·bn(x).
        var dy = Rand(rng, x.Length);
        var dx = new float[x.Length]; var dg = new float[c]; var db = new float[c];
        BatchNormOps.Backward(n, c, hw, x, dy, gamma, mean, inv, dx, dg, db);
        var dxR = new float[x.Length]; var dgR = new float[c]; var dbR = new float[c];
        BatchNormOps.BackwardReference(n, c, hw, x, dy, gamma, meanRef, invRef, dxR, dgR, dbR);
        AssertClose(dx, dxR, 1e-5, "bn dx fast vs reference");
        AssertClose(dg, dgR, 1e-5, "bn dgamma fast vs reference");
        AssertClose(db, dbR, 1e-5, "bn dbeta fast vs reference");
        double[] xd = ToDouble(x), gd = ToDouble(gamma), bd = ToDouble(beta), r = ToDouble(dy);
        double L(double[] xx, double[] gg, double[] bb) => Dot(r, DoubleReference.BatchNormTrain(xx, gg, bb, n, c, hw, 1e-5));
        var ix = Sample(rng, x.Length, 40); var ic = Sample(rng, c, 8);
        // Smooth in x; step 1e-4 on values of scale 2 leaves truncation error ~1e-8; dx itself is a difference of
        // O(1) terms that cancel, so allow 1e-4 of its largest entry.
        AssertGradClose(dx, NumericGrad(v => L(v, gd, bd), xd, ix, 1e-4), ix, 1e-4, "bn dx");
        AssertGradClose(dg, NumericGrad(v => L(xd, v, bd), gd, ic, 1e-4), ic, 1e-5, "bn dgamma");
        AssertGradClose(db, NumericGrad(v => L(xd, gd, v), bd, ic, 1e-4), ic, 1e-5, "bn dbeta");
    }

    [Test]
    public void LargeMeanDoesNotCancelTheVariance()
    {
        // Mean 1000, std ~0.6: E[x²] − E[x]² in float would lose every digit of the variance; the one-pass
        // moments are shifted by a sample of the channel, so the variance stays exact to float rounding.
        const int n = 3, c = 5, hw = 61;
        var rng = new Random(3);
        var x = Rand(rng, n * c * hw);
        for (int i = 0; i < x.Length; i++) x[i] += 1000f;
        var gamma = Rand(rng, c); var beta = Rand(rng, c);
        var y = new float[x.Length]; var mean = new float[c]; var inv = new float[c];
        BatchNormOps.ForwardTrain(n, c, hw, x, gamma, beta, null, null, 0.1f, 1e-5f, y, mean, inv);
        var yd = DoubleReference.BatchNormTrain(ToDouble(x), ToDouble(gamma), ToDouble(beta), n, c, hw, 1e-5);
        // x itself is stored with float spacing 6e-5 at 1000, i.e. 1e-4 of the std: that is the floor.
        AssertClose(y, yd, 3e-4, "bn forward at mean 1000");
    }

    [TestCase(3, 7, 13, 13)]
    [TestCase(2, 13, 1, 7)]
    public void BackwardOverwriteEqualsAccumulateIntoZero(int n, int c, int h, int w)
    {
        int hw = h * w;
        var rng = new Random(n + c + hw);
        var x = Rand(rng, n * c * hw); var dy = Rand(rng, x.Length); var gamma = Rand(rng, c);
        var mean = new float[c]; var inv = new float[c];
        BatchNormOps.ForwardTrain(n, c, hw, x, gamma, Rand(rng, c), null, null, 0.1f, 1e-5f, new float[x.Length], mean, inv);
        var dxAcc = new float[x.Length];
        BatchNormOps.Backward(n, c, hw, x, dy, gamma, mean, inv, dxAcc, null, null);
        var dxOver = Rand(rng, x.Length); // garbage that must be overwritten
        BatchNormOps.Backward(n, c, hw, x, dy, gamma, mean, inv, dxOver, null, null, false);
        // Same three terms, summed in a different order (FMA chain without the leading 0): float rounding only.
        AssertClose(dxOver, ToDouble(dxAcc), 1e-6, "bn dx overwrite vs accumulate into zero");
        var y = Rand(rng, x.Length); var r1 = new float[x.Length]; var r2 = Rand(rng, x.Length);
        ReluOps.ReluBackward(y, dy, r1);
        ReluOps.ReluBackward(y, dy, r2, false);
        Assert.That(r2, Is.EqualTo(r1));
    }

    [Test]
    public void RunningStatsFollowPyTorchFormula()
    {
        // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3.
        var x = new float[] { 1, 2, 3, 4 };
        var rm = new float[] { 0 }; var rv = new float[] { 1 };
        BatchNormOps.ForwardTrain(1, 1, 4, x, new float[] { 1 }, new float[] { 0 }, rm, rv, 0.1f, 1e-5f, new float[4], new float[1], new float[1]);
        Assert.That(rm[0], Is.EqualTo(0.25f).Within(1e-7));
        Assert.That(rv[0], Is.EqualTo(0.9 + 0.1 * 5.0 / 3.0).Within(1e-6));
    }

    [Test]
    public void LayerEvalUsesRunningStatsAndTrainUpdatesThem()
    {
        var bn = new BatchNorm2d("bn", 3);
        var rng = new Random(3);
        var x = new Tensor(Rand(rng, 2 * 3 * 5 * 5), 2, 3, 5, 5);
        Array.Copy(new float[] { 0.5f, -1f, 2f }, bn.RunningMean.Data, 3);
        Array.Copy(new float[] { 4f, 0.25f, 1f }, bn.RunningVar.Data, 3);
        Array.Copy(new float[] { 1.5f, 2f, -1f }, bn.Weight.Data, 3);
        Array.Copy(new float[] { 0.1f, 0.2f, 0.3f }, bn.Bias.Data, 3);
        bn.Eval();
        var y = bn.Forward(x);
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / 25 % 3;
            double e = (x.Data[i] - bn.RunningMean.Data[ch]) / Math.Sqrt(bn.RunningVar.Data[ch] + 1e-5) * bn.Weight.Data[ch] + bn.Bias.Data[ch];
            Assert.That(y.Data[i], Is.EqualTo(e).Within(1e-5), $"eval output {i}");
        }
        Assert.That(bn.RunningMean.Data, Is.EqualTo(new[] { 0.5f, -1f, 2f }), "eval must not touch running stats");

        // Eval backward: dx = dy·γ/sqrt(var+eps).
        var dy = new Tensor(Rand(rng, x.Length), x.Shape);
        var dx = bn.Backward(dy);
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / 25 % 3;
            Assert.That(dx.Data[i], Is.EqualTo(dy.Data[i] * bn.Weight.Data[ch] / Math.Sqrt(bn.RunningVar.Data[ch] + 1e-5)).Within(1e-5));
        }

        bn.Train();
        bn.Forward(x);
        Assert.That(bn.RunningMean.Data, Is.Not.EqualTo(new[] { 0.5f, -1f, 2f }), "train forward must update running stats");
        Assert.That(bn.NumBatchesTracked, Is.EqualTo(1));
    }

    [Test]
    public void BackwardAccumulates()
    {
        var rng = new Random(4);
        int n = 2, c = 3, hw = 9;
        var x = Rand(rng, n * c * hw); var gamma = Rand(rng, c); var dy = Rand(rng, x.Length);
        var mean = new float[c]; var inv = new float[c];
        BatchNormOps.ForwardTrain(n, c, hw, x, gamma, new float[c], null, null, 0.1f, 1e-5f, new float[x.Length], mean, inv);
        var dx = new float[x.Length]; var dg = new float[c]; var db = new float[c];
        BatchNormOps.Backward(n, c, hw, x, dy, gamma, mean, inv, dx, dg, db);
        var dx1 = (float[])dx.Clone(); var dg1 = (float[])dg.Clone(); var db1 = (float[])db.Clone();
        BatchNormOps.Backward(n, c, hw, x, dy, gamma, mean, inv, dx, dg, db);
        AssertClose(dx, Array.ConvertAll(dx1, v => 2.0 * v), 1e-6, "dx twice");
        AssertClose(dg, Array.ConvertAll(dg1, v => 2.0 * v), 1e-6, "dgamma twice");
        AssertClose(db, Array.ConvertAll(db1, v => 2.0 * v), 1e-6, "dbeta twice");
    }

    [Test]
    public void SingleValuePerChannelInTrainingIsAClearError()
    {
        var bn = new BatchNorm2d("layer1.0.bn1", 4);
        var e = Assert.Throws<ArgumentException>(() => bn.Forward(new Tensor(1, 4, 1, 1)));
        Assert.That(e.Message, Does.Contain("layer1.0.bn1").And.Contain("[1,4,1,1]"));
        e = Assert.Throws<ArgumentException>(() => bn.Forward(new Tensor(2, 5, 3, 3)));
        Assert.That(e.Message, Does.Contain("4 input channels"));
    }
}
