using ResNetRealtime.Demo.Platform;
using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// The window host: opens the platform's window (<see cref="DemoWindow"/>: GLFW on Linux, Win32 + WGL on Windows) with an
/// OpenGL 4.3 core context (or what the driver gives; then gl is unavailable and the HUD says why), or, without a display
/// or when asked, a headless context (EGL on Linux, WGL on a hidden window on Windows); then runs the frame loop
/// (<see cref="DemoRunner"/>) in it and tears both down.
/// </summary>
public static class WindowHost
{
    /// <summary>Where a headless run without --out writes its screenshots and frames.json.</summary>
    static readonly string DefaultHeadlessOut = Path.Combine("out", "demo");

    /// <summary>Runs the demo; returns the exit code. Chooses headless when asked or when there is no display.</summary>
    public static int Run(DemoOptions o, TextWriter log)
    {
        bool headless = o.Headless;
        string why = null;
        IDemoWindow window = headless ? null
            : DemoWindow.TryOpen(o.Width, o.Height, "rr demo — ResNet realtime", Hud.MinWidth, Hud.MinHeight, log, out why);
        GlContext ctx = window?.Context;
        if (why != null)
        {
            headless = true;
            o.OutDir ??= DefaultHeadlessOut;
            if (o.Frames <= 0) o.Frames = 120;
            log.WriteLine($"rr demo: {why}; running headless for {o.Frames} frames, screenshots go to {Path.GetFullPath(o.OutDir)}");
        }
        if (headless)
        {
            if (o.OutDir == null) // --headless without --out: the no-display fallback's folder, said out loud
            {
                o.OutDir = DefaultHeadlessOut;
                log.WriteLine($"rr demo: no --out, so screenshots and frames.json go to {Path.GetFullPath(o.OutDir)}");
            }
            Directory.CreateDirectory(o.OutDir);
            ctx = GlContext.CreateHeadless();
        }
        try
        {
            using var runner = new DemoRunner(o, log, headless, ctx, window);
            return headless ? runner.RunHeadless() : runner.RunWindow();
        }
        finally
        {
            if (window != null) window.Dispose(); // its context with it
            else ctx?.Dispose();
        }
    }
}
