using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Ops;
using static ResNetRealtime.Tests.Training.TestMath;

namespace ResNetRealtime.Tests.Training;

[TestFixture]
public class ElementwiseOpsTests
{
    // Lengths around the vector widths (16, 8) and the parallel split threshold (65536).
    [TestCase(1)] [TestCase(7)] [TestCase(13)] [TestCase(127)] [TestCase(255)] [TestCase(200_003)]
    public void ReluAndAddReluMatchReference(int len)
    {
        var rng = new Random(len);
        var x = Rand(rng, len); var b = Rand(rng, len);
        var y = new float[len]; var yRef = new float[len];
        ReluOps.Relu(x, y); ReluOps.ReluReference(x, yRef);
        Assert.That(y, Is.EqualTo(yRef), "relu forward is exact");
        var dy = Rand(rng, len);
        var dx = Rand(rng, len); var dxRef = (float[])dx.Clone();
        ReluOps.ReluBackward(y, dy, dx); ReluOps.ReluBackwardReference(y, dy, dxRef);
        Assert.That(dx, Is.EqualTo(dxRef), "relu backward accumulates exactly");
        ReluOps.AddRelu(x, b, y);
        for (int i = 0; i < len; i++) Assert.That(y[i], Is.EqualTo(Math.Max(x[i] + b[i], 0f)), $"add+relu {i}");
        ReluOps.Add(x, b, y);
        for (int i = 0; i < len; i++) Assert.That(y[i], Is.EqualTo(x[i] + b[i]), $"add {i}");
    }

    [TestCase(1, 1, 5, 5, 3, 2, 1)]
    [TestCase(3, 7, 13, 13, 3, 2, 1)]
    [TestCase(2, 3, 7, 31, 2, 2, 0)]
    [TestCase(1, 2, 8, 8, 3, 1, 1)]
    public void MaxPoolForwardAndFiniteDifferences(int n, int c, int h, int w, int k, int stride, int pad)
    {
        var rng = new Random(h + w);
        // A permutation of distinct values, so no ties and every window's max is strictly separated from the
        // runner-up (spacing 1e-2) — central differences with h = 1e-4 never cross a kink.
        int len = n * c * h * w;
        var perm = Enumerable.Range(0, len).OrderBy(_ => rng.Next()).ToArray();
        var x = perm.Select(v => (float)(v * 1e-2)).ToArray();
        int oh = PoolOps.OutSize(h, k, stride, pad), ow = PoolOps.OutSize(w, k, stride, pad);
        var y = new float[n * c * oh * ow]; var arg = new int[y.Length];
        PoolOps.MaxPoolForward(n, c, h, w, k, stride, pad, x, y, arg);
        AssertClose(y, DoubleReference.MaxPool(ToDouble(x), n, c, h, w, k, stride, pad), 0, "maxpool forward");
        var dy = Rand(rng, y.Length);
        var dx = new float[len];
        PoolOps.MaxPoolBackward(n, c, h, w, oh, ow, arg, dy, dx);
        var r = ToDouble(dy);
        var idx = Sample(rng, len, 60);
        AssertGradClose(dx, NumericGrad(v => Dot(r, DoubleReference.MaxPool(v, n, c, h, w, k, stride, pad)), ToDouble(x), idx, 1e-4), idx, 1e-6, "maxpool dx");
    }

    [Test]
    public void GlobalAvgPoolAndLinear()
    {
        var rng = new Random(11);
        int n = 3, c = 13, hw = 7 * 7;
        var x = Rand(rng, n * c * hw);
        var y = new float[n * c];
        PoolOps.GlobalAvgPoolForward(n, c, hw, x, y);
        for (int p = 0; p < n * c; p++) Assert.That(y[p], Is.EqualTo(x.Skip(p * hw).Take(hw).Average()).Within(1e-6));
        var dy = Rand(rng, n * c); var dx = new float[x.Length];
        PoolOps.GlobalAvgPoolBackward(n, c, hw, dy, dx);
        var idx = Sample(rng, x.Length, 30);
        AssertGradClose(dx, NumericGrad(v => { double s = 0; for (int p = 0; p < n * c; p++) { double a = 0; for (int j = 0; j < hw; j++) a += v[p * hw + j]; s += dy[p] * a / hw; } return s; }, ToDouble(x), idx, 1e-3), idx, 1e-6, "avgpool dx");

        int inF = 13, outF = 7;
        var lx = Rand(rng, n * inF); var lw = Rand(rng, outF * inF); var lb = Rand(rng, outF);
        var ly = new float[n * outF]; var lyRef = new float[n * outF];
        LinearOps.Forward(n, inF, outF, lx, lw, lb, ly);
        LinearOps.ForwardReference(n, inF, outF, lx, lw, lb, lyRef);
        AssertClose(ly, lyRef, 1e-6, "linear forward");
        var ldy = Rand(rng, n * outF);
        var ldx = new float[lx.Length]; var ldw = new float[lw.Length]; var ldb = new float[outF];
        LinearOps.Backward(n, inF, outF, lx, lw, ldy, ldx, ldw, ldb);
        var ldxR = new float[lx.Length]; var ldwR = new float[lw.Length]; var ldbR = new float[outF];
        LinearOps.BackwardReference(n, inF, outF, lx, lw, ldy, ldxR, ldwR, ldbR);
        AssertClose(ldx, ldxR, 1e-6, "linear dx"); AssertClose(ldw, ldwR, 1e-6, "linear dw"); AssertClose(ldb, ldbR, 1e-6, "linear db");
        double[] xd = ToDouble(lx), wd = ToDouble(lw), bd = ToDouble(lb), r = ToDouble(ldy);
        var all = (IReadOnlyList<int>)Enumerable.Range(0, lw.Length).ToArray();
        AssertGradClose(ldw, NumericGrad(v => Dot(r, DoubleReference.Linear(xd, v, bd, n, inF, outF)), wd, all, 1e-3), all, 1e-5, "linear dw");
        var allx = (IReadOnlyList<int>)Enumerable.Range(0, lx.Length).ToArray();
        AssertGradClose(ldx, NumericGrad(v => Dot(r, DoubleReference.Linear(v, wd, bd, n, inF, outF)), xd, allx, 1e-3), allx, 1e-5, "linear dx");
        // Accumulation: a second backward doubles.
        LinearOps.Backward(n, inF, outF, lx, lw, ldy, ldx, ldw, ldb);
        AssertClose(ldb, Array.ConvertAll(ldbR, v => 2.0 * v), 1e-6, "linear db twice");
        AssertClose(ldw, Array.ConvertAll(ldwR, v => 2.0 * v), 1e-6, "linear dw twice");
    }

    [TestCase(0f)]
    [TestCase(0.1f)]
    public void CrossEntropyMatchesDefinitionAndGradient(float smoothing)
    {
        var rng = new Random(21);
        int n = 5, k = 7;
        // Large logits (±40) check that the log-sum-exp does not overflow.
        var logits = Rand(rng, n * k, 40);
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(k)).ToArray();
        var loss = new CrossEntropyLoss(smoothing);
        double l = loss.Forward(new Tensor(logits, n, k), labels);
        double expected = DoubleReference.CrossEntropy(ToDouble(logits), labels, n, k, smoothing);
        Assert.That(l, Is.EqualTo(expected).Within(1e-6 * Math.Abs(expected)));
        var g = loss.Backward();
        var all = (IReadOnlyList<int>)Enumerable.Range(0, n * k).ToArray();
        AssertGradClose(g.Data, NumericGrad(v => DoubleReference.CrossEntropy(v, labels, n, k, smoothing), ToDouble(logits), all, 1e-4), all, 1e-5, "cross entropy dlogits");
        var e = Assert.Throws<ArgumentException>(() => loss.Forward(new Tensor(logits, n, k), new[] { 0, 1, 7, 2, 3 }));
        Assert.That(e.Message, Does.Contain("label 7 at batch index 2"));
    }

    [Test]
    public void CrossEntropyKnownValue()
    {
        // Uniform logits over K classes: loss = log K whatever the smoothing.
        var loss = new CrossEntropyLoss(0.1f);
        Assert.That(loss.Forward(new Tensor(new float[10], 1, 10), new[] { 3 }), Is.EqualTo(Math.Log(10)).Within(1e-9));
    }
}
