using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Demo.App;

namespace ResNetRealtime.Tests.Demo;

/// <summary>
/// The live controls — depth keys, backend key, screenshot, quit — and the adaptive --budget-ms mode, driven
/// headless through --keys (the same <c>OnKey</c> the window's keyboard calls). Headless is lock-step and
/// waits for each switch, so frames.json says exactly which depth and backend classified every frame.
/// Depth slot 18 holds the trained scene model (a ResNet-20); the other slots are built on the fly.
/// </summary>
public class LiveControlTests
{
    static (List<JsonElement> Frames, JsonElement Summary, string Dir, string Log) Run(string name, Action<DemoOptions> tweak)
    {
        var dir = DemoTestUtil.TempDir(name);
        var o = new DemoOptions { Headless = true, OutDir = dir, ScreenshotEvery = 1000, Width = Hud.MinWidth, Height = Hud.MinHeight, Seed = 2, Backend = Backend.OrtCpu };
        tweak(o);
        var log = new StringWriter();
        Assert.That(DemoApp.Run(o, log), Is.EqualTo(0), log.ToString());
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.json"))).RootElement;
        return (root.GetProperty("frames").EnumerateArray().ToList(), root.GetProperty("summary"), dir, log.ToString());
    }

    static int[] Depths(List<JsonElement> frames) => frames.Select(f => f.GetProperty("depth").GetInt32()).ToArray();

    [Test]
    public void ScriptedKeysSwitchDepthAndBackendTakeAScreenshotAndQuit()
    {
        var (frames, summary, dir, log) = Run("keys", o => { o.Frames = 40; o.Keys = "4:2, 8:b, 10:b, 14:1, 16:h, 16:l, 18:p, 20:q"; });
        Assert.That(summary.GetProperty("frames").GetInt64(), Is.EqualTo(20), "q at frame 20 ends the run before it");
        Assert.That(summary.GetProperty("frames_without_inference").GetInt64(), Is.EqualTo(0), log);
        Assert.That(frames.Select(f => f.GetProperty("predicted_class").GetInt32()), Has.All.InRange(0, 7));
        var expectDepth = Enumerable.Range(0, 20).Select(i => i is >= 4 and < 14 ? 34 : 20);
        Assert.That(Depths(frames), Is.EqualTo(expectDepth), log);
        var expectBackend = Enumerable.Range(0, 20).Select(i => i is 8 or 9 ? "gl" : "ort-cpu");
        Assert.That(frames.Select(f => f.GetProperty("backend").GetString()), Is.EqualTo(expectBackend), log);
        var shots = Directory.GetFiles(dir, "screenshot_*.png");
        Assert.That(shots, Has.Length.EqualTo(1), log);
        Assert.That(log, Does.Contain("rr demo: screenshot " + shots[0]));
    }

    [Test]
    public void BudgetStepsDownWhenInferenceIsOverItAndUpWhenThereIsHeadroom()
    {
        // A budget no model meets: from slot 50 down one slot per 20 measured inferences, to the shallowest.
        // The trained scene model (ResNet-20) sits on the starting slot; 34 and 18 are built on the fly.
        var (frames, summary, _, log) = Run("budget-down", o => { o.Frames = 50; o.Depth = 50; o.BudgetMs = 0.001; });
        Assert.That(summary.GetProperty("frames_without_inference").GetInt64(), Is.EqualTo(0), log);
        Assert.That(Depths(frames), Is.EqualTo(Enumerable.Range(0, 50).Select(i => i < 20 ? 20 : i < 40 ? 34 : 18)), log);
        Assert.That(log, Does.Contain("budget 0.001 ms: ResNet-20 p50").And.Contain("→ ResNet-34").And.Contain("→ ResNet-18"));

        // Every model far under budget: one slot deeper after 20 inferences.
        (frames, _, _, log) = Run("budget-up", o => { o.Frames = 25; o.BudgetMs = 1e6; });
        Assert.That(Depths(frames), Is.EqualTo(Enumerable.Range(0, 25).Select(i => i < 20 ? 20 : 34)), log);
    }

    [Test]
    public void KeyScriptIsParsedOrRejectedWithTheEntry()
    {
        Assert.That(DemoKeys.Parse("10:b, 2:3,2:space ,7:ESC"), Is.EqualTo(new (long, char)[] { (2, '3'), (2, ' '), (7, 'q'), (10, 'b') }));
        Assert.That(DemoKeys.Parse(null), Is.Empty);
        Assert.That(Assert.Throws<ArgumentException>(() => DemoKeys.Parse("10:x")).Message, Does.Contain("'10:x'").And.Contain("'x' is not a demo key"));
        Assert.That(Assert.Throws<ArgumentException>(() => DemoKeys.Parse("-1:b")).Message, Does.Contain("'-1:b'"));
        Assert.That(Assert.Throws<ArgumentException>(() => DemoKeys.Parse("b")).Message, Does.Contain("FRAME:KEY"));
        // Every window key maps to an action OnKey handles, and every scriptable key is reachable from the keyboard.
        Assert.That(DemoKeys.Window.Select(k => k.Action).Distinct().OrderBy(c => c),
            Is.EqualTo("123456789bchlmpqs ".OrderBy(c => c))); // 6-9, c, s: teach mode (DemoKeys.TeachHelp)
    }
}
