using System.Reflection;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Demo.Render;

/// <summary>
/// The demo's drawing shaders (shaders/*.vert, *.frag), embedded in this assembly as "shaders/&lt;file&gt;",
/// compiled into programs whose compile/link failures throw GlException naming the file and carrying the info log.
/// </summary>
public static class ShaderSources
{
    static readonly Assembly Holder = typeof(ShaderSources).Assembly;

    public static string Load(string file)
    {
        using var s = Holder.GetManifestResourceStream("shaders/" + file)
            ?? throw new InvalidOperationException($"shader resource shaders/{file} is not embedded in {Holder.GetName().Name}");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    public static uint Program(GL gl, string vertexFile, string fragmentFile)
    {
        uint vs = GlPrograms.Compile(gl, ShaderType.VertexShader, Load(vertexFile), vertexFile), fs = 0;
        try
        {
            fs = GlPrograms.Compile(gl, ShaderType.FragmentShader, Load(fragmentFile), fragmentFile);
            return GlPrograms.Link(gl, $"{vertexFile}+{fragmentFile}", false, vs, fs);
        }
        finally
        {
            GlObjects.DeleteShader(gl, vs);
            GlObjects.DeleteShader(gl, fs);
        }
    }
}

/// <summary>
/// Offscreen framebuffer: RGBA8 colour texture (sampled by later passes) plus a 24-bit depth
/// renderbuffer. <see cref="ReadRgb"/> returns the picture top row first (GL reads bottom row first).
/// </summary>
public sealed unsafe class RenderTarget : IDisposable
{
    readonly GL _gl;
    byte[] _flip;
    public uint Framebuffer { get; private set; }
    public uint ColorTexture { get; private set; }
    public uint DepthBuffer { get; private set; }
    public int Width { get; }
    public int Height { get; }

    public RenderTarget(GL gl, int width, int height, bool depth = true)
    {
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384) throw new ArgumentException($"render target size {width}x{height} out of range");
        _gl = gl; Width = width; Height = height;
        ColorTexture = GlObjects.NewTextureName(gl);
        gl.BindTexture(GLEnum.Texture2D, ColorTexture);
        gl.TexImage2D(GLEnum.Texture2D, 0, (int)GLEnum.Rgba8, (uint)width, (uint)height, 0, GLEnum.Rgba, GLEnum.UnsignedByte, null);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMinFilter, (int)GLEnum.Linear);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMagFilter, (int)GLEnum.Linear);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapS, (int)GLEnum.ClampToEdge);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapT, (int)GLEnum.ClampToEdge);
        Framebuffer = GlObjects.Framebuffer(gl);
        gl.BindFramebuffer(GLEnum.Framebuffer, Framebuffer);
        gl.FramebufferTexture2D(GLEnum.Framebuffer, GLEnum.ColorAttachment0, GLEnum.Texture2D, ColorTexture, 0);
        if (depth)
        {
            DepthBuffer = GlObjects.Renderbuffer(gl);
            gl.BindRenderbuffer(GLEnum.Renderbuffer, DepthBuffer);
            gl.RenderbufferStorage(GLEnum.Renderbuffer, GLEnum.DepthComponent24, (uint)width, (uint)height);
            gl.FramebufferRenderbuffer(GLEnum.Framebuffer, GLEnum.DepthAttachment, GLEnum.Renderbuffer, DepthBuffer);
        }
        var status = gl.CheckFramebufferStatus(GLEnum.Framebuffer);
        gl.BindFramebuffer(GLEnum.Framebuffer, 0);
        if (status != GLEnum.FramebufferComplete)
        {
            Dispose();
            throw new GlException($"offscreen framebuffer {width}x{height} is incomplete (status {status})");
        }
    }

    public void Bind()
    {
        _gl.BindFramebuffer(GLEnum.Framebuffer, Framebuffer);
        _gl.Viewport(0, 0, (uint)Width, (uint)Height);
    }

    /// <summary>Reads the colour attachment as RGB24 rows top to bottom into <paramref name="rgb"/> (Width*Height*3 bytes).</summary>
    public void ReadRgb(Span<byte> rgb) => ReadRgb(_gl, Framebuffer, Width, Height, rgb, ref _flip);

    /// <summary>Reads framebuffer <paramref name="fbo"/> (0 = the window) as RGB24, top row first.</summary>
    public static void ReadRgb(GL gl, uint fbo, int width, int height, Span<byte> rgb, ref byte[] scratch)
    {
        int row = width * 3;
        if (rgb.Length < row * height) throw new ArgumentException($"readback buffer {rgb.Length} bytes < {row * height}");
        if (scratch == null || scratch.Length < row * height) scratch = new byte[row * height];
        gl.BindFramebuffer(GLEnum.ReadFramebuffer, fbo);
        gl.PixelStore(GLEnum.PackAlignment, 1);
        fixed (byte* p = scratch) gl.ReadPixels(0, 0, (uint)width, (uint)height, GLEnum.Rgb, GLEnum.UnsignedByte, p);
        for (int y = 0; y < height; y++) scratch.AsSpan((height - 1 - y) * row, row).CopyTo(rgb.Slice(y * row, row));
    }

    public void Dispose()
    {
        GlObjects.DeleteFramebuffer(_gl, Framebuffer); Framebuffer = 0;
        GlObjects.DeleteTexture(_gl, ColorTexture); ColorTexture = 0;
        GlObjects.DeleteRenderbuffer(_gl, DepthBuffer); DepthBuffer = 0;
    }
}
