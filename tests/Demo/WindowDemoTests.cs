using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Demo.App;
using ResNetRealtime.Demo.Imaging;

namespace ResNetRealtime.Tests.Demo;

/// <summary>
/// `rr demo` as a user starts it, in its own process (a GLFW window owns the process's GL state, so it is
/// kept away from the suite's EGL contexts): the live window under the display `./rr test` provides (Xvfb),
/// driven by --keys through the window loop; and, with no display at all, the headless fallback.
/// </summary>
public class WindowDemoTests
{
    static (int Code, string Log) RunRr(IDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rr.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) { if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v; }
        using var p = Process.Start(psi);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); Assert.Fail($"rr {string.Join(' ', args)} did not exit within 120 s: {stderr.Result}"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Test]
    public void WindowRunsTheFrameLoopTakesAScreenshotOnPAndQuitsOnQ()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")))
            Assert.Ignore("no DISPLAY: `./rr test` runs the suite under xvfb-run, which provides one");
        var dir = DemoTestUtil.TempDir("window");
        var (code, log) = RunRr(new Dictionary<string, string>(),
            "demo", "--frames", "200", "--keys", "3:h,6:p,12:q", "--out", dir, "--width", $"{Hud.MinWidth}", "--height", $"{Hud.MinHeight}");
        Assert.That(code, Is.EqualTo(0), log);
        Assert.That(log, Does.Contain("rr demo: keys: 1-5 depth").And.Not.Contain("headless"), "a window, not the headless fallback");
        var shots = Directory.GetFiles(dir, "screenshot_*.png");
        Assert.That(shots, Has.Length.EqualTo(1), log);
        // The screenshot is the composed frame of the window: its size, the scene under it and the HUD's text.
        var img = Png.ReadFile(shots[0]);
        Assert.That((img.Width, img.Height), Is.EqualTo((Hud.MinWidth, Hud.MinHeight)));
        Assert.That(img.Pixels.Distinct().Count(), Is.GreaterThan(50), "a flat screenshot: nothing was drawn");
        int white = 0;
        for (int i = 0; i < img.Pixels.Length; i += 3)
            if (img.Pixels[i] > 225 && img.Pixels[i + 1] > 225 && img.Pixels[i + 2] > 225) white++;
        Assert.That(white, Is.GreaterThan(200), "no HUD text in the window's screenshot");
    }

    [Test]
    public void WithoutADisplayTheDemoRunsHeadlessAndSaysWhereTheScreenshotsWent()
    {
        var dir = DemoTestUtil.TempDir("nodisplay");
        var (code, log) = RunRr(new Dictionary<string, string> { ["DISPLAY"] = null, ["WAYLAND_DISPLAY"] = null },
            "demo", "--frames", "3", "--out", dir);
        Assert.That(code, Is.EqualTo(0), log);
        Assert.That(log, Does.Contain("no display (DISPLAY and WAYLAND_DISPLAY are unset); running headless for 3 frames, screenshots go to " + dir));
        Assert.That(File.Exists(Path.Combine(dir, "frames.json")), Is.True, log);
        Assert.That(File.Exists(Path.Combine(dir, "frame_00002.png")), Is.True, log);
    }
}
