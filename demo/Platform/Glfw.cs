using System.Runtime.InteropServices;

namespace ResNetRealtime.Demo.Platform;

/// <summary>
/// The slice of GLFW 3.3 (Debian libglfw3, libglfw.so.3) the demo's <see cref="GlfwWindow"/> uses: init, one window with a
/// core-profile OpenGL context, events, keys, framebuffer size, proc addresses.
/// Loaded lazily through NativeLibrary so a missing library becomes one clear message
/// (<see cref="TryLoad"/>) instead of a DllNotFoundException in the middle of a frame.
/// All calls must come from the main thread (GLFW's rule).
/// </summary>
public static unsafe class Glfw
{
    public const int TRUE = 1, FALSE = 0;
    public const int CONTEXT_VERSION_MAJOR = 0x00022002, CONTEXT_VERSION_MINOR = 0x00022003;
    public const int OPENGL_PROFILE = 0x00022008, OPENGL_CORE_PROFILE = 0x00032001, OPENGL_FORWARD_COMPAT = 0x00022006;
    public const int VISIBLE = 0x00020004, RESIZABLE = 0x00020003, SAMPLES = 0x0002100D;
    public const int PRESS = 1, RELEASE = 0, REPEAT = 2;
    // Key codes: GLFW_KEY_* are WindowKeys' codes (ASCII for digits and letters, 256 Escape, 301 F12).

    static nint _lib;
    static string _loadError;

    static delegate* unmanaged<int> _init;
    static delegate* unmanaged<void> _terminate;
    static delegate* unmanaged<int, int, void> _windowHint;
    static delegate* unmanaged<void> _defaultWindowHints;
    static delegate* unmanaged<int, int, byte*, nint, nint, nint> _createWindow;
    static delegate* unmanaged<nint, void> _destroyWindow;
    static delegate* unmanaged<nint, void> _makeContextCurrent;
    static delegate* unmanaged<byte*, nint> _getProcAddress;
    static delegate* unmanaged<nint, void> _swapBuffers;
    static delegate* unmanaged<int, void> _swapInterval;
    static delegate* unmanaged<void> _pollEvents;
    static delegate* unmanaged<nint, int> _windowShouldClose;
    static delegate* unmanaged<nint, int, void> _setWindowShouldClose;
    static delegate* unmanaged<nint, int, int> _getKey;
    static delegate* unmanaged<nint, int*, int*, void> _getFramebufferSize;
    static delegate* unmanaged<nint, byte*, void> _setWindowTitle;
    static delegate* unmanaged<byte**, int> _getError;
    static delegate* unmanaged<double> _getTime;
    static delegate* unmanaged<nint, int, int, int, int, void> _setWindowSizeLimits;

    /// <summary>Loads libglfw once; false (with <paramref name="error"/>) when the library or an entry point is missing.</summary>
    public static bool TryLoad(out string error)
    {
        if (_lib != 0) { error = null; return true; }
        if (_loadError != null) { error = _loadError; return false; }
        string[] names = OperatingSystem.IsWindows() ? new[] { "glfw3.dll", "glfw.dll" }
            : OperatingSystem.IsMacOS() ? new[] { "libglfw.3.dylib", "libglfw.dylib" }
            : new[] { "libglfw.so.3", "libglfw.so" };
        nint lib = 0;
        foreach (var n in names) if (NativeLibrary.TryLoad(n, out lib)) break;
        if (lib == 0)
        {
            error = _loadError = $"GLFW is not installed ({string.Join(" / ", names)} not found; on Debian: apt-get install libglfw3)";
            return false;
        }
        try
        {
            nint F(string s) => NativeLibrary.GetExport(lib, s);
            _init = (delegate* unmanaged<int>)F("glfwInit");
            _terminate = (delegate* unmanaged<void>)F("glfwTerminate");
            _windowHint = (delegate* unmanaged<int, int, void>)F("glfwWindowHint");
            _defaultWindowHints = (delegate* unmanaged<void>)F("glfwDefaultWindowHints");
            _createWindow = (delegate* unmanaged<int, int, byte*, nint, nint, nint>)F("glfwCreateWindow");
            _destroyWindow = (delegate* unmanaged<nint, void>)F("glfwDestroyWindow");
            _makeContextCurrent = (delegate* unmanaged<nint, void>)F("glfwMakeContextCurrent");
            _getProcAddress = (delegate* unmanaged<byte*, nint>)F("glfwGetProcAddress");
            _swapBuffers = (delegate* unmanaged<nint, void>)F("glfwSwapBuffers");
            _swapInterval = (delegate* unmanaged<int, void>)F("glfwSwapInterval");
            _pollEvents = (delegate* unmanaged<void>)F("glfwPollEvents");
            _windowShouldClose = (delegate* unmanaged<nint, int>)F("glfwWindowShouldClose");
            _setWindowShouldClose = (delegate* unmanaged<nint, int, void>)F("glfwSetWindowShouldClose");
            _getKey = (delegate* unmanaged<nint, int, int>)F("glfwGetKey");
            _getFramebufferSize = (delegate* unmanaged<nint, int*, int*, void>)F("glfwGetFramebufferSize");
            _setWindowTitle = (delegate* unmanaged<nint, byte*, void>)F("glfwSetWindowTitle");
            _getError = (delegate* unmanaged<byte**, int>)F("glfwGetError");
            _getTime = (delegate* unmanaged<double>)F("glfwGetTime");
            _setWindowSizeLimits = (delegate* unmanaged<nint, int, int, int, int, void>)F("glfwSetWindowSizeLimits");
        }
        catch (EntryPointNotFoundException e)
        {
            NativeLibrary.Free(lib);
            error = _loadError = $"the GLFW library found is older than 3.3 ({e.Message})";
            return false;
        }
        _lib = lib;
        error = null;
        return true;
    }

    static void Need() { if (_lib == 0 && !TryLoad(out var e)) throw new InvalidOperationException(e); }

    /// <summary>glfwInit; false with GLFW's own description (e.g. "X11: The DISPLAY environment variable is missing").</summary>
    public static bool Init(out string error)
    {
        Need();
        if (_init() == TRUE) { error = null; return true; }
        error = LastError() ?? "glfwInit failed";
        return false;
    }

    public static string LastError()
    {
        Need();
        byte* desc = null;
        int code = _getError(&desc);
        return code == 0 ? null : $"{Marshal.PtrToStringUTF8((nint)desc)} (GLFW error 0x{code:X})";
    }

    public static void Terminate() { if (_lib != 0) _terminate(); }
    public static void DefaultWindowHints() { Need(); _defaultWindowHints(); }
    public static void WindowHint(int hint, int value) { Need(); _windowHint(hint, value); }

    public static nint CreateWindow(int width, int height, string title)
    {
        Need();
        var t = System.Text.Encoding.UTF8.GetBytes(title + "\0");
        fixed (byte* p = t) return _createWindow(width, height, p, 0, 0);
    }

    public static void DestroyWindow(nint window) => _destroyWindow(window);
    public static void MakeContextCurrent(nint window) => _makeContextCurrent(window);
    public static nint GetProcAddress(string name)
    {
        var t = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = t) return _getProcAddress(p);
    }
    public static void SwapBuffers(nint window) => _swapBuffers(window);
    public static void SwapInterval(int interval) => _swapInterval(interval);
    public static void PollEvents() => _pollEvents();
    public static bool WindowShouldClose(nint window) => _windowShouldClose(window) != 0;
    public const int DONT_CARE = -1;
    public static void SetWindowSizeLimits(nint window, int minWidth, int minHeight, int maxWidth, int maxHeight) =>
        _setWindowSizeLimits(window, minWidth, minHeight, maxWidth, maxHeight);
    public static void SetWindowShouldClose(nint window, bool value) => _setWindowShouldClose(window, value ? 1 : 0);
    public static int GetKey(nint window, int key) => _getKey(window, key);
    public static (int Width, int Height) GetFramebufferSize(nint window)
    {
        int w, h;
        _getFramebufferSize(window, &w, &h);
        return (w, h);
    }
    public static void SetWindowTitle(nint window, string title)
    {
        var t = System.Text.Encoding.UTF8.GetBytes(title + "\0");
        fixed (byte* p = t) _setWindowTitle(window, p);
    }
    public static double GetTime() => _getTime();
}
