using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The one place this project's GPU code creates and deletes GL objects (buffers, textures, programs, shaders,
/// sync objects, queries). Going through these helpers keeps the setup code short and lets
/// <see cref="GlObjectCounter"/> see every object, so a test can require that what is created is also deleted.
/// Deleting 0 is a no-op (as in GL) and is not counted.
/// </summary>
public static unsafe class GlObjects
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
    public static uint NewBufferName(GL gl)
    {
        uint b = gl.GenBuffer();
        GlObjectCounter.Created(GlObjectKind.Buffer, b);
        return b;
    }

    public static void DeleteBuffer(GL gl, uint b)
    {
        if (b == 0) return;
        gl.DeleteBuffer(b);
        GlObjectCounter.Deleted(GlObjectKind.Buffer, b);
    }

    /// <summary>An r32f texture for the overlay: the CAM is smooth (linear), a mosaic shows each activation as a
    /// block (nearest: linear filtering would also blend neighbouring channels across tile borders).</summary>
    public static uint TextureR32F(GL gl, int w, int h, bool linear = true)
    {
        uint t = gl.GenTexture();
        GlObjectCounter.Created(GlObjectKind.Texture, t);
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

    public static void DeleteTexture(GL gl, uint t)
    {
        if (t == 0) return;
        gl.DeleteTexture(t);
        GlObjectCounter.Deleted(GlObjectKind.Texture, t);
    }

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

    public static uint Program(GL gl)
    {
        uint p = gl.CreateProgram();
        if (p != 0) GlObjectCounter.Created(GlObjectKind.Program, p);
        return p;
    }

    public static void DeleteProgram(GL gl, uint p)
    {
        if (p == 0) return;
        gl.DeleteProgram(p);
        GlObjectCounter.Deleted(GlObjectKind.Program, p);
    }

    public static uint Shader(GL gl, ShaderType type)
    {
        uint s = gl.CreateShader(type);
        if (s != 0) GlObjectCounter.Created(GlObjectKind.Shader, s);
        return s;
    }

    public static void DeleteShader(GL gl, uint s)
    {
        if (s == 0) return;
        gl.DeleteShader(s);
        GlObjectCounter.Deleted(GlObjectKind.Shader, s);
    }

    public static uint Query(GL gl)
    {
        uint q = gl.GenQuery();
        GlObjectCounter.Created(GlObjectKind.Query, q);
        return q;
    }

    public static void DeleteQuery(GL gl, uint q)
    {
        if (q == 0) return;
        gl.DeleteQuery(q);
        GlObjectCounter.Deleted(GlObjectKind.Query, q);
    }
}
