using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Tests.Cli;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>`rr bench --repeat R`: the timed frames cut into R time segments, each with its own p50s, and the
/// median of the segments' total/bare ratios — recomputed here from the JSON's own segment figures.</summary>
[TestFixture]
public class BenchRepeatTests
{
    [Test]
    public void SegmentsAndTheirMedianRatioAreReportedPerPrecision()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "bench-repeat");
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, "b.json");
        Environment.SetEnvironmentVariable("RR_INT8_CACHE", Path.Combine(dir, "cache"));   // not the user's cache
        (int code, string stdout, string stderr) r;
        try
        {
            r = CliRunner.Run("bench", "--depths", "18", "--size", "32", "--frames", "7", "--repeat", "3", "--warmup", "1", "--threads", "1",
                              "--precision", "fp32,int8", "--json", json);
        }
        finally { Environment.SetEnvironmentVariable("RR_INT8_CACHE", null); }
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stdout, Does.Contain("3 segments").And.Contain("ResNet-18 int8: total/bare").And.Contain("vs fp32"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.That(doc.RootElement.GetProperty("repeats").GetString(), Is.EqualTo("3"));
        foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            var segs = run.GetProperty("repeats").EnumerateArray().Select(s => s.GetProperty("total_p50").GetDouble() / s.GetProperty("bare_p50").GetDouble()).Order().ToArray();
            Assert.That(segs, Has.Length.EqualTo(3), "7 frames in segments of 2, 2 and 3");
            Assert.That(run.GetProperty("ratio_total_to_bare_median_of_repeats").GetDouble(), Is.EqualTo(segs[1]).Within(1e-3), "median of the 3 (JSON rounds to 4 places)");
        }
    }

    [Test]
    public void MoreSegmentsThanFramesIsAUsageError()
    {
        var r = CliRunner.Run("bench", "--depths", "18", "--size", "32", "--frames", "4", "--repeat", "5");
        Assert.That(r.code, Is.EqualTo(2));
        Assert.That(r.stderr, Does.Contain("--repeat 5").And.Contain("--frames 4"));
    }
}
