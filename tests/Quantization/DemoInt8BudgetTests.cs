using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Demo;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>
/// `rr demo --headless --precision int8 --budget-ms B`: the adaptive depth decides on the int8 models' own
/// inference times. Through the CLI, with a fresh int8 cache: the depth-18 slot (the scene model) is
/// quantized before its first frame, the budget's p50 is the p50 of exactly those int8 frames' inference
/// times in frames.json (recounted here), and the slot it switches to is quantized too before it runs.
/// The budget is huge, so the step up does not depend on how fast the shared machine is.
/// </summary>
[TestFixture]
public class DemoInt8BudgetTests
{
    [Test]
    public void BudgetReadsTheInt8InferenceTimes()
    {
        string dir = DemoTestUtil.TempDir("demo-int8-budget"), cache = Path.Combine(dir, "cache"), outDir = Path.Combine(dir, "out");
        Environment.SetEnvironmentVariable("RR_INT8_CACHE", cache);   // fresh: every int8 model is quantized (and says so) here
        (int code, string stdout, string stderr) r;
        try
        {
            r = CliRunner.Run("demo", "--headless", "--precision", "int8", "--budget-ms", "1000000", "--frames", "22", "--out", outDir,
                              "--backend", "ort-cpu", "--seed", "2", "--screenshot-every", "1000");
        }
        finally { Environment.SetEnvironmentVariable("RR_INT8_CACHE", null); }
        string log = r.stdout + r.stderr;
        Assert.That(r.code, Is.EqualTo(0), log);

        // Quantized, then timed, then switched, then the new slot quantized: in that order in the log.
        int firstQuant = log.IndexOf("int8: cached", StringComparison.Ordinal);
        var budget = System.Text.RegularExpressions.Regex.Match(log, @"budget 1000000 ms: ResNet-20 p50 ([0-9.]+) ms → ResNet-34");
        Assert.That(firstQuant, Is.GreaterThanOrEqualTo(0), log);
        Assert.That(budget.Success, Is.True, log);
        Assert.That(firstQuant, Is.LessThan(budget.Index), "the scene model was int8 before its first timed frame");
        Assert.That(log.IndexOf("int8: cached", budget.Index, StringComparison.Ordinal), Is.GreaterThan(budget.Index), "the deeper slot runs int8 too");
        Assert.That(Directory.GetFiles(cache, "*.onnx"), Has.Length.EqualTo(2));

        var frames = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "frames.json"))).RootElement.GetProperty("frames").EnumerateArray().ToList();
        Assert.That(frames.Select(f => f.GetProperty("depth").GetInt32()), Is.EqualTo(Enumerable.Range(0, 22).Select(i => i < 20 ? 20 : 34)));
        var int8Times = frames.Take(20).Select(f => f.GetProperty("latency_ms").GetProperty("inference").GetDouble()).Order().ToArray();
        double p50 = LatencyStats.PercentileOfSorted(int8Times, 50);
        // The log prints one decimal and frames.json four: equal within that rounding.
        Assert.That(double.Parse(budget.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(p50).Within(0.051),
                    $"p50 of the 20 int8 frames' inference times [{string.Join(", ", int8Times)}]");
    }
}
