using NUnit.Framework;
using ResNetRealtime.Cli;

namespace ResNetRealtime.Tests.Cli;

/// <summary>`rr bench-host`: the host loop runs, gets results, writes its figures, and allocates nothing per frame in steady
/// state on ort-cpu (the API's promise, seen from the host's thread).</summary>
[TestFixture, NonParallelizable]
public class BenchHostVerbTests
{
    static string Model => Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");

    [Test]
    public void Ort_cpu_loop_gets_results_and_writes_json()
    {
        var json = Path.Combine(Path.GetTempPath(), $"rr-bench-host-{Environment.ProcessId}.json");
        try
        {
            // 120 frames at 60 Hz: 2 s of loop; the small scene model returns results within it even on 2 busy cores.
            Assert.That(BenchHostVerb.Run(new[] { "--backend", "ort-cpu", "--model", Model, "--frames", "120", "--threads", "1", "--json", json }), Is.EqualTo(0));
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            var r = doc.RootElement;
            Assert.That(r.GetProperty("Frames").GetInt32(), Is.EqualTo(120));
            Assert.That(r.GetProperty("Results").GetInt32(), Is.GreaterThan(0));
            Assert.That(r.GetProperty("SubmitToResultP50").GetDouble(), Is.GreaterThan(0));
            Assert.That(r.GetProperty("StallP99").GetDouble(), Is.GreaterThanOrEqualTo(r.GetProperty("StallP50").GetDouble()));
            Assert.That(r.GetProperty("Submitted").GetInt64(), Is.EqualTo(120));
            // The loop's thread copies each frame into a preallocated slot. Any per-frame allocation (an object is at least
            // 24 bytes) would give at least 24 bytes a frame; under 1 leaves room only for a one-off, not a per-frame habit.
            Assert.That(r.GetProperty("BytesPerFrame").GetDouble(), Is.LessThan(1.0), "the host loop allocated per frame");
        }
        finally { File.Delete(json); }
    }

    [Test]
    public void Unknown_backend_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => BenchHostVerb.Run(new[] { "--backend", "vulkan", "--model", Model }));
        Assert.That(e!.Message, Does.Contain("'vulkan'").And.Contain("ort-cpu, gl"));
    }
}
