// `rr demo --teach --auto-teach N` mechanics on a short headless run: the taught frames are marked, each scene
// class is taught exactly N frames under its true label before teaching ends, summary.accuracy is computed only
// over the frames classified after teaching (recomputed here from the frames), summary.teach has the counts, and
// the S key writes backbone + head as one ONNX that loads as a classifier with the taught labels.
// The backbone is a random-weight ResNet-18 at 64² (no download, fast): the accuracy is meaningless, the bookkeeping is not.
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Demo;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Teach;

public class TeachDemoTests
{
    [Test]
    public void Auto_teach_marks_counts_and_scores_only_after_teaching()
    {
        const string backend = "ort-cpu";
        var dir = DemoTestUtil.TempDir("teach");
        string backbone = Path.Combine(dir, "backbone.onnx"), saved = Path.Combine(dir, "taught.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", 10, 3, 64), new ResNetBuildOptions { Seed = 3, Output = ResNetOutput.PooledFeatures }).Save(backbone);
        const int N = 2, Frames = 375; // 8 classes × 45-frame segments: the last class first shows at frame 315
        var (code, _, err) = CliRunner.Run("demo", "--headless", "--teach", "--model", backbone, "--auto-teach", $"{N}", "--seed", "3",
            "--frames", $"{Frames}", "--out", dir, "--width", "640", "--height", "400", "--screenshot-every", "1000",
            "--save-teach", saved, "--keys", $"{Frames - 1}:s", "--backend", backend);
        Assert.That(code, Is.Zero, err);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.json")));
        var frames = doc.RootElement.GetProperty("frames").EnumerateArray().ToArray();
        var summary = doc.RootElement.GetProperty("summary");
        Assert.That(doc.RootElement.GetProperty("backend").GetString(), Is.EqualTo(backend));
        Assert.That(frames.Select(f => f.GetProperty("backend").GetString()).Distinct(), Is.EqualTo(new[] { backend }));
        var teach = summary.GetProperty("teach");
        long after = teach.GetProperty("first_frame_after_teaching").GetInt64();
        Assert.That(after, Is.InRange(316, Frames - 1), "teaching ends once the last class had N frames");

        var taught = frames.Where(f => f.GetProperty("taught").GetBoolean()).ToArray();
        Assert.That(taught, Has.Length.EqualTo(8 * N));
        Assert.That(teach.GetProperty("taught_frames").GetInt32(), Is.EqualTo(8 * N));
        foreach (var g in taught.GroupBy(f => f.GetProperty("true_class").GetInt32()))
            Assert.That(g.Count(), Is.EqualTo(N), $"class {g.Key} taught {g.Count()} frames");
        Assert.That(taught.Max(f => f.GetProperty("index").GetInt64()), Is.LessThan(after));
        foreach (var p in teach.GetProperty("frames_per_class").EnumerateObject()) Assert.That(p.Value.GetInt32(), Is.EqualTo(N), p.Name);
        // each taught frame is a sample, and so are its ten variants (TeachAugmenter; headless waits for them)
        foreach (var p in teach.GetProperty("samples_per_class").EnumerateObject()) Assert.That(p.Value.GetInt32(), Is.EqualTo(N * (1 + TeachAugment.Count)), p.Name);
        var variants = teach.GetProperty("variants");
        Assert.That(variants.GetProperty("kinds").EnumerateArray().Select(k => k.GetString()), Is.EqualTo(TeachAugment.Names));
        Assert.That((variants.GetProperty("added").GetInt32(), variants.GetProperty("frames_dropped").GetInt32()), Is.EqualTo((8 * N * TeachAugment.Count, 0)));

        var scored = frames.Where(f => f.GetProperty("index").GetInt64() >= after).ToArray();
        Assert.That(teach.GetProperty("classified_after_teaching").GetInt64(), Is.EqualTo(scored.Length));
        double acc = scored.Count(f => f.GetProperty("predicted_class").GetInt32() == f.GetProperty("true_class").GetInt32()) / (double)scored.Length;
        Assert.That(summary.GetProperty("accuracy").GetDouble(), Is.EqualTo(acc).Within(1e-4), "accuracy over the frames after teaching only (JSON rounds to 4 places)");
        Assert.That(teach.GetProperty("update_ms").GetProperty("count").GetInt32(), Is.GreaterThan(0), "the head's update time is measured");

        Assert.That(File.Exists(saved), Is.True, "S wrote --save-teach");
        using var c = Classifier.Create(saved);
        Assert.That(c.Labels, Is.EqualTo(ResNetRealtime.Demo.Scene.SceneScript.Classes));
    }

    /// <summary>Teach mode on the GL backend: the keys teach two classes from the layer4 tap read back off the GPU, the
    /// head classifies every later frame, and S saves a model that loads. 30 frames, not 375: llvmpipe runs this
    /// ResNet-18 at ~2 s a frame (the auto-teach run above took 14 min on gl).</summary>
    [Test]
    public void Keys_teach_on_gl()
    {
        Gl.GlTestContext.Get(); // the suite's headless context: fail (not skip) without GL 4.3
        var dir = DemoTestUtil.TempDir("teach-gl");
        string backbone = Path.Combine(dir, "backbone.onnx"), saved = Path.Combine(dir, "taught.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", 10, 3, 64), new ResNetBuildOptions { Seed = 3, Output = ResNetOutput.PooledFeatures }).Save(backbone);
        const int Frames = 30;
        var (code, _, err) = CliRunner.Run("demo", "--headless", "--teach", "--model", backbone, "--backend", "gl", "--seed", "3",
            "--frames", $"{Frames}", "--out", dir, "--width", "640", "--height", "400", "--screenshot-every", "1000",
            "--save-teach", saved, "--keys", $"2:1,3:1,4:1,10:2,11:2,12:2,{Frames - 1}:s");
        Assert.That(code, Is.Zero, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.json")));
        var frames = doc.RootElement.GetProperty("frames").EnumerateArray().ToArray();
        Assert.That(doc.RootElement.GetProperty("backend").GetString(), Is.EqualTo("gl"));
        Assert.That(frames.Select(f => f.GetProperty("backend").GetString()).Distinct(), Is.EqualTo(new[] { "gl" }));
        var teach = doc.RootElement.GetProperty("summary").GetProperty("teach");
        Assert.That(teach.GetProperty("taught_frames").GetInt32(), Is.EqualTo(6));
        var counts = teach.GetProperty("samples_per_class").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.That(counts, Is.EqualTo(new Dictionary<string, int> { ["cube"] = 33, ["sphere"] = 33 }), "3 frames and their 10 variants each (the scene read back for them)");
        Assert.That(teach.GetProperty("head").GetString(), Is.EqualTo("softmax regression"));
        var later = frames.Where(f => f.GetProperty("index").GetInt64() > 14).ToArray();
        Assert.That(later.Select(f => f.GetProperty("predicted_label").GetString()), Is.All.AnyOf("cube", "sphere"), "the taught head classifies the later frames");
        using var c = Classifier.Create(saved);
        Assert.That(c.Labels, Is.EqualTo(new[] { "cube", "sphere" }));
    }
}
