using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The slice of WGL (Windows: opengl32.dll, gdi32.dll) needed for a desktop-OpenGL 4.3 core context on a window's
/// device context: a pixel format, a legacy context to fetch wglCreateContextAttribsARB, then the core context.
/// <see cref="GetProcAddress"/> is the loader a Windows host hands to <see cref="GlContext.FromCurrent"/>:
/// wglGetProcAddress knows only entry points beyond GL 1.1, opengl32.dll exports the GL 1.1 ones.
/// Signatures are blittable (handles as nint, strings as pointers), so the calls marshal nothing.
/// </summary>
internal static unsafe class Wgl
{
    const string OpenGL32 = "opengl32.dll", Gdi32 = "gdi32.dll";

    // WGL_ARB_create_context, WGL_ARB_create_context_profile
    public const int CONTEXT_MAJOR_VERSION_ARB = 0x2091, CONTEXT_MINOR_VERSION_ARB = 0x2092, CONTEXT_FLAGS_ARB = 0x2094;
    public const int CONTEXT_PROFILE_MASK_ARB = 0x9126, CONTEXT_CORE_PROFILE_BIT_ARB = 0x1, CONTEXT_DEBUG_BIT_ARB = 0x1;
    // PIXELFORMATDESCRIPTOR flags
    const uint PFD_DOUBLEBUFFER = 0x1, PFD_DRAW_TO_WINDOW = 0x4, PFD_SUPPORT_OPENGL = 0x20;

    [DllImport(OpenGL32, EntryPoint = "wglCreateContext", SetLastError = true)] public static extern nint CreateContext(nint hdc);
    [DllImport(OpenGL32, EntryPoint = "wglDeleteContext")] public static extern int DeleteContext(nint hglrc);
    [DllImport(OpenGL32, EntryPoint = "wglMakeCurrent", SetLastError = true)] public static extern int MakeCurrent(nint hdc, nint hglrc);
    [DllImport(OpenGL32, EntryPoint = "wglGetCurrentContext")] public static extern nint GetCurrentContext();
    [DllImport(OpenGL32, EntryPoint = "wglGetProcAddress")] static extern nint WglGetProcAddress(byte* name);
    [DllImport(Gdi32, EntryPoint = "ChoosePixelFormat", SetLastError = true)] static extern int ChoosePixelFormat(nint hdc, PixelFormatDescriptor* pfd);
    [DllImport(Gdi32, EntryPoint = "SetPixelFormat", SetLastError = true)] static extern int SetPixelFormat(nint hdc, int format, PixelFormatDescriptor* pfd);
    [DllImport(Gdi32, EntryPoint = "GetPixelFormat")] static extern int GetPixelFormat(nint hdc);
    /// <summary>Presents the back buffer of a double-buffered window's device context.</summary>
    [DllImport(Gdi32, EntryPoint = "SwapBuffers")] public static extern int SwapBuffers(nint hdc);

    static nint _opengl32;

    /// <summary>An entry point of the context current on this thread: wglGetProcAddress, then opengl32.dll's own export
    /// (GL 1.1 functions such as glGetString); 0 when neither has it.</summary>
    public static nint GetProcAddress(string name)
    {
        nint p = WglProc(name);
        return IsValid(p) ? p : Opengl32Export(name);
    }

    /// <summary>wglGetProcAddress signals "none" with 0, and some drivers with 1, 2, 3 or -1.</summary>
    internal static bool IsValid(nint p) => p is not (0 or 1 or 2 or 3 or -1);

    /// <summary>opengl32.dll's own export of <paramref name="name"/> (the GL 1.1 entry points), or 0.</summary>
    internal static nint Opengl32Export(string name)
    {
        if (_opengl32 == 0) _opengl32 = NativeLibrary.Load(OpenGL32);
        return NativeLibrary.TryGetExport(_opengl32, name, out nint p) ? p : 0;
    }

    static nint WglProc(string name)
    {
        if (name.Length > 127) return 0; // no GL or WGL entry point is that long
        byte* ascii = stackalloc byte[name.Length + 1];
        for (int i = 0; i < name.Length; i++) ascii[i] = (byte)name[i];
        ascii[name.Length] = 0;
        return WglGetProcAddress(ascii);
    }

    /// <summary>
    /// Sets a double-buffered RGBA8 pixel format with depth and stencil on <paramref name="hdc"/> (unless the window has one)
    /// and makes an OpenGL 4.3 core context current on it. When the driver offers no wglCreateContextAttribsARB or refuses
    /// 4.3 core, the legacy context stays (so the caller's version check can name what the driver has) and
    /// <paramref name="note"/> says why. Returns the context, or 0 with <paramref name="note"/> naming the failed call.
    /// </summary>
    public static nint CreateCoreContext(nint hdc, bool debug, out string note)
    {
        note = null;
        if (GetPixelFormat(hdc) == 0)
        {
            var pfd = new PixelFormatDescriptor
            {
                Size = (ushort)sizeof(PixelFormatDescriptor), Version = 1,
                Flags = PFD_DRAW_TO_WINDOW | PFD_SUPPORT_OPENGL | PFD_DOUBLEBUFFER,
                ColorBits = 32, AlphaBits = 8, DepthBits = 24, StencilBits = 8,
            };
            int format = ChoosePixelFormat(hdc, &pfd);
            if (format == 0) { note = $"ChoosePixelFormat found no OpenGL pixel format (Windows error {Marshal.GetLastPInvokeError()})"; return 0; }
            if (SetPixelFormat(hdc, format, &pfd) == 0) { note = $"SetPixelFormat({format}) failed (Windows error {Marshal.GetLastPInvokeError()})"; return 0; }
        }
        nint legacy = CreateContext(hdc);
        if (legacy == 0) { note = $"wglCreateContext failed (Windows error {Marshal.GetLastPInvokeError()})"; return 0; }
        if (MakeCurrent(hdc, legacy) == 0)
        {
            note = $"wglMakeCurrent failed (Windows error {Marshal.GetLastPInvokeError()})";
            DeleteContext(legacy);
            return 0;
        }
        var createAttribs = (delegate* unmanaged<nint, nint, int*, nint>)WglProc("wglCreateContextAttribsARB");
        if (!IsValid((nint)createAttribs)) { note = "the driver has no wglCreateContextAttribsARB"; return legacy; }
        int* attribs = stackalloc int[]
        {
            CONTEXT_MAJOR_VERSION_ARB, GlContext.RequiredMajor, CONTEXT_MINOR_VERSION_ARB, GlContext.RequiredMinor,
            CONTEXT_PROFILE_MASK_ARB, CONTEXT_CORE_PROFILE_BIT_ARB,
            CONTEXT_FLAGS_ARB, debug ? CONTEXT_DEBUG_BIT_ARB : 0,
            0,
        };
        nint core = createAttribs(hdc, 0, attribs);
        if (core == 0) { note = $"wglCreateContextAttribsARB refused OpenGL {GlContext.RequiredMajor}.{GlContext.RequiredMinor} core"; return legacy; }
        if (MakeCurrent(hdc, core) == 0)
        {
            note = $"wglMakeCurrent on the {GlContext.RequiredMajor}.{GlContext.RequiredMinor} core context failed (Windows error {Marshal.GetLastPInvokeError()})";
            DeleteContext(core);
            return legacy;
        }
        DeleteContext(legacy);
        return core;
    }

    /// <summary>wglSwapIntervalEXT for the current context (1 = wait for vertical blank); false when the driver lacks it.</summary>
    public static bool SwapInterval(int interval)
    {
        var f = (delegate* unmanaged<int, int>)WglProc("wglSwapIntervalEXT");
        return IsValid((nint)f) && f(interval) != 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct PixelFormatDescriptor
    {
        public ushort Size, Version;
        public uint Flags;
        public byte PixelType, ColorBits, RedBits, RedShift, GreenBits, GreenShift, BlueBits, BlueShift, AlphaBits, AlphaShift;
        public byte AccumBits, AccumRedBits, AccumGreenBits, AccumBlueBits, AccumAlphaBits, DepthBits, StencilBits, AuxBuffers;
        public byte LayerType, Reserved;
        public uint LayerMask, VisibleMask, DamageMask;
    }
}
