using ResNetRealtime.Demo.Platform;
using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// The window host: opens the GLFW window with an OpenGL 4.3 core context (3.3 when the driver refuses; then gl is
/// unavailable and the HUD says why), or, without a display or when asked, a headless EGL context; then runs the
/// frame loop (<see cref="DemoRunner"/>) in it and tears both down.
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
        if (!headless)
        {
            if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
                why = "no display (DISPLAY and WAYLAND_DISPLAY are unset)";
            else if (!Glfw.TryLoad(out var e)) why = e;
            else if (!Glfw.Init(out e)) why = $"GLFW could not start: {e}";
        }
        nint window = 0;
        GlContext ctx = null;
        if (!headless && why == null)
        {
            // 4.3 core for the gl backend's compute shaders; a driver that refuses gets 3.3 (then gl is
            // unavailable and the HUD says why: BackendChoice sees no compute).
            string refused = null;
            foreach (var (major, minor) in new[] { (4, 3), (3, 3) })
            {
                Glfw.DefaultWindowHints();
                Glfw.WindowHint(Glfw.CONTEXT_VERSION_MAJOR, major);
                Glfw.WindowHint(Glfw.CONTEXT_VERSION_MINOR, minor);
                Glfw.WindowHint(Glfw.OPENGL_PROFILE, Glfw.OPENGL_CORE_PROFILE);
                Glfw.WindowHint(Glfw.OPENGL_FORWARD_COMPAT, Glfw.TRUE);
                window = Glfw.CreateWindow(o.Width, o.Height, "rr demo — ResNet realtime");
                if (window != 0) break;
                refused = $"OpenGL {major}.{minor} core: {Glfw.LastError() ?? "no reason given"}";
                log.WriteLine($"rr demo: no window with {refused}");
            }
            if (window == 0) { why = $"could not open a window ({refused})"; Glfw.Terminate(); }
            else
            {
                Glfw.SetWindowSizeLimits(window, Hud.MinWidth, Hud.MinHeight, Glfw.DONT_CARE, Glfw.DONT_CARE);
                Glfw.MakeContextCurrent(window);
                Glfw.SwapInterval(1);
                ctx = GlContext.FromCurrent(Glfw.GetProcAddress);
            }
        }
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
            ctx?.Dispose();
            if (window != 0) { Glfw.DestroyWindow(window); Glfw.Terminate(); }
        }
    }
}
