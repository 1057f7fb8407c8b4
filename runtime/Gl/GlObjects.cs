using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The one place this project's GPU code creates and deletes GL objects (buffers, textures, programs, shaders,
/// sync objects, queries; the demo's vertex arrays, framebuffers and renderbuffers). Going through these helpers keeps the setup code short and lets
/// <see cref="GlObjectCounter"/> see every object, so a test can require that what is created is also deleted.
/// Deleting 0 is a no-op (as in GL) and is not counted.
/// </summary>
internal static unsafe class GlObjects
{
    /// <summary>A buffer with <paramref name="bytes"/> (≥ 16: zero-sized stores are not portable) of undefined content.</summary>
    public static uint Buffer(GL gl, GLEnum target, long bytes, GLEnum usage = GLEnum.DynamicCopy)
    {
        uint b = NewBufferName(gl);
        gl.BindBuffer(target, b);
        gl.BufferData(target, (nuint)Math.Max(16, bytes), null, usage);
        return b;
    }

    /// <summary>A static shader-storage buffer holding <paramref name="data"/> (16 undefined bytes when it is empty).</summary>
    public static uint Buffer<T>(GL gl, ReadOnlySpan<T> data) where T : unmanaged
    {
        uint b = NewBufferName(gl);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, b);
        if (data.Length == 0) gl.BufferData(GLEnum.ShaderStorageBuffer, 16, null, GLEnum.StaticDraw);
        else gl.BufferData(GLEnum.ShaderStorageBuffer, data, GLEnum.StaticDraw);
        return b;
    }

    /// <summary>A buffer name with no storage yet (the caller sizes it: glBufferStorage, or BufferData on first use).</summary>
    public static uint NewBufferName(GL gl) => Created(GlObjectKind.Buffer, gl.GenBuffer());

    public static void DeleteBuffer(GL gl, uint name) => Deleted(gl, GlObjectKind.Buffer, name, static (g, n) => g.DeleteBuffer(n));

    /// <summary>An r32f texture for the overlay: the CAM is smooth (linear), a mosaic shows each activation as a
    /// block (nearest: linear filtering would also blend neighbouring channels across tile borders).</summary>
    public static uint TextureR32F(GL gl, int w, int h, bool linear = true)
    {
        uint t = Created(GlObjectKind.Texture, gl.GenTexture());
        var filter = linear ? GLEnum.Linear : GLEnum.Nearest;
        gl.BindTexture(GLEnum.Texture2D, t);
        gl.TexStorage2D(GLEnum.Texture2D, 1, GLEnum.R32f, (uint)w, (uint)h);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMinFilter, (int)filter);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMagFilter, (int)filter);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapS, (int)GLEnum.ClampToEdge);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapT, (int)GLEnum.ClampToEdge);
        gl.BindTexture(GLEnum.Texture2D, 0);
        return t;
    }

    /// <summary>A texture name with no storage yet (the caller binds it, sets its parameters and its image).</summary>
    public static uint NewTextureName(GL gl) => Created(GlObjectKind.Texture, gl.GenTexture());

    public static void DeleteTexture(GL gl, uint name) => Deleted(gl, GlObjectKind.Texture, name, static (g, n) => g.DeleteTexture(n));

    /// <summary>A fence after everything submitted so far (glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE)).</summary>
    public static nint Fence(GL gl)
    {
        nint s = gl.FenceSync(SyncCondition.SyncGpuCommandsComplete, SyncBehaviorFlags.None);
        if (s != 0) GlObjectCounter.Created(GlObjectKind.Sync, 0);
        return s;
    }

    public static void DeleteSync(GL gl, nint s)
    {
        if (s == 0) return;
        gl.DeleteSync(s);
        GlObjectCounter.Deleted(GlObjectKind.Sync, 0);
    }

    public static uint Program(GL gl) => Created(GlObjectKind.Program, gl.CreateProgram());

    public static void DeleteProgram(GL gl, uint name) => Deleted(gl, GlObjectKind.Program, name, static (g, n) => g.DeleteProgram(n));

    public static uint Shader(GL gl, ShaderType type) => Created(GlObjectKind.Shader, gl.CreateShader(type));

    public static void DeleteShader(GL gl, uint name) => Deleted(gl, GlObjectKind.Shader, name, static (g, n) => g.DeleteShader(n));

    public static uint Query(GL gl) => Created(GlObjectKind.Query, gl.GenQuery());

    public static void DeleteQuery(GL gl, uint name) => Deleted(gl, GlObjectKind.Query, name, static (g, n) => g.DeleteQuery(n));

    public static uint VertexArray(GL gl) => Created(GlObjectKind.VertexArray, gl.GenVertexArray());

    public static void DeleteVertexArray(GL gl, uint name) => Deleted(gl, GlObjectKind.VertexArray, name, static (g, n) => g.DeleteVertexArray(n));

    public static uint Framebuffer(GL gl) => Created(GlObjectKind.Framebuffer, gl.GenFramebuffer());

    public static void DeleteFramebuffer(GL gl, uint name) => Deleted(gl, GlObjectKind.Framebuffer, name, static (g, n) => g.DeleteFramebuffer(n));

    public static uint Renderbuffer(GL gl) => Created(GlObjectKind.Renderbuffer, gl.GenRenderbuffer());

    public static void DeleteRenderbuffer(GL gl, uint name) => Deleted(gl, GlObjectKind.Renderbuffer, name, static (g, n) => g.DeleteRenderbuffer(n));

    static uint Created(GlObjectKind kind, uint name)
    {
        GlObjectCounter.Created(kind, name); // a failed create (name 0) is not counted
        return name;
    }

    // The delete calls are static lambdas: cached by the compiler, so a delete allocates nothing.
    static void Deleted(GL gl, GlObjectKind kind, uint name, Action<GL, uint> delete)
    {
        if (name == 0) return;
        delete(gl, name);
        GlObjectCounter.Deleted(kind, name);
    }
}
