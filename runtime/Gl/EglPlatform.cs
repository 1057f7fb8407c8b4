namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// Headless desktop-OpenGL contexts through EGL (Linux: libEGL.so.1, glvnd or Mesa). Tries, in order:
/// EGL_MESA_platform_surfaceless (no X, no DRM needed — what llvmpipe in CI uses), each EGL device
/// (EGL_EXT_platform_device: real GPUs on headless servers), then the default display with a 1×1 pbuffer.
/// Requests 4.3 core first, then the highest the driver gives (so the error can name the version found).
/// </summary>
internal sealed class EglPlatform : GlPlatform
{
    public override string Name => "EGL";
    public override string NoComputeFix => "set the options' Backend = Backend.OrtCpu";

    public override NativeContext CreateHeadless(bool debug)
    {
        var failures = new List<string>();
        nint display;
        try { display = Egl.GetPlatformDisplayEXT(Egl.PLATFORM_SURFACELESS_MESA, 0); }
        catch (DllNotFoundException e)
        {
            throw new GlException($"cannot load libEGL.so.1 ({e.Message}); install libegl1 and libgl1-mesa-dri (Debian) or a GPU driver's EGL");
        }
        if (display != 0 && TryCreate(display, "surfaceless", debug, failures) is { } s) return s;
        if (display == 0) failures.Add("surfaceless: EGL_MESA_platform_surfaceless not offered");
        foreach (var device in Egl.QueryDevicesEXT())
        {
            nint d = Egl.GetPlatformDisplayEXT(Egl.PLATFORM_DEVICE_EXT, device);
            if (d != 0 && TryCreate(d, "device", debug, failures) is { } c) return c;
        }
        nint def = Egl.GetDisplay(0);
        if (def != 0 && TryCreate(def, "default+pbuffer", debug, failures) is { } p) return p;
        throw new GlException("could not create a headless OpenGL context through EGL: " + string.Join("; ", failures));
    }

    static unsafe Context TryCreate(nint display, string kind, bool debug, List<string> failures)
    {
        if (Egl.Initialize(display, out int eglMajor, out int eglMinor) == Egl.FALSE)
        {
            failures.Add($"{kind}: eglInitialize failed ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        string apis = Egl.QueryString(display, Egl.CLIENT_APIS) ?? "";
        if (!apis.Contains("OpenGL", StringComparison.Ordinal) || apis.Replace("OpenGL_ES", "").IndexOf("OpenGL", StringComparison.Ordinal) < 0)
        {
            failures.Add($"{kind}: EGL {eglMajor}.{eglMinor} offers client APIs '{apis}', no desktop OpenGL");
            return null; // do not terminate: other users of this display (same process) may share it
        }
        if (Egl.BindAPI(Egl.OPENGL_API) == Egl.FALSE)
        {
            failures.Add($"{kind}: eglBindAPI(EGL_OPENGL_API) failed ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        bool surfaceless = (Egl.QueryString(display, Egl.EXTENSIONS) ?? "").Contains("EGL_KHR_surfaceless_context", StringComparison.Ordinal);
        int* cfgAttribs = stackalloc int[]
        {
            Egl.SURFACE_TYPE, surfaceless ? 0 : Egl.PBUFFER_BIT,
            Egl.RENDERABLE_TYPE, Egl.OPENGL_BIT,
            Egl.RED_SIZE, 8, Egl.GREEN_SIZE, 8, Egl.BLUE_SIZE, 8, Egl.ALPHA_SIZE, 8,
            Egl.NONE,
        };
        nint config;
        if (Egl.ChooseConfig(display, cfgAttribs, &config, 1, out int n) == Egl.FALSE || n == 0)
        {
            failures.Add($"{kind}: no EGL config with OpenGL ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        // First the version we need; then "whatever you have" (compatibility, no version) so that the
        // error can say which version the driver offers instead of just "failed".
        int* ctxAttribs = stackalloc int[]
        {
            Egl.CONTEXT_MAJOR_VERSION, GlContext.RequiredMajor, Egl.CONTEXT_MINOR_VERSION, GlContext.RequiredMinor,
            Egl.CONTEXT_OPENGL_PROFILE_MASK, Egl.CONTEXT_OPENGL_CORE_PROFILE_BIT,
            Egl.CONTEXT_OPENGL_DEBUG, debug ? 1 : 0,
            Egl.NONE,
        };
        nint context = Egl.CreateContext(display, config, 0, ctxAttribs);
        if (context == 0) context = Egl.CreateContext(display, config, 0, null);
        if (context == 0)
        {
            failures.Add($"{kind}: eglCreateContext failed ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        nint surface = 0;
        if (!surfaceless)
        {
            int* pbAttribs = stackalloc int[] { Egl.WIDTH, 1, Egl.HEIGHT, 1, Egl.NONE };
            surface = Egl.CreatePbufferSurface(display, config, pbAttribs);
            if (surface == 0)
            {
                failures.Add($"{kind}: eglCreatePbufferSurface failed ({Egl.ErrorName(Egl.GetError())})");
                Egl.DestroyContext(display, context);
                return null;
            }
        }
        if (Egl.MakeCurrent(display, surface, surface, context) == Egl.FALSE)
        {
            failures.Add($"{kind}: eglMakeCurrent failed ({Egl.ErrorName(Egl.GetError())})");
            if (surface != 0) Egl.DestroySurface(display, surface);
            Egl.DestroyContext(display, context);
            return null;
        }
        return new Context(display, context, surface, kind);
    }

    sealed class Context : NativeContext
    {
        readonly nint _display, _context, _surface;
        readonly string _kind;

        public Context(nint display, nint context, nint surface, string kind) => (_display, _context, _surface, _kind) = (display, context, surface, kind);

        public override string Kind => _kind;
        public override nint GetProcAddress(string name) => Egl.GetProcAddress(name);

        public override void MakeCurrent()
        {
            if (Egl.GetCurrentContext() == _context) return;
            Egl.BindAPI(Egl.OPENGL_API);
            if (Egl.MakeCurrent(_display, _surface, _surface, _context) == Egl.FALSE)
                throw new GlException($"eglMakeCurrent failed ({Egl.ErrorName(Egl.GetError())}); is the context current on another thread?");
        }

        public override void ReleaseCurrent() => Egl.MakeCurrent(_display, 0, 0, 0);

        public override void Dispose()
        {
            if (Egl.GetCurrentContext() == _context) Egl.MakeCurrent(_display, 0, 0, 0);
            if (_surface != 0) Egl.DestroySurface(_display, _surface);
            Egl.DestroyContext(_display, _context);
            // eglTerminate is not called: the display is shared per process and other contexts may live on it.
        }
    }
}
