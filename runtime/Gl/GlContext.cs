using Silk.NET.Core.Loader;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// An OpenGL context and the Silk.NET <see cref="GL"/> that calls into it. Three ways to get one:
/// <see cref="CreateHeadless"/> — our own EGL context with no window (surfaceless Mesa, an EGL device,
/// or the default display with a 1×1 pbuffer), desktop OpenGL 4.3+ core;
/// <see cref="FromGl"/> — a host that runs Silk.NET hands over its own <see cref="GL"/> (its context is current);
/// <see cref="FromCurrent"/> — a host on any other windowing layer (GLFW, SDL, a game engine) hands over its
/// getProcAddress for the context current on this thread.
/// The host's context is never destroyed and its <see cref="GL"/> never disposed. GL contexts are bound to one
/// thread at a time: call <see cref="MakeCurrent"/> on the thread that uses <see cref="Gl"/> (headless only; the
/// host manages its own).
/// </summary>
public sealed class GlContext : IDisposable
{
    /// <summary>Minimum version for compute shaders and SSBOs.</summary>
    public const int RequiredMajor = 4, RequiredMinor = 3;

    /// <summary>Entry points the gl backend calls beyond GL 3.3 core. <see cref="RequireCompute"/> names the first one the
    /// loader lacks, so a host context without them fails at setup with one line, not with a SymbolLoadingException mid-frame.</summary>
    static readonly string[] ComputeEntryPoints =
    {
        "glDispatchCompute", "glMemoryBarrier", "glBindImageTexture", "glBindBufferBase", "glBindBufferRange",
        "glTexStorage2D", "glCopyBufferSubData", "glGetBufferSubData", "glMapBufferRange", "glFenceSync", "glClientWaitSync",
    };

    nint _display, _context, _surface;
    readonly bool _owned, _ownsGl;

    public GL Gl { get; }
    public string Vendor { get; }
    public string Renderer { get; }
    public string Version { get; }
    public int Major { get; }
    public int Minor { get; }
    /// <summary>How the headless context was made ("surfaceless", "device", "default+pbuffer"), or "host" / "host Silk.NET".</summary>
    public string Platform { get; }
    /// <summary>True for a context this object created (and destroys on Dispose).</summary>
    public bool IsOwned => _owned;
    public bool IsDisposed { get; private set; }

    GlContext(GL gl, bool ownsGl, nint display, nint context, nint surface, bool owned, string platform)
    {
        Gl = gl; _ownsGl = ownsGl; _display = display; _context = context; _surface = surface; _owned = owned; Platform = platform;
        Vendor = gl.GetStringS(StringName.Vendor) ?? "?";
        Renderer = gl.GetStringS(StringName.Renderer) ?? "?";
        Version = gl.GetStringS(StringName.Version) ?? "?";
        Major = gl.GetInteger(GetPName.MajorVersion);
        Minor = gl.GetInteger(GetPName.MinorVersion);
        gl.GetError(); // GL < 3.0 has no MajorVersion query: ignore the INVALID_ENUM it leaves behind
        if (Major == 0) (Major, Minor) = ParseVersion(Version);
    }

    bool VersionAtLeast43 => Major > RequiredMajor || (Major == RequiredMajor && Minor >= RequiredMinor);

    /// <summary>True when the context has GL 4.3+ and the loader resolves every compute entry point.</summary>
    public bool SupportsCompute => VersionAtLeast43 && MissingEntryPoint() == null;

    /// <summary>The first entry point of the compute backend that the loader does not resolve, or null.</summary>
    public string MissingEntryPoint()
    {
        foreach (var name in ComputeEntryPoints)
            if (!Gl.Context.TryGetProcAddress(name, out nint p) || p == 0) return name;
        return null;
    }

    /// <summary>One line naming the context, for errors and logs.</summary>
    public string Description => $"OpenGL {Version} on {Renderer} ({Vendor}, {Platform})";

    /// <summary>Throws the user-facing "needs 4.3" error when compute shaders are not available.</summary>
    public void RequireCompute()
    {
        if (!VersionAtLeast43)
            throw new GlException($"the gl backend needs OpenGL 4.3 compute shaders; this context is {Description}; use --backend ort-cpu");
        if (MissingEntryPoint() is { } missing)
            throw new GlException($"OpenGL entry point {missing} is missing: the gl backend needs OpenGL 4.3 compute shaders and this context ({Description}) does not provide them; use --backend ort-cpu");
    }

    /// <summary>
    /// Wraps the <see cref="GL"/> of a host that already runs Silk.NET (e.g. <c>GL.GetApi(window)</c>); its context must be
    /// current on this thread. The host keeps ownership: disposing this object disposes neither the GL nor the context.
    /// </summary>
    public static GlContext FromGl(GL gl)
    {
        ArgumentNullException.ThrowIfNull(gl);
        return Wrap(gl, ownsGl: false, "host Silk.NET", nameof(FromGl));
    }

    /// <summary>Wraps the context current on this thread; <paramref name="getProcAddress"/> is the host's loader
    /// (glfwGetProcAddress, SDL_GL_GetProcAddress, eglGetProcAddress...). The host keeps ownership of the context.</summary>
    public static GlContext FromCurrent(Func<string, nint> getProcAddress)
    {
        ArgumentNullException.ThrowIfNull(getProcAddress);
        if (getProcAddress("glGetString") == 0)
            throw new GlException("GlContext.FromCurrent: the loader returned no glGetString; is a GL context current on this thread?");
        return Wrap(GL.GetApi(getProcAddress), ownsGl: true, "host", nameof(FromCurrent));
    }

    static GlContext Wrap(GL gl, bool ownsGl, string platform, string what)
    {
        GlContext ctx;
        try { ctx = new GlContext(gl, ownsGl, 0, 0, 0, owned: false, platform); }
        catch (SymbolLoadingException e)
        {
            throw new GlException($"GlContext.{what}: {e.Message}; the loader does not resolve core OpenGL entry points");
        }
        if (ctx.Version == "?")
            throw new GlException($"GlContext.{what}: glGetString(GL_VERSION) returned null; no GL context is current on this thread");
        return ctx;
    }

    /// <summary>
    /// Creates a windowless desktop-OpenGL context and makes it current on this thread. Tries, in order:
    /// EGL_MESA_platform_surfaceless (no X, no DRM needed — what llvmpipe in CI uses), each EGL device
    /// (EGL_EXT_platform_device: real GPUs on headless servers), then the default display with a 1×1 pbuffer.
    /// Requests 4.3 core first, then the highest the driver gives (so the error can name the version found).
    /// </summary>
    public static GlContext CreateHeadless(bool debug = false)
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

    static unsafe GlContext TryCreate(nint display, string platform, bool debug, List<string> failures)
    {
        if (Egl.Initialize(display, out int eglMajor, out int eglMinor) == Egl.FALSE)
        {
            failures.Add($"{platform}: eglInitialize failed ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        string apis = Egl.QueryString(display, Egl.CLIENT_APIS) ?? "";
        if (!apis.Contains("OpenGL", StringComparison.Ordinal) || apis.Replace("OpenGL_ES", "").IndexOf("OpenGL", StringComparison.Ordinal) < 0)
        {
            failures.Add($"{platform}: EGL {eglMajor}.{eglMinor} offers client APIs '{apis}', no desktop OpenGL");
            return null; // do not terminate: other users of this display (same process) may share it
        }
        if (Egl.BindAPI(Egl.OPENGL_API) == Egl.FALSE)
        {
            failures.Add($"{platform}: eglBindAPI(EGL_OPENGL_API) failed ({Egl.ErrorName(Egl.GetError())})");
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
            failures.Add($"{platform}: no EGL config with OpenGL ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        // First the version we need; then "whatever you have" (compatibility, no version) so that the
        // error can say which version the driver offers instead of just "failed".
        nint context = 0;
        int* ctxAttribs = stackalloc int[]
        {
            Egl.CONTEXT_MAJOR_VERSION, RequiredMajor, Egl.CONTEXT_MINOR_VERSION, RequiredMinor,
            Egl.CONTEXT_OPENGL_PROFILE_MASK, Egl.CONTEXT_OPENGL_CORE_PROFILE_BIT,
            Egl.CONTEXT_OPENGL_DEBUG, debug ? 1 : 0,
            Egl.NONE,
        };
        context = Egl.CreateContext(display, config, 0, ctxAttribs);
        if (context == 0) context = Egl.CreateContext(display, config, 0, null);
        if (context == 0)
        {
            failures.Add($"{platform}: eglCreateContext failed ({Egl.ErrorName(Egl.GetError())})");
            return null;
        }
        nint surface = 0;
        if (!surfaceless)
        {
            int* pbAttribs = stackalloc int[] { Egl.WIDTH, 1, Egl.HEIGHT, 1, Egl.NONE };
            surface = Egl.CreatePbufferSurface(display, config, pbAttribs);
            if (surface == 0)
            {
                failures.Add($"{platform}: eglCreatePbufferSurface failed ({Egl.ErrorName(Egl.GetError())})");
                Egl.DestroyContext(display, context);
                return null;
            }
        }
        if (Egl.MakeCurrent(display, surface, surface, context) == Egl.FALSE)
        {
            failures.Add($"{platform}: eglMakeCurrent failed ({Egl.ErrorName(Egl.GetError())})");
            if (surface != 0) Egl.DestroySurface(display, surface);
            Egl.DestroyContext(display, context);
            return null;
        }
        var gl = GL.GetApi(name => Egl.GetProcAddress(name));
        return new GlContext(gl, ownsGl: true, display, context, surface, owned: true, platform);
    }

    /// <summary>Makes this (headless) context current on the calling thread. No-op for host contexts.</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!_owned) return;
        if (Egl.GetCurrentContext() == _context) return;
        Egl.BindAPI(Egl.OPENGL_API);
        if (Egl.MakeCurrent(_display, _surface, _surface, _context) == Egl.FALSE)
            throw new GlException($"eglMakeCurrent failed ({Egl.ErrorName(Egl.GetError())}); is the context current on another thread?");
    }

    /// <summary>Releases the (headless) context from the calling thread so another thread can make it current.</summary>
    public void ReleaseCurrent()
    {
        if (_owned && !IsDisposed) Egl.MakeCurrent(_display, 0, 0, 0);
    }

    static (int, int) ParseVersion(string v)
    {
        // "4.5 (Core Profile) Mesa 22.3.6" or "3.1 Mesa ..." — major.minor are the first two numbers.
        var parts = v.Split(' ')[0].Split('.');
        int.TryParse(parts[0], out int major);
        int minor = parts.Length > 1 && int.TryParse(parts[1], out int m) ? m : 0;
        return (major, minor);
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        if (_ownsGl) Gl.Dispose(); // our function table only; a host's GL (FromGl) stays the host's
        if (!_owned) return;
        if (Egl.GetCurrentContext() == _context) Egl.MakeCurrent(_display, 0, 0, 0);
        if (_surface != 0) Egl.DestroySurface(_display, _surface);
        Egl.DestroyContext(_display, _context);
        // eglTerminate is not called: the display is shared per process and other contexts may live on it.
    }

    public override string ToString() => Description;
}
