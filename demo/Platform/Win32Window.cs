using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using static ResNetRealtime.Runtime.Gl.User32;

namespace ResNetRealtime.Demo.Platform;

/// <summary>
/// The demo window on Windows through our own thin Win32 layer (user32) and the runtime's <see cref="Wgl"/>: a resizable
/// window with a WGL 4.3 core context, keys tracked from WM_KEYDOWN/WM_KEYUP, the close box and Alt+F4 as
/// <see cref="ShouldClose"/>, a minimum size through WM_GETMINMAXINFO, vsync through wglSwapIntervalEXT.
/// The window procedure is an unmanaged-callable static (blittable arguments, nothing marshalled, never throws); it
/// reaches the one open window through a static, since the demo opens one window per process.
/// </summary>
internal sealed unsafe class Win32Window : IDemoWindow
{
    const string User32 = "user32.dll";
    const string ClassName = "ResNetRealtime.Demo";
    const uint CS_VREDRAW = 0x1, CS_HREDRAW = 0x2;
    const int CW_USEDEFAULT = unchecked((int)0x80000000), SW_SHOWNORMAL = 1, IDC_ARROW = 32512;
    const uint WM_CLOSE = 0x0010, WM_QUIT = 0x0012, WM_KILLFOCUS = 0x0008, WM_GETMINMAXINFO = 0x0024;
    const uint WM_KEYDOWN = 0x0100, WM_KEYUP = 0x0101, WM_SYSKEYDOWN = 0x0104, WM_SYSKEYUP = 0x0105, PM_REMOVE = 0x1;
    const int VK_ESCAPE = 0x1B, VK_F12 = 0x7B;
    const uint Style = WS_OVERLAPPEDWINDOW | WS_CLIPSIBLINGS | WS_CLIPCHILDREN;

    [DllImport(User32)] static extern int ShowWindow(nint hwnd, int cmd);
    [DllImport(User32)] static extern nint DefWindowProcW(nint hwnd, uint msg, nint wParam, nint lParam);
    [DllImport(User32)] static extern int PeekMessageW(Msg* msg, nint hwnd, uint min, uint max, uint remove);
    [DllImport(User32)] static extern int TranslateMessage(Msg* msg);
    [DllImport(User32)] static extern nint DispatchMessageW(Msg* msg);
    [DllImport(User32)] static extern int GetClientRect(nint hwnd, Rect* rect);
    [DllImport(User32)] static extern int AdjustWindowRectEx(Rect* rect, uint style, int menu, uint exStyle);
    [DllImport(User32)] static extern nint LoadCursorW(nint instance, nint name);

    static Win32Window _open;

    nint _hwnd, _hdc, _hglrc;
    readonly bool[] _down = new bool[256];
    bool _close;
    int _minTrackWidth, _minTrackHeight;

    public GlContext Context { get; private set; }

    public static IDemoWindow TryOpen(int width, int height, string title, int minWidth, int minHeight, TextWriter log, out string why)
    {
        if (_open != null) throw new InvalidOperationException("the demo opens one window per process, and one is open");
        var w = new Win32Window();
        try { why = w.Open(width, height, title, minWidth, minHeight, log); }
        catch { w.Dispose(); throw; }
        if (why == null) return w;
        w.Dispose();
        return null;
    }

    /// <summary>Creates, shows and makes current the window and its context; null on success, else why not.</summary>
    string Open(int width, int height, string title, int minWidth, int minHeight, TextWriter log)
    {
        _open = this; // WM_GETMINMAXINFO arrives inside CreateWindowExW
        (_minTrackWidth, _minTrackHeight) = OuterSize(minWidth, minHeight);
        nint instance = GetModuleHandleW(null);
        fixed (char* cls = ClassName)
        {
            var wc = new WndClassEx
            {
                Size = (uint)sizeof(WndClassEx), Style = CS_OWNDC | CS_HREDRAW | CS_VREDRAW,
                WndProc = (nint)(delegate* unmanaged<nint, uint, nint, nint, nint>)&WndProc,
                Instance = instance, Cursor = LoadCursorW(0, IDC_ARROW), ClassName = cls,
            };
            if (RegisterClassExW(&wc) == 0 && Marshal.GetLastPInvokeError() is var e && e != ERROR_CLASS_ALREADY_EXISTS)
                return $"could not open a window (RegisterClassExW failed, Windows error {e})";
            var (outerWidth, outerHeight) = OuterSize(width, height);
            fixed (char* t = title)
                _hwnd = CreateWindowExW(0, cls, t, Style, CW_USEDEFAULT, CW_USEDEFAULT, outerWidth, outerHeight, 0, 0, instance, 0);
        }
        if (_hwnd == 0) return $"could not open a window (CreateWindowExW failed, Windows error {Marshal.GetLastPInvokeError()})";
        _hdc = GetDC(_hwnd);
        if (_hdc == 0) return "could not open a window (GetDC failed)";
        _hglrc = Wgl.CreateCoreContext(_hdc, debug: false, out string note);
        if (_hglrc == 0) return $"could not open a window with OpenGL ({note}); update the GPU driver";
        if (note != null) log.WriteLine($"rr demo: no window with OpenGL {GlContext.RequiredMajor}.{GlContext.RequiredMinor} core: {note}");
        Wgl.SwapInterval(1);
        Context = GlContext.FromCurrent(Wgl.GetProcAddress);
        ShowWindow(_hwnd, SW_SHOWNORMAL);
        return null;
    }

    /// <summary>The window size whose client area is <paramref name="width"/>×<paramref name="height"/> (frame and title bar added).</summary>
    static (int, int) OuterSize(int width, int height)
    {
        var r = new Rect { Right = width, Bottom = height };
        AdjustWindowRectEx(&r, Style, 0, 0);
        return (r.Right - r.Left, r.Bottom - r.Top);
    }

    [UnmanagedCallersOnly]
    static nint WndProc(nint hwnd, uint msg, nint wParam, nint lParam)
    {
        var w = _open;
        if (w != null)
            switch (msg)
            {
                case WM_CLOSE: w._close = true; return 0; // the loop ends and Dispose destroys the window
                case WM_KEYDOWN or WM_SYSKEYDOWN when (nuint)wParam < 256: w._down[wParam] = true; break;
                case WM_KEYUP or WM_SYSKEYUP when (nuint)wParam < 256: w._down[wParam] = false; break;
                case WM_KILLFOCUS: Array.Clear(w._down); break; // a key released in another window never sends its WM_KEYUP here
                case WM_GETMINMAXINFO:
                    var info = (MinMaxInfo*)lParam;
                    info->MinTrackWidth = w._minTrackWidth;
                    info->MinTrackHeight = w._minTrackHeight;
                    return 0;
            }
        return DefWindowProcW(hwnd, msg, wParam, lParam); // also turns Alt+F4 into WM_CLOSE
    }

    public bool ShouldClose => _close;
    public void RequestClose() => _close = true;

    public void PollEvents()
    {
        Msg m;
        while (PeekMessageW(&m, 0, 0, 0, PM_REMOVE) != 0)
        {
            if (m.Message == WM_QUIT) { _close = true; continue; }
            TranslateMessage(&m);
            DispatchMessageW(&m);
        }
    }

    public bool IsKeyDown(int key) => _down[key switch { WindowKeys.Escape => VK_ESCAPE, WindowKeys.F12 => VK_F12, _ => key & 0xFF }];

    public (int Width, int Height) FramebufferSize
    {
        get
        {
            Rect r;
            GetClientRect(_hwnd, &r);
            return (r.Right - r.Left, r.Bottom - r.Top);
        }
    }

    public void SwapBuffers() => Wgl.SwapBuffers(_hdc);

    public void Dispose()
    {
        Context?.Dispose();
        if (_hglrc != 0)
        {
            Wgl.MakeCurrent(0, 0);
            Wgl.DeleteContext(_hglrc);
        }
        if (_hdc != 0) ReleaseDC(_hwnd, _hdc);
        if (_hwnd != 0) DestroyWindow(_hwnd);
        _hglrc = _hdc = _hwnd = 0;
        _open = null;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Msg
    {
        public nint Hwnd;
        public uint Message;
        public nint WParam, LParam;
        public uint Time;
        public int X, Y;
        public uint Private;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Rect { public int Left, Top, Right, Bottom; }

    /// <summary>MINMAXINFO: ptReserved, ptMaxSize, ptMaxPosition, ptMinTrackSize, ptMaxTrackSize.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct MinMaxInfo
    {
        public int ReservedX, ReservedY, MaxWidth, MaxHeight, MaxX, MaxY, MinTrackWidth, MinTrackHeight, MaxTrackWidth, MaxTrackHeight;
    }
}
