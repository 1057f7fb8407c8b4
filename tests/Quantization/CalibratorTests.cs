using NUnit.Framework;
using ResNetRealtime.Runtime.Quantization;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>The three range calibrators on distributions whose right answer is known.</summary>
[TestFixture]
public class CalibratorTests
{
    static float[] Gaussian(int n, int seed) => CalibrationBatch.Gaussian(1, 1, 1, n, seed)[0].Data;

    static float[] Uniform(int n, int seed, float lo, float hi)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();
    }

    static (float, float) Feed(IRangeCalibrator c, float[] values, int pieces)
    {
        int per = (values.Length + pieces - 1) / pieces;
        for (int i = 0; i < values.Length; i += per) c.Observe(values.AsSpan(i, Math.Min(per, values.Length - i)));
        return c.Range();
    }

    [Test]
    public void MinMaxIsTheExactExtremesOverAllBatches()
    {
        var c = new MinMaxCalibrator();
        c.Observe([0.5f, 2f]);
        c.Observe([-3.25f]);
        c.Observe([]);
        c.Observe([1f, 7.5f, 0f]);
        Assert.That(c.Range(), Is.EqualTo((-3.25f, 7.5f)));
        Assert.That(() => new MinMaxCalibrator().Range(), Throws.InvalidOperationException.With.Message.Contains("no values"));
        Assert.That(() => c.Observe([float.NaN]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("NaN"));
    }

    [Test]
    public void PercentileOfAGaussianIsItsQuantile()
    {
        // Against the sample's own quantile of |x| (sorted), and loosely against N(0,1)'s: P(|x| < 3.2905)
        // = 0.999, P(|x| < 2.5758) = 0.99. The histogram's bins are ≈0.0015 wide: 0.005 allowed; the
        // sample quantile itself is within 0.05 of the true one for 400k samples (≈3 standard errors).
        var x = Gaussian(400_000, 1);
        var sorted = x.Select(Math.Abs).Order().ToArray();
        foreach (var (p, truth) in new[] { (99.9, 3.2905), (99.0, 2.5758) })
        {
            float sample = sorted[(int)Math.Ceiling(p / 100 * sorted.Length) - 1];
            var (lo, hi) = Feed(new PercentileCalibrator(p), x, 7);
            TestContext.Out.WriteLine($"{p}th percentile of |N(0,1)|: calibrator [{lo}, {hi}], sample {sample}, N(0,1) {truth}");
            Assert.That(hi, Is.EqualTo(sample).Within(0.005), $"{p}th percentile");
            Assert.That(lo, Is.EqualTo(-hi), "symmetric clip");
            Assert.That(sample, Is.EqualTo(truth).Within(0.05), "the test's own Gaussian");
        }
        // 100 keeps everything: the observed extremes.
        var (a, b) = Feed(new PercentileCalibrator(100), x, 5);
        Assert.That(a, Is.EqualTo(x.Min()).Within(1e-3f));
        Assert.That(b, Is.EqualTo(x.Max()).Within(1e-3f));
        Assert.That(() => new PercentileCalibrator(0), Throws.ArgumentException.With.Message.Contains("got 0"));
    }

    [Test]
    public void PercentileOfANonNegativeTensorStartsAtZero()
    {
        var x = Uniform(200_000, 2, 0, 4);
        var (lo, hi) = Feed(new PercentileCalibrator(99), x, 4);
        Assert.That(lo, Is.GreaterThanOrEqualTo(0f).And.LessThan(1e-3f));
        Assert.That(hi, Is.EqualTo(3.96).Within(0.02));
    }

    [Test]
    public void HistogramGrowthKeepsEveryCountWhenLaterBatchesAreLarger()
    {
        // Batches in increasing magnitude force the width to double several times; the percentile must
        // match feeding the same values largest-first (one width from the start) up to the coarser bins.
        var x = Uniform(100_000, 3, -1, 1);
        var growing = new PercentileCalibrator(99);
        for (int k = 0; k < 5; k++) growing.Observe(x.Skip(k * 20_000).Take(20_000).Select(v => v * (1 << k)).ToArray());
        var once = new PercentileCalibrator(99);
        for (int k = 4; k >= 0; k--) once.Observe(x.Skip(k * 20_000).Take(20_000).Select(v => v * (1 << k)).ToArray());
        Assert.That(growing.Range().Max, Is.EqualTo(once.Range().Max).Within(16 * 1.25 * 2 / 4096.0 * 2));
        Assert.That(growing.Range().Min, Is.EqualTo(once.Range().Min).Within(16 * 1.25 * 2 / 4096.0 * 2));
    }

    [Test]
    public void EntropyClipsRareOutliersButKeepsADenseRange()
    {
        // A dense uniform [0, 1] plus 20 values at 4 (0.002%): minmax would spend 3/4 of the 256 levels
        // on nothing; the KL threshold stays near the dense part. (The histogram spans [0, max|x|] in
        // 2048 bins and the smallest threshold is 256 bins, as in TensorRT: an outlier at 100 could not
        // be clipped below 12.5.)
        var x = Uniform(1_000_000, 4, 0, 1).Concat(Enumerable.Repeat(4f, 20)).ToArray();
        var (lo, hi) = Feed(new EntropyCalibrator(), x, 10);
        Assert.That(lo, Is.InRange(0f, 1e-4f), "the observed minimum of a non-negative tensor");
        Assert.That(hi, Is.InRange(0.9f, 1.5f), "threshold near the dense range [0, 1]");
        Assert.That(new MinMaxCalibrator().Also(c => c.Observe(x)).Range().Max, Is.EqualTo(4f));
        // Without outliers, nothing is worth clipping: the threshold is (almost) the maximum.
        var u = Uniform(500_000, 5, 0, 1);
        Assert.That(Feed(new EntropyCalibrator(), u, 3).Item2, Is.GreaterThan(0.95f));
    }

    [Test]
    public void EntropyOfAGaussianClipsTheTails()
    {
        // N(0,1) with 128 levels per side: the KL-optimal clip lies well inside the extremes (≈ 4.5σ for
        // 1e6 samples) and well outside the bulk; TensorRT's calibration lands at about 2.5–4σ.
        var x = Gaussian(1_000_000, 6);
        var (lo, hi) = Feed(new EntropyCalibrator(), x, 4);
        TestContext.Out.WriteLine($"entropy threshold for N(0,1): [{lo}, {hi}], extremes [{x.Min()}, {x.Max()}]");
        Assert.That(hi, Is.InRange(2.0f, 4.5f));
        Assert.That(lo, Is.EqualTo(-hi), "symmetric clip of a symmetric tensor");
    }

    [Test]
    public void KlThresholdOfAHistogramWithNothingBeyondLevelsIsThatLevel()
    {
        // Every count in the first 128 bins: clipping there loses nothing and costs no resolution.
        var counts = new long[2048];
        for (int i = 0; i < 128; i++) counts[i] = 1000 + i;
        Assert.That(EntropyCalibrator.KlThresholdBin(counts, 128), Is.EqualTo(128));
    }

    [Test]
    public void MethodsParseByTheirCommandLineNames()
    {
        Assert.That(RangeCalibrators.Names.Select(RangeCalibrators.Parse),
            Is.EqualTo(new[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile, CalibrationMethod.Entropy }));
        Assert.That(() => RangeCalibrators.Parse("kl"), Throws.ArgumentException.With.Message.Contains("'kl'").And.Message.Contains("minmax, percentile, entropy"));
    }
}

static class CalibratorTestExtensions
{
    public static T Also<T>(this T t, Action<T> a) { a(t); return t; }
}
