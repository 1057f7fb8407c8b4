using NUnit.Framework;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// One headless context for the whole GL suite (creating contexts is slow on llvmpipe). Tests call
/// <see cref="Get"/>, which makes it current on the calling thread. No GL 4.3 → the tests FAIL (not skip):
/// CI must notice a missing Mesa, not pass silently.
/// </summary>
static class GlTestContext
{
    static GlContext _ctx;
    static Exception _error;
    static readonly object Gate = new();

    public static GlContext Get()
    {
        lock (Gate)
        {
            if (_error != null) Assert.Fail($"no headless OpenGL 4.3 context: {_error.Message}");
            if (_ctx == null)
            {
                try
                {
                    _ctx = GlContext.CreateHeadless();
                    _ctx.RequireCompute();
                    TestContext.Progress.WriteLine($"GL tests on {_ctx.Description}");
                }
                catch (Exception e)
                {
                    _error = e;
                    Assert.Fail($"no headless OpenGL 4.3 context: {e.Message}");
                }
            }
            _ctx.MakeCurrent();
            return _ctx;
        }
    }

    /// <summary>An RGBA8 GL_TEXTURE_2D of <paramref name="w"/>×<paramref name="h"/> holding <paramref name="rgba"/> (row 0 first),
    /// as a host's frame texture; the caller deletes it.</summary>
    public static unsafe uint RgbaTexture(GL gl, byte[] rgba, int w, int h)
    {
        uint tex = gl.GenTexture();
        gl.BindTexture(GLEnum.Texture2D, tex);
        gl.TexStorage2D(GLEnum.Texture2D, 1, GLEnum.Rgba8, (uint)w, (uint)h);
        gl.PixelStore(GLEnum.UnpackAlignment, 1);
        fixed (byte* p = rgba) gl.TexSubImage2D(GLEnum.Texture2D, 0, 0, 0, (uint)w, (uint)h, GLEnum.Rgba, GLEnum.UnsignedByte, p);
        gl.BindTexture(GLEnum.Texture2D, 0);
        GlErrors.ThrowIfError(gl, $"test texture upload {w}x{h}");
        return tex;
    }
}
