using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The slice of EGL 1.5 (libEGL.so.1, glvnd or Mesa) needed for a headless desktop-OpenGL context:
/// platform displays (EGL_MESA_platform_surfaceless, EGL_EXT_platform_device), config choice,
/// context creation with a version/profile request, surfaceless or 1×1-pbuffer MakeCurrent.
/// Extension entry points are resolved with eglGetProcAddress and may be absent (null checks).
/// </summary>
internal static unsafe class Egl
{
    const string Lib = "libEGL.so.1";

    public const int NONE = 0x3038, SUCCESS = 0x3000, TRUE = 1, FALSE = 0;
    public const int SURFACE_TYPE = 0x3033, PBUFFER_BIT = 0x0001, RENDERABLE_TYPE = 0x3040, OPENGL_BIT = 0x0008;
    public const int RED_SIZE = 0x3024, GREEN_SIZE = 0x3023, BLUE_SIZE = 0x3022, ALPHA_SIZE = 0x3021;
    public const int WIDTH = 0x3057, HEIGHT = 0x3056;
    public const int OPENGL_API = 0x30A2;
    public const int CONTEXT_MAJOR_VERSION = 0x3098, CONTEXT_MINOR_VERSION = 0x30FB;
    public const int CONTEXT_OPENGL_PROFILE_MASK = 0x30FD, CONTEXT_OPENGL_CORE_PROFILE_BIT = 0x1;
    public const int CONTEXT_OPENGL_DEBUG = 0x31B0;
    public const int EXTENSIONS = 0x3055, VENDOR = 0x3053, VERSION = 0x3054, CLIENT_APIS = 0x308D;
    public const int PLATFORM_DEVICE_EXT = 0x313F, PLATFORM_SURFACELESS_MESA = 0x31DD;

    [DllImport(Lib, EntryPoint = "eglGetDisplay")] public static extern nint GetDisplay(nint nativeDisplay);
    [DllImport(Lib, EntryPoint = "eglInitialize")] public static extern int Initialize(nint display, out int major, out int minor);
    [DllImport(Lib, EntryPoint = "eglTerminate")] public static extern int Terminate(nint display);
    [DllImport(Lib, EntryPoint = "eglQueryString")] public static extern nint QueryStringPtr(nint display, int name);
    [DllImport(Lib, EntryPoint = "eglBindAPI")] public static extern int BindAPI(int api);
    [DllImport(Lib, EntryPoint = "eglChooseConfig")] public static extern int ChooseConfig(nint display, int* attribs, nint* configs, int configSize, out int numConfig);
    [DllImport(Lib, EntryPoint = "eglCreateContext")] public static extern nint CreateContext(nint display, nint config, nint shareContext, int* attribs);
    [DllImport(Lib, EntryPoint = "eglDestroyContext")] public static extern int DestroyContext(nint display, nint context);
    [DllImport(Lib, EntryPoint = "eglCreatePbufferSurface")] public static extern nint CreatePbufferSurface(nint display, nint config, int* attribs);
    [DllImport(Lib, EntryPoint = "eglDestroySurface")] public static extern int DestroySurface(nint display, nint surface);
    [DllImport(Lib, EntryPoint = "eglMakeCurrent")] public static extern int MakeCurrent(nint display, nint draw, nint read, nint context);
    [DllImport(Lib, EntryPoint = "eglGetCurrentContext")] public static extern nint GetCurrentContext();
    [DllImport(Lib, EntryPoint = "eglGetError")] public static extern int GetError();
    [DllImport(Lib, EntryPoint = "eglGetProcAddress")] public static extern nint GetProcAddress([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Lib, EntryPoint = "eglReleaseThread")] public static extern int ReleaseThread();

    public static string QueryString(nint display, int name) => Marshal.PtrToStringUTF8(QueryStringPtr(display, name));

    /// <summary>eglGetPlatformDisplayEXT (EGL_EXT_platform_base), or 0 when the loader lacks it.</summary>
    public static nint GetPlatformDisplayEXT(int platform, nint nativeDisplay)
    {
        var f = (delegate* unmanaged<int, nint, int*, nint>)GetProcAddress("eglGetPlatformDisplayEXT");
        return f == null ? 0 : f(platform, nativeDisplay, null);
    }

    /// <summary>eglQueryDevicesEXT (EGL_EXT_device_enumeration): the devices a device-platform display can open.</summary>
    public static nint[] QueryDevicesEXT()
    {
        var f = (delegate* unmanaged<int, nint*, int*, int>)GetProcAddress("eglQueryDevicesEXT");
        if (f == null) return Array.Empty<nint>();
        int n = 0;
        if (f(0, null, &n) == FALSE || n <= 0) return Array.Empty<nint>();
        var devices = new nint[n];
        fixed (nint* p = devices) f(n, p, &n);
        return devices.AsSpan(0, n).ToArray();
    }

    public static string ErrorName(int e) => e switch
    {
        0x3000 => "EGL_SUCCESS", 0x3001 => "EGL_NOT_INITIALIZED", 0x3002 => "EGL_BAD_ACCESS",
        0x3003 => "EGL_BAD_ALLOC", 0x3004 => "EGL_BAD_ATTRIBUTE", 0x3005 => "EGL_BAD_CONFIG",
        0x3006 => "EGL_BAD_CONTEXT", 0x3007 => "EGL_BAD_CURRENT_SURFACE", 0x3008 => "EGL_BAD_DISPLAY",
        0x3009 => "EGL_BAD_MATCH", 0x300A => "EGL_BAD_NATIVE_PIXMAP", 0x300B => "EGL_BAD_NATIVE_WINDOW",
        0x300C => "EGL_BAD_PARAMETER", 0x300D => "EGL_BAD_SURFACE", 0x300E => "EGL_CONTEXT_LOST",
        _ => $"0x{e:X}",
    };
}
