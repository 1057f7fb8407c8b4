using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Tests.Inference;

public class LatencyStatsTests
{
    [Test]
    public void Percentiles_match_numpy_linear()
    {
        var s = new LatencyStats(100);
        foreach (var v in new double[] { 5, 1, 4, 2, 3 }) s.Add(v);
        // numpy.percentile([1,2,3,4,5], [50, 95, 99]) = 3, 4.8, 4.96
        Assert.That(s.P50, Is.EqualTo(3).Within(1e-12));
        Assert.That(s.P95, Is.EqualTo(4.8).Within(1e-12));
        Assert.That(s.P99, Is.EqualTo(4.96).Within(1e-12));
        Assert.That((s.Min, s.Max, s.Mean), Is.EqualTo((1.0, 5.0, 3.0)));
    }

    [Test]
    public void Window_rolls_and_add_allocates_nothing()
    {
        var s = new LatencyStats(7);
        for (int i = 0; i < 3; i++) s.Add(1000);
        _ = s.P50;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1; i <= 13; i++) { s.Add(i); _ = s.P95; }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
        Assert.That(s.Count, Is.EqualTo(7));
        Assert.That(s.Total, Is.EqualTo(16));
        Assert.That((s.Min, s.Max), Is.EqualTo((7.0, 13.0)));
        Assert.That(new LatencyStats(3).P50, Is.NaN);
    }

    [Test]
    public void Record_stages_sum_to_total()
    {
        var r = LatencyRecord.FromStamps(1000, 1500, 9000, 9100);
        Assert.That(r.PreprocessMs + r.InferenceMs + r.PostprocessMs, Is.EqualTo(r.TotalMs).Within(1e-9));
        Assert.That(r.InferenceMs, Is.GreaterThan(r.PreprocessMs));
    }
}
