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
        var r = ChildProcess.Run("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "rr.dll") }.Concat(args), TimeSpan.FromSeconds(120),
                                 psi => { foreach (var (k, v) in env) { if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v; } });
        return (r.Code, r.Out + r.Err);
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

    /// <summary>
    /// A driver that offers only OpenGL 3.3 (Mesa told so by MESA_GL_VERSION_OVERRIDE): the window asks for 4.3
    /// core, is refused, opens 3.3 and runs on ort-cpu with the reason on stderr and in the HUD; a headless run
    /// that asked for --backend gl falls back the same way and says so in frames.json.
    /// </summary>
    [Test]
    public void OnOpenGl33TheDemoFallsBackToOrtCpuAndSaysWhy()
    {
        var renderer = ResNetRealtime.Tests.Gl.GlTestContext.Get().Renderer;
        if (!renderer.Contains("llvmpipe") && !renderer.Contains("Mesa"))
            Assert.Ignore($"MESA_GL_VERSION_OVERRIDE only limits Mesa drivers; this one is {renderer}");
        var mesa33 = new Dictionary<string, string> { ["MESA_GL_VERSION_OVERRIDE"] = "3.3" };

        var dir = DemoTestUtil.TempDir("gl33-headless");
        var (code, log) = RunRr(mesa33, "demo", "--headless", "--frames", "2", "--backend", "gl", "--out", dir);
        Assert.That(code, Is.EqualTo(0), log);
        Assert.That(log, Does.Contain("rr demo: backend ort-cpu: gl backend needs OpenGL 4.3; this context is 3.3"));
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.json"))))
        {
            var root = json.RootElement;
            Assert.That(root.GetProperty("backend_requested").GetString(), Is.EqualTo("gl"));
            Assert.That(root.GetProperty("backend").GetString(), Is.EqualTo("ort-cpu"));
            Assert.That(root.GetProperty("backend_reason").GetString(), Does.Contain("needs OpenGL 4.3"));
            Assert.That(root.GetProperty("summary").GetProperty("predictions").GetInt64(), Is.EqualTo(2));
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY"))) return; // the window half needs Xvfb
        dir = DemoTestUtil.TempDir("gl33-window");
        (code, log) = RunRr(mesa33, "demo", "--frames", "100", "--keys", "4:q", "--out", dir);
        Assert.That(code, Is.EqualTo(0), log);
        Assert.That(log, Does.Contain("rr demo: no window with OpenGL 4.3 core:"));
        Assert.That(log, Does.Contain("has no 4.3 compute shaders").And.Contain("rr demo: keys:"), "a 3.3 window on ort-cpu");
    }
}
