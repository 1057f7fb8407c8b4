using System.Text.Json;
using System.Xml.Linq;
using NUnit.Framework;
using ResNetRealtime.Cli.Bench;
using ResNetRealtime.Training.Charts;

namespace ResNetRealtime.Tests.Cli;

public class BenchVerbTests
{
    [Test]
    public void Small_bench_writes_json_with_the_contract_keys_and_an_svg()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "bench-cli");
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, "b.json"), svg = Path.Combine(dir, "b.svg");
        var r = CliRunner.Run("bench", "--depths", "18,34", "--size", "32", "--frames", "6", "--warmup", "1", "--threads", "1", "--json", json, "--svg", svg);
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stdout, Does.Contain("ratio"));
        Assert.That(r.stdout, Does.Contain($"cpu: {Environment.ProcessorCount} logical cores; {Runtime.Backends.CpuIsa.Describe()}"), "the host's vector extensions, which set the int8 speed-up");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.That(doc.RootElement.GetProperty("onnxruntime").GetString(), Is.EqualTo(Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()).And.Match(@"^\d+\.\d+\.\d+$"));
        var runs = doc.RootElement.GetProperty("runs");
        Assert.That(doc.RootElement.GetProperty("cpu_isa").GetString(), Is.EqualTo(string.Join(' ', Runtime.Backends.CpuIsa.Present)));
        Assert.That(runs.GetArrayLength(), Is.EqualTo(2));
        var run = runs[0];
        Assert.That(run.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
            { "depth", "backend", "precision", "size", "stages", "bare_ort", "ratio_total_to_bare", "fps", "alloc_bytes_per_frame" }));
        Assert.That(run.GetProperty("depth").GetInt32(), Is.EqualTo(18));
        Assert.That(runs[1].GetProperty("depth").GetInt32(), Is.EqualTo(34));
        Assert.That(run.GetProperty("backend").GetString(), Is.EqualTo("ort-cpu"));
        Assert.That(run.GetProperty("precision").GetString(), Is.EqualTo("fp32"));
        Assert.That(run.GetProperty("size").GetInt32(), Is.EqualTo(32));
        Assert.That(run.GetProperty("stages").EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "preprocess", "inference", "postprocess", "total" }));
        foreach (var st in run.GetProperty("stages").EnumerateObject().Select(p => p.Value).Append(run.GetProperty("bare_ort")))
        {
            Assert.That(st.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "p50", "p95", "p99" }));
            Assert.That(st.GetProperty("p50").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(st.GetProperty("p95").GetDouble(), Is.GreaterThanOrEqualTo(st.GetProperty("p50").GetDouble()));
        }
        double ratio = run.GetProperty("ratio_total_to_bare").GetDouble();
        double want = run.GetProperty("stages").GetProperty("total").GetProperty("p50").GetDouble() / run.GetProperty("bare_ort").GetProperty("p50").GetDouble();
        Assert.That(ratio, Is.EqualTo(want).Within(0.01 * want));   // both rounded to 4 decimals in the file
        Assert.That(run.GetProperty("alloc_bytes_per_frame").GetDouble(), Is.EqualTo(0));
        var x = XDocument.Load(svg);
        Assert.That(x.Root.Name.LocalName, Is.EqualTo("svg"));
        Assert.That(x.Descendants().Count(e => e.Name.LocalName == "circle"), Is.EqualTo(4));
    }

    [Test]
    public void Bench_measures_fp32_and_int8_per_depth_in_one_run()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "bench-int8");
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, "b.json"), svg = Path.Combine(dir, "b.svg");
        if (Directory.Exists(Path.Combine(dir, "cache"))) Directory.Delete(Path.Combine(dir, "cache"), true);
        Environment.SetEnvironmentVariable("RR_INT8_CACHE", Path.Combine(dir, "cache"));   // not the user's cache
        (int code, string stdout, string stderr) r;
        try
        {
            r = CliRunner.Run("bench", "--depths", "18", "--size", "32", "--frames", "6", "--warmup", "1", "--threads", "1",
                              "--precision", "fp32,int8", "--json", json, "--svg", svg);
        }
        finally { Environment.SetEnvironmentVariable("RR_INT8_CACHE", null); }
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stderr, Does.Contain("accuracy is not measured"), "Gaussian calibration must say so");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.That(runs.Select(x => x.GetProperty("precision").GetString()), Is.EqualTo(new[] { "fp32", "int8" }));
        Assert.That(runs.Select(x => x.GetProperty("depth").GetInt32()), Is.EqualTo(new[] { 18, 18 }));
        // The int8 path allocates nothing per frame either.
        Assert.That(runs[1].GetProperty("alloc_bytes_per_frame").GetDouble(), Is.EqualTo(0));
        Assert.That(r.stdout, Does.Match(@"18\s+ort-cpu\s+int8 .*\|\s+\d\.\d{3}\s+\d+\.\d{3}\s"), "the int8 row has a vs-fp32 ratio");
        var x = XDocument.Load(svg);
        var legend = x.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.That(legend, Has.Some.StartsWith("int8:").And.Some.StartsWith("float32:"));
        Assert.That(x.Descendants().Count(e => e.Name.LocalName == "circle"), Is.EqualTo(4));
        Assert.That(Directory.GetFiles(Path.Combine(dir, "cache"), "*.onnx"), Has.Length.EqualTo(1), "the int8 model is cached");
    }

    [Test]
    public void Bad_bench_options_give_one_line_errors()
    {
        var r = CliRunner.Run("bench", "--depths", "19");
        Assert.That(r.code, Is.Not.EqualTo(0));
        Assert.That(r.stderr, Does.Contain("depth 19"));
        r = CliRunner.Run("bench", "--backend", "nope");
        Assert.That(r.stderr, Does.Contain("unknown backend 'nope'"));
        r = CliRunner.Run("bench", "--precision", "fp16");
        Assert.That(r.code, Is.Not.EqualTo(0));
        Assert.That(r.stderr, Does.Contain("unknown precision 'fp16'"));
        r = CliRunner.Run("bench", "--precision", "int8", "--backend", "gl");
        Assert.That(r.code, Is.Not.EqualTo(0));
        Assert.That(r.stderr, Does.Contain("int8 is CPU-only for now"));
    }

    [Test]
    public void Svg_chart_scales_points_into_the_plot()
    {
        var svg = SvgChart.Render("t", "depth", new[] { new SvgChart.Series("a", [0, 1], [10.0, 20.0], Upper: [12.0, 30.0], Color: "red") },
                                  xCategories: new[] { "ResNet-18", "ResNet-50" });
        var x = XDocument.Parse(svg);
        var circles = x.Descendants().Where(e => e.Name.LocalName == "circle").Select(e => double.Parse(e.Attribute("cy").Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.That(circles[1], Is.LessThan(circles[0]), "a larger latency must plot higher");
    }
}
