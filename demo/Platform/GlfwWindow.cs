using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Demo.Platform;

/// <summary>The demo window through GLFW (<see cref="Glfw"/>: Debian's libglfw3), on Linux and macOS.</summary>
internal sealed class GlfwWindow : IDemoWindow
{
    readonly nint _window;

    GlfwWindow(nint window, GlContext context) => (_window, Context) = (window, context);

    public GlContext Context { get; }

    public static IDemoWindow TryOpen(int width, int height, string title, int minWidth, int minHeight, TextWriter log, out string why)
    {
        if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
        {
            why = "no display (DISPLAY and WAYLAND_DISPLAY are unset)";
            return null;
        }
        if (!Glfw.TryLoad(out why)) return null;
        if (!Glfw.Init(out why)) { why = $"GLFW could not start: {why}"; return null; }
        // 4.3 core for the gl backend's compute shaders; a driver that refuses gets 3.3 (then gl is
        // unavailable and the HUD says why: BackendChoice sees no compute).
        string refused = null;
        nint window = 0;
        foreach (var (major, minor) in new[] { (4, 3), (3, 3) })
        {
            Glfw.DefaultWindowHints();
            Glfw.WindowHint(Glfw.CONTEXT_VERSION_MAJOR, major);
            Glfw.WindowHint(Glfw.CONTEXT_VERSION_MINOR, minor);
            Glfw.WindowHint(Glfw.OPENGL_PROFILE, Glfw.OPENGL_CORE_PROFILE);
            Glfw.WindowHint(Glfw.OPENGL_FORWARD_COMPAT, Glfw.TRUE);
            window = Glfw.CreateWindow(width, height, title);
            if (window != 0) break;
            refused = $"OpenGL {major}.{minor} core: {Glfw.LastError() ?? "no reason given"}";
            log.WriteLine($"rr demo: no window with {refused}");
        }
        if (window == 0) { why = $"could not open a window ({refused})"; Glfw.Terminate(); return null; }
        Glfw.SetWindowSizeLimits(window, minWidth, minHeight, Glfw.DONT_CARE, Glfw.DONT_CARE);
        Glfw.MakeContextCurrent(window);
        Glfw.SwapInterval(1);
        why = null;
        try { return new GlfwWindow(window, GlContext.FromCurrent(Glfw.GetProcAddress)); }
        catch { Glfw.DestroyWindow(window); Glfw.Terminate(); throw; }
    }

    public bool ShouldClose => Glfw.WindowShouldClose(_window);
    public void RequestClose() => Glfw.SetWindowShouldClose(_window, true);
    public void PollEvents() => Glfw.PollEvents();
    public bool IsKeyDown(int key) => Glfw.GetKey(_window, key) == Glfw.PRESS; // WindowKeys are GLFW's codes
    public (int Width, int Height) FramebufferSize => Glfw.GetFramebufferSize(_window);
    public void SwapBuffers() => Glfw.SwapBuffers(_window);

    public void Dispose()
    {
        Context.Dispose();
        Glfw.DestroyWindow(_window);
        Glfw.Terminate();
    }
}
