using System.Runtime.InteropServices;
using static ResNetRealtime.Runtime.Gl.User32;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// Headless OpenGL on Windows: WGL has no windowless context, so a hidden 16×16 window (never shown, never pumped:
/// no message reaches it that needs an answer) lends its device context to <see cref="Wgl.CreateCoreContext"/>.
/// The window belongs to the creating thread; the context can be made current on any thread.
/// </summary>
internal sealed unsafe class WglPlatform : GlPlatform
{
    const string ClassName = "ResNetRealtime.GlContext";


    static readonly object ClassGate = new();
    static bool _classRegistered;

    public override string Name => "WGL";
    public override string NoComputeFix => "update the GPU driver (the gl backend needs OpenGL 4.3) or set the options' Backend = Backend.OrtCpu";

    public override Func<string, nint> HostLoader(Func<string, nint> hostLoader) =>
        name => hostLoader(name) is var p && Wgl.IsValid(p) ? p : Wgl.Opengl32Export(name);

    public override NativeContext CreateHeadless(bool debug)
    {
        nint instance = GetModuleHandleW(null);
        RegisterClass(instance);
        nint hwnd;
        fixed (char* cls = ClassName)
        fixed (char* title = "rr gl")
            hwnd = CreateWindowExW(0, cls, title, WS_OVERLAPPEDWINDOW | WS_CLIPSIBLINGS | WS_CLIPCHILDREN, 0, 0, 16, 16, 0, 0, instance, 0);
        if (hwnd == 0)
            throw new GlException($"could not create the hidden window an OpenGL context needs on Windows (CreateWindowExW failed, Windows error {Marshal.GetLastPInvokeError()}); " +
                (IsWine() ? "under Wine, OpenGL needs an X display: set DISPLAY (e.g. run under xvfb-run)" : "run the app in a desktop session") + ", or set the options' Backend = Backend.OrtCpu");
        nint hdc = GetDC(hwnd);
        string note = "GetDC failed";
        nint hglrc = hdc == 0 ? 0 : Wgl.CreateCoreContext(hdc, debug, out note);
        if (hglrc == 0)
        {
            if (hdc != 0) ReleaseDC(hwnd, hdc);
            DestroyWindow(hwnd);
            throw new GlException($"could not create an OpenGL context through WGL ({note}); update the GPU driver (the gl backend needs OpenGL 4.3) or set the options' Backend = Backend.OrtCpu");
        }
        return new Context(hwnd, hdc, hglrc);
    }

    static void RegisterClass(nint instance)
    {
        lock (ClassGate)
        {
            if (_classRegistered) return;
            // The window is never pumped, so DefWindowProcW itself is its window procedure: no managed callback.
            nint defWindowProc = NativeLibrary.GetExport(NativeLibrary.Load(User32.Dll), "DefWindowProcW");
            fixed (char* cls = ClassName)
            {
                var wc = new WndClassEx { Size = (uint)sizeof(WndClassEx), Style = CS_OWNDC, WndProc = defWindowProc, Instance = instance, ClassName = cls };
                if (RegisterClassExW(&wc) == 0 && Marshal.GetLastPInvokeError() is var e && e != ERROR_CLASS_ALREADY_EXISTS)
                    throw new GlException($"could not register the window class for an OpenGL context (RegisterClassExW failed, Windows error {e}); set the options' Backend = Backend.OrtCpu");
            }
            _classRegistered = true;
        }
    }

    /// <summary>True under Wine (its ntdll exports wine_get_version), where a missing X display is the usual cause.</summary>
    static bool IsWine() =>
        NativeLibrary.TryLoad("ntdll.dll", out nint ntdll) && NativeLibrary.TryGetExport(ntdll, "wine_get_version", out _);

    sealed class Context : NativeContext
    {
        readonly nint _hwnd, _hdc, _hglrc;

        public Context(nint hwnd, nint hdc, nint hglrc) => (_hwnd, _hdc, _hglrc) = (hwnd, hdc, hglrc);

        public override string Kind => "WGL hidden window";
        public override nint GetProcAddress(string name) => Wgl.GetProcAddress(name);

        public override void MakeCurrent()
        {
            if (Wgl.GetCurrentContext() == _hglrc) return;
            if (Wgl.MakeCurrent(_hdc, _hglrc) == 0)
                throw new GlException($"wglMakeCurrent failed (Windows error {Marshal.GetLastPInvokeError()}); is the context current on another thread?");
        }

        public override void ReleaseCurrent() => Wgl.MakeCurrent(0, 0);

        public override void Dispose()
        {
            if (Wgl.GetCurrentContext() == _hglrc) Wgl.MakeCurrent(0, 0);
            Wgl.DeleteContext(_hglrc);
            ReleaseDC(_hwnd, _hdc);
            DestroyWindow(_hwnd); // fails harmlessly off the creating thread; the window then goes with the process
        }
    }
}
