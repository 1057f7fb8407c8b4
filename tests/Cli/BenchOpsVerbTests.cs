using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Cli;

/// <summary>`rr bench-ops` on the shipped 64×64 scene model: the table's structure, positive times, shares that sum to
/// 100%, and the same layer names on gl and ort-cpu (both named after the GL lowering of the model).</summary>
[TestFixture, Category("Gl"), NonParallelizable]
public class BenchOpsVerbTests
{
    static string Model => Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");

    static (string Stdout, JsonElement Json) Run(string backend)
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "bench-ops");
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, backend + ".json");
        File.Delete(json);
        var before = Directory.GetFiles(Environment.CurrentDirectory, "onnxruntime_profile_*");
        var r = CliRunner.Run("bench-ops", "--backend", backend, "--model", Model, "--frames", "3", "--warmup", "1", "--json", json);
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(Directory.GetFiles(Environment.CurrentDirectory, "onnxruntime_profile_*"), Is.EquivalentTo(before), "ORT's profile is written to a temporary folder, not the working directory");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        return (r.stdout, doc.RootElement.Clone());
    }

    static List<JsonElement> Layers(JsonElement j) => j.GetProperty("layers").EnumerateArray().ToList();

    [TestCase("gl")]
    [TestCase("ort-cpu")]
    public void The_table_has_one_row_per_layer_with_positive_times_and_shares_summing_to_100(string backend)
    {
        var (stdout, j) = Run(backend);
        var net = GlNetworkBuilder.Build(OnnxModel.Load(Model));
        var layers = Layers(j);
        var own = layers.Where(l => !l.GetProperty("backend_only").GetBoolean()).ToList();
        Assert.That(own, Has.Count.EqualTo(net.Ops.Count), "one row per GL layer");
        Assert.That(stdout, Does.Contain("timing: ").And.Contain("ms (p50)").And.Contain("GFLOP/s").And.Contain("GB/s").And.Contain("share"));
        Assert.That(j.GetProperty("timing").GetString(), Is.Not.Empty);
        if (backend == "gl") Assert.That(j.GetProperty("timing").GetString(), Does.StartWith("GL_TIME_ELAPSED").Or.StartWith("glFinish"), "says which clock");
        foreach (var l in own)
        {
            string name = l.GetProperty("layer").GetString();
            Assert.That(l.GetProperty("ms_p50").GetDouble(), Is.GreaterThan(0), name);
            long flops = l.GetProperty("flops").GetInt64();
            Assert.That(flops, Is.GreaterThan(0), name);
            // GFLOP/s is FLOPs over the median time. The file rounds gflops to 4 decimals (5e-5) and ms to 6 (relative
            // error under 2e-4 for medians of at least 5 µs), hence the tolerance.
            double want = flops / l.GetProperty("ms_p50").GetDouble() / 1e6;
            Assert.That(l.GetProperty("gflops").GetDouble(), Is.EqualTo(want).Within(1e-4 + 2e-4 * want), name);
        }
        // Each share is rounded to 6 decimals in the file: the sum is 1 within rows × 5e-7.
        Assert.That(layers.Sum(l => l.GetProperty("share").GetDouble()), Is.EqualTo(1).Within(layers.Count * 5e-7 + 1e-9));
        Assert.That(layers.Sum(l => l.GetProperty("ms_p50").GetDouble()), Is.EqualTo(j.GetProperty("total_ms").GetDouble()).Within(layers.Count * 1e-6));
        // The printed table: a header, one line per row, a total line whose share is 100%.
        var lines = stdout.Split('\n');
        int header = Array.FindIndex(lines, s => s.Contains("ms (p50)"));
        Assert.That(lines.Skip(header + 1).TakeWhile(s => !s.TrimStart().StartsWith("total")).Count(), Is.EqualTo(layers.Count));
        Assert.That(lines.First(s => s.TrimStart().StartsWith("total")), Does.EndWith("100.0%"));
    }

    [Test]
    public void Gl_and_ort_cpu_name_the_same_layers()
    {
        var gl = Layers(Run("gl").Json);
        var ort = Layers(Run("ort-cpu").Json);
        static string[] Names(List<JsonElement> ls) => ls.Where(l => !l.GetProperty("backend_only").GetBoolean()).Select(l => l.GetProperty("layer").GetString()).ToArray();
        Assert.That(Names(ort), Is.EqualTo(Names(gl)));
        Assert.That(ort.Where(l => !l.GetProperty("backend_only").GetBoolean()).Select(l => l.GetProperty("flops").GetInt64()),
                    Is.EqualTo(gl.Select(l => l.GetProperty("flops").GetInt64())), "the same work per layer");
        Assert.That(gl.Any(l => l.GetProperty("backend_only").GetBoolean()), Is.False, "every gl row is a layer");
    }

    [Test]
    public void A_backend_without_a_per_layer_mode_is_one_line_and_exit_2()
    {
        var r = CliRunner.Run("bench-ops", "--backend", "ort-dml", "--model", Model);
        Assert.That(r.code, Is.EqualTo(2));
        Assert.That(r.stderr.Trim(), Is.EqualTo("rr bench-ops: --backend: 'ort-dml' has no per-layer mode; one of: gl, ort-cpu"));
    }
}
