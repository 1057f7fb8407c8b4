using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Demo.Platform;

/// <summary>
/// The demo's window, whatever makes it: GLFW on Linux and macOS (<see cref="GlfwWindow"/>), our own Win32 + WGL layer
/// on Windows (<see cref="Win32Window"/>; no GLFW build for Windows is served here). One window per process; its GL
/// context is current on the thread that opened it, and every call comes from that thread.
/// </summary>
internal interface IDemoWindow : IDisposable
{
    /// <summary>The window's OpenGL context (4.3 core, or what the driver gave when it refused 4.3: BackendChoice then says why).</summary>
    GlContext Context { get; }
    /// <summary>True once the user closed the window (or <see cref="RequestClose"/> was called).</summary>
    bool ShouldClose { get; }
    void RequestClose();
    /// <summary>Handles the pending window events (keys, resize, close) without waiting.</summary>
    void PollEvents();
    /// <summary>Whether <paramref name="key"/> (a <see cref="WindowKeys"/> code) is held down now.</summary>
    bool IsKeyDown(int key);
    /// <summary>The drawable size in pixels; 0×0 while minimised.</summary>
    (int Width, int Height) FramebufferSize { get; }
    /// <summary>Presents the frame (waits for the vertical blank: vsync is on).</summary>
    void SwapBuffers();
}

/// <summary>Key codes of <see cref="IDemoWindow.IsKeyDown"/>: a digit or letter is its ASCII code ('1', 'Q'), Space is 32,
/// the others take GLFW's numbers (so GLFW passes codes through; Win32 maps them to virtual keys).</summary>
internal static class WindowKeys
{
    public const int Space = 32, Escape = 256, F12 = 301;
}

internal static class DemoWindow
{
    /// <summary>Opens the platform's window with an OpenGL 4.3 core context (or what the driver gives), vsync on, never
    /// smaller than <paramref name="minWidth"/>×<paramref name="minHeight"/>; null with <paramref name="why"/> when it cannot.</summary>
    public static IDemoWindow TryOpen(int width, int height, string title, int minWidth, int minHeight, TextWriter log, out string why) =>
        OperatingSystem.IsWindows()
            ? Win32Window.TryOpen(width, height, title, minWidth, minHeight, log, out why)
            : GlfwWindow.TryOpen(width, height, title, minWidth, minHeight, log, out why);
}
