#nullable enable
using Silk.NET.Core.Loader;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// An OpenGL context and the Silk.NET <see cref="GL"/> that calls into it. Three ways to get one:
/// <see cref="CreateHeadless"/> — our own context with no visible window (Linux: EGL; Windows: WGL on a hidden
/// window; the platform seam is <see cref="GlPlatform"/>), desktop OpenGL 4.3+ core;
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

    readonly GlPlatform.NativeContext? _native; // null for a host's context
    readonly bool _ownsGl;

    public GL Gl { get; }
    public string Vendor { get; }
    public string Renderer { get; }
    public string Version { get; }
    public int Major { get; }
    public int Minor { get; }
    /// <summary>How the headless context was made ("surfaceless", "device", "default+pbuffer", "WGL hidden window"), or "host" / "host Silk.NET".</summary>
    public string Platform { get; }
    /// <summary>True for a context this object created (and destroys on Dispose).</summary>
    public bool IsOwned => _native != null;
    public bool IsDisposed { get; private set; }

    GlContext(GL gl, bool ownsGl, GlPlatform.NativeContext? native, string platform)
    {
        Gl = gl; _ownsGl = ownsGl; _native = native; Platform = platform;
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
    public string? MissingEntryPoint()
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
            throw new GlException($"the gl backend needs OpenGL 4.3 compute shaders; this context is {Description}; {GlPlatform.Current.NoComputeFix}");
        if (MissingEntryPoint() is { } missing)
            throw new GlException($"OpenGL entry point {missing} is missing: the gl backend needs OpenGL 4.3 compute shaders and this context ({Description}) does not provide them; {GlPlatform.Current.NoComputeFix}");
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
    /// (glfwGetProcAddress, SDL_GL_GetProcAddress, eglGetProcAddress, wglGetProcAddress...). On Windows the GL 1.1 entry
    /// points that wglGetProcAddress never returns are taken from opengl32.dll. The host keeps ownership of the context.</summary>
    public static GlContext FromCurrent(Func<string, nint> getProcAddress)
    {
        ArgumentNullException.ThrowIfNull(getProcAddress);
        var loader = GlPlatform.Current.HostLoader(getProcAddress);
        if (loader("glGetString") == 0)
            throw new GlException("GlContext.FromCurrent: the loader returned no glGetString; is a GL context current on this thread?");
        return Wrap(GL.GetApi(loader), ownsGl: true, "host", nameof(FromCurrent));
    }

    static GlContext Wrap(GL gl, bool ownsGl, string platform, string what)
    {
        GlContext ctx;
        try { ctx = new GlContext(gl, ownsGl, native: null, platform); }
        catch (SymbolLoadingException e)
        {
            throw new GlException($"GlContext.{what}: {e.Message}; the loader does not resolve core OpenGL entry points");
        }
        if (ctx.Version == "?")
            throw new GlException($"GlContext.{what}: glGetString(GL_VERSION) returned null; no GL context is current on this thread");
        return ctx;
    }

    /// <summary>
    /// Creates a windowless desktop-OpenGL context and makes it current on this thread: on Linux through EGL
    /// (surfaceless Mesa, an EGL device, or the default display with a 1×1 pbuffer), on Windows through WGL (a hidden
    /// window and wglCreateContextAttribsARB). Requests 4.3 core; a driver that refuses it gives the best it has, so
    /// <see cref="RequireCompute"/> can name the version found. Throws <see cref="GlException"/> naming the platform's fix.
    /// </summary>
    public static GlContext CreateHeadless(bool debug = false)
    {
        var native = GlPlatform.Current.CreateHeadless(debug);
        try { return new GlContext(GL.GetApi(native.GetProcAddress), ownsGl: true, native, native.Kind); }
        catch { native.Dispose(); throw; }
    }

    /// <summary>Makes this (headless) context current on the calling thread. No-op for host contexts.</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _native?.MakeCurrent();
    }

    /// <summary>Releases the (headless) context from the calling thread so another thread can make it current.</summary>
    public void ReleaseCurrent()
    {
        if (!IsDisposed) _native?.ReleaseCurrent();
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
        _native?.Dispose();
    }

    public override string ToString() => Description;
}
