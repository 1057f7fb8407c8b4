using ResNetRealtime.Demo.Sources;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Demo.Imaging;
using ResNetRealtime.Demo.Render;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Demo.App;

/// <summary>The camera/video frame as a GL texture (RGB24 rows uploaded as they come, row 0 = top), drawn by the overlay
/// and handed to gl inference; re-specified only when the frame size changes.</summary>
public sealed unsafe class SourceTexture : IDisposable
{
    readonly GL _gl;
    public uint Texture { get; }
    public int Width { get; private set; }
    public int Height { get; private set; }

    public SourceTexture(GL gl)
    {
        _gl = gl;
        Texture = GlObjects.NewTextureName(gl);
        gl.BindTexture(GLEnum.Texture2D, Texture);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMinFilter, (int)GLEnum.Linear);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMagFilter, (int)GLEnum.Linear);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapS, (int)GLEnum.ClampToEdge);
        gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapT, (int)GLEnum.ClampToEdge);
    }

    public void Upload(CapturedFrame f)
    {
        _gl.BindTexture(GLEnum.Texture2D, Texture);
        _gl.PixelStore(GLEnum.UnpackAlignment, 1);
        fixed (byte* p = f.Pixels)
        {
            if (Width != f.Width || Height != f.Height)
            {
                _gl.TexImage2D(GLEnum.Texture2D, 0, (int)GLEnum.Rgba8, (uint)f.Width, (uint)f.Height, 0, GLEnum.Rgb, GLEnum.UnsignedByte, p);
                Width = f.Width; Height = f.Height;
            }
            else _gl.TexSubImage2D(GLEnum.Texture2D, 0, 0, 0, (uint)f.Width, (uint)f.Height, GLEnum.Rgb, GLEnum.UnsignedByte, p);
        }
    }

    public void Dispose() => GlObjects.DeleteTexture(_gl, Texture);
}

/// <summary>PNGs of the composed frame (read back from the output framebuffer), buffers reused between shots.</summary>
public sealed class ScreenCapture
{
    byte[] _shot, _scratch;

    public void Save(GL gl, uint framebuffer, int width, int height, string path)
    {
        int n = width * height * 3;
        if (_shot == null || _shot.Length != n) _shot = new byte[n];
        RenderTarget.ReadRgb(gl, framebuffer, width, height, _shot, ref _scratch);
        Png.WriteFile(path, _shot, width, height, 3);
    }
}
