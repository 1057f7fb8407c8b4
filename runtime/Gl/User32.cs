using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>The Win32 window calls a WGL context needs (the runtime's hidden window, the demo's visible one): one
/// declaration of each, shared with the demo as a friend assembly.</summary>
internal static unsafe class User32
{
    public const string Dll = "user32.dll";
    public const int ERROR_CLASS_ALREADY_EXISTS = 1410;
    public const uint CS_OWNDC = 0x20, WS_OVERLAPPEDWINDOW = 0x00CF0000, WS_CLIPSIBLINGS = 0x04000000, WS_CLIPCHILDREN = 0x02000000;

    [DllImport(Dll, SetLastError = true)] public static extern ushort RegisterClassExW(WndClassEx* wc);
    [DllImport(Dll, SetLastError = true)]
    public static extern nint CreateWindowExW(uint exStyle, char* className, char* title, uint style, int x, int y, int width, int height,
        nint parent, nint menu, nint instance, nint param);
    [DllImport(Dll)] public static extern int DestroyWindow(nint hwnd);
    [DllImport(Dll)] public static extern nint GetDC(nint hwnd);
    [DllImport(Dll)] public static extern int ReleaseDC(nint hwnd, nint hdc);
    [DllImport("kernel32.dll")] public static extern nint GetModuleHandleW(char* name);

    /// <summary>WNDCLASSEXW.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WndClassEx
    {
        public uint Size, Style;
        public nint WndProc;
        public int ClassExtra, WindowExtra;
        public nint Instance, Icon, Cursor, Background;
        public char* MenuName, ClassName;
        public nint IconSmall;
    }
}
