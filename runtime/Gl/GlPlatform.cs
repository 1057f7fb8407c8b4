namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The one seam between <see cref="GlContext"/> and the operating system's GL window-system layer: EGL on Linux
/// (<see cref="EglPlatform"/>: libEGL.so.1, no window), WGL on Windows (<see cref="WglPlatform"/>: opengl32.dll and a
/// hidden window). Chosen once per process; nothing else in the runtime asks which operating system it runs on.
/// </summary>
internal abstract class GlPlatform
{
    public static readonly GlPlatform Current = OperatingSystem.IsWindows() ? new WglPlatform() : new EglPlatform();

    /// <summary>"EGL" or "WGL", for messages.</summary>
    public abstract string Name { get; }

    /// <summary>The platform's own fix when a context lacks OpenGL 4.3 compute, as the tail of an error line.</summary>
    public abstract string NoComputeFix { get; }

    /// <summary>A windowless OpenGL 4.3 core context (or, when the driver refuses 4.3, the best it gives, so the caller's
    /// version check can name it), current on this thread. Throws <see cref="GlException"/> naming this platform's fix.</summary>
    public abstract NativeContext CreateHeadless(bool debug);

    /// <summary>The loader <see cref="GlContext.FromCurrent"/> uses for a host's <paramref name="hostLoader"/>: WGL adds what
    /// wglGetProcAddress never returns (GL 1.1 entry points, exported by opengl32.dll); EGL leaves the host's loader as is.</summary>
    public virtual Func<string, nint> HostLoader(Func<string, nint> hostLoader) => hostLoader;

    /// <summary>A context this process created: the handles a platform needs to make it current and destroy it.</summary>
    internal abstract class NativeContext : IDisposable
    {
        /// <summary>How it was made ("surfaceless", "device", "default+pbuffer", "WGL hidden window").</summary>
        public abstract string Kind { get; }
        /// <summary>The entry-point loader for this context (valid while it is current).</summary>
        public abstract nint GetProcAddress(string name);
        /// <summary>Makes it current on the calling thread; no-op when it already is. Throws <see cref="GlException"/>.</summary>
        public abstract void MakeCurrent();
        /// <summary>Releases it from the calling thread, so another thread can make it current.</summary>
        public abstract void ReleaseCurrent();
        public abstract void Dispose();
    }
}
