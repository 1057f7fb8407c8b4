// `rr demo --teach --save-teach F`: the taught head is written when a headless run ends (not only on the S key), and a
// run that taught nothing says so in one line and exits 1 instead of ending rc 0 with no file. A run that ends before
// --auto-teach has taught every class reports why there is no accuracy (never "NaN%"), and frames.json keeps it null.
// The backbone is a random-weight ResNet-18 at 64² (no download, fast): the bookkeeping is under test, not the accuracy.
using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Demo;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Teach;

public class TeachSaveAtEndTests
{
    static string Backbone(string dir)
    {
        string path = Path.Combine(dir, "backbone.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", 10, 3, 64), new ResNetBuildOptions { Seed = 3, Output = ResNetOutput.PooledFeatures }).Save(path);
        return path;
    }

    [Test]
    public void Unfinished_auto_teach_saves_at_the_end_and_says_why_there_is_no_accuracy()
    {
        var dir = DemoTestUtil.TempDir("teach-save-end");
        string saved = Path.Combine(dir, "t.onnx");
        // 100 frames: the first few scene classes get their 2 frames, the rest never show.
        const int Frames = 100;
        var (code, _, err) = CliRunner.Run("demo", "--headless", "--teach", "--model", Backbone(dir), "--auto-teach", "2", "--seed", "3",
            "--frames", $"{Frames}", "--out", dir, "--width", "640", "--height", "400", "--screenshot-every", "1000",
            "--save-teach", saved, "--backend", "ort-cpu", "--no-teach-augment");
        Assert.That(code, Is.Zero, err);
        Assert.That(err, Does.Not.Contain("NaN"));

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.json")));
        var summary = doc.RootElement.GetProperty("summary");
        Assert.That(summary.GetProperty("accuracy").ValueKind, Is.EqualTo(JsonValueKind.Null), "no accuracy is null, not NaN");
        var teach = summary.GetProperty("teach");
        Assert.That(teach.GetProperty("finished").GetBoolean(), Is.False);
        int classes = teach.GetProperty("classes_taught").GetInt32();
        Assert.That(classes, Is.InRange(2, 7), "some classes showed in 100 frames, not all 8");
        var perClass = teach.GetProperty("frames_per_class").EnumerateObject().ToArray();
        var taughtNames = perClass.Select(p => p.Name).ToArray();
        Assert.That(taughtNames, Has.Length.EqualTo(classes));
        int done = perClass.Count(p => p.Value.GetInt32() >= 2); // a class that showed only in the last frame may have 1
        Assert.That(err, Does.Contain($"no accuracy: teaching did not finish ({done} of 8 classes taught 2 frames by frame {Frames}"));

        Assert.That(File.Exists(saved), Is.True, "--save-teach is written when the run ends, without the S key");
        Assert.That(Directory.GetFiles(dir, "t.onnx.tmp-*"), Is.Empty, "the atomic write left no temporary file");
        using var c = Classifier.Create(saved);
        Assert.That(c.Labels, Is.EqualTo(taughtNames), "the saved head holds the classes taught");
    }

    [Test]
    public void Save_teach_with_nothing_taught_is_one_line_and_exit_1()
    {
        var dir = DemoTestUtil.TempDir("teach-save-nothing");
        string saved = Path.Combine(dir, "t.onnx");
        var (code, _, err) = CliRunner.Run("demo", "--headless", "--teach", "--model", Backbone(dir), "--seed", "3",
            "--frames", "5", "--out", dir, "--width", "640", "--height", "400", "--screenshot-every", "1000",
            "--save-teach", saved, "--backend", "ort-cpu");
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(err, Does.Contain($"nothing taught yet; {saved} not written"));
        Assert.That(err, Does.Contain("no accuracy: no frame was classified after teaching (0 frames taught in 5)"));
        Assert.That(File.Exists(saved), Is.False);
    }

    /// <summary>The window's end (here: --frames reached; a user closes it) saves too. Its own process, as WindowDemoTests
    /// runs the window: a GLFW window owns the process's GL state. The window never waits for the model (it loads while
    /// frames are drawn, and a key teaches the next frame classified), so the keys come late: frame 800 is ~10 s after
    /// the start under Xvfb (~13 ms a frame on llvmpipe), the model loads in 1–2 s.</summary>
    [Test]
    public void Save_teach_is_written_when_the_window_closes()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")))
            Assert.Ignore("no DISPLAY: `./rr test` runs the suite under xvfb-run, which provides one");
        var dir = DemoTestUtil.TempDir("teach-save-window");
        string saved = Path.Combine(dir, "t.onnx");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "rr.dll"), "demo", "--teach", "--model", Backbone(dir), "--backend", "ort-cpu",
                                  "--seed", "3", "--frames", "2400", "--keys", "800:1,801:1,802:1,1600:2,1601:2,1602:2", "--no-teach-augment", "--save-teach", saved,
                                  "--out", dir, "--width", $"{ResNetRealtime.Demo.App.Hud.MinWidth}", "--height", $"{ResNetRealtime.Demo.App.Hud.MinHeight}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(entireProcessTree: true); p.WaitForExit(10_000); Assert.Fail("rr demo --teach (window) did not exit within 180 s"); }
        Assert.That(Task.WaitAll(new Task[] { stdout, stderr }, 10_000), Is.True, "rr's output streams did not close within 10 s of its exit");
        string log = stdout.Result + stderr.Result;
        Assert.That(p.ExitCode, Is.Zero, log);
        Assert.That(log, Does.Contain("rr demo: keys:").And.Not.Contain("headless"), "a window, not the headless fallback");
        Assert.That(File.Exists(saved), Is.True, "--save-teach is written when the window closes: " + log);
        using var c = Classifier.Create(saved);
        Assert.That(c.Labels, Has.Count.EqualTo(2), "the two classes the keys taught");
    }
}
