using ResNetRealtime.Demo.Text;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Demo.Render;

/// <summary>What a quad samples (matches the modes in shaders/overlay_quad.frag).</summary>
public enum QuadMode { Solid = 0, Text = 1, Frame = 2, Heat = 3, Mosaic = 4 }

/// <summary>
/// Immediate-mode 2D layer over the frame: solid rectangles, FreeType text (glyph atlas), the video
/// frame itself, the CAM heatmap and the activation mosaic, all batched into one vertex buffer and
/// drawn with one call per <see cref="Flush"/> (alpha-blended, no depth). Coordinates are window pixels,
/// origin top-left. Vertex storage is allocated once; a frame allocates nothing.
/// Without a font (<paramref name="atlas"/> null) text calls draw nothing and return 0 width.
/// </summary>
public sealed unsafe class Overlay : IDisposable
{
    const int FloatsPerVertex = 9, MaxQuads = 6000;
    readonly GL _gl;
    readonly GlyphAtlas _atlas;
    readonly uint _program, _vao, _vbo, _atlasTex, _heatTex, _mosaicTex;
    readonly int _uScreen;
    readonly float[] _verts = new float[MaxQuads * 6 * FloatsPerVertex];
    int _count; // vertices
    int _screenW, _screenH;
    uint _frameTex, _heatSrc, _mosaicSrc;
    int _heatW, _heatH, _mosW, _mosH;

    public GlyphAtlas Atlas => _atlas;
    public bool HasText => _atlas != null;

    public Overlay(GL gl, GlyphAtlas atlas)
    {
        _gl = gl; _atlas = atlas;
        _program = ShaderSources.Program(gl, "overlay_quad.vert", "overlay_quad.frag");
        _uScreen = gl.GetUniformLocation(_program, "uScreen");
        gl.UseProgram(_program);
        gl.Uniform1(gl.GetUniformLocation(_program, "uAtlas"), 0);
        gl.Uniform1(gl.GetUniformLocation(_program, "uFrame"), 1);
        gl.Uniform1(gl.GetUniformLocation(_program, "uHeat"), 2);
        gl.Uniform1(gl.GetUniformLocation(_program, "uMosaic"), 3);

        _vao = GlObjects.VertexArray(gl);
        gl.BindVertexArray(_vao);
        _vbo = GlObjects.NewBufferName(gl);
        gl.BindBuffer(GLEnum.ArrayBuffer, _vbo);
        gl.BufferData(GLEnum.ArrayBuffer, (nuint)(_verts.Length * 4), null, GLEnum.StreamDraw);
        const uint stride = FloatsPerVertex * 4;
        gl.VertexAttribPointer(0, 2, GLEnum.Float, false, stride, (void*)0);
        gl.VertexAttribPointer(1, 2, GLEnum.Float, false, stride, (void*)8);
        gl.VertexAttribPointer(2, 4, GLEnum.Float, false, stride, (void*)16);
        gl.VertexAttribPointer(3, 1, GLEnum.Float, false, stride, (void*)32);
        for (uint i = 0; i < 4; i++) gl.EnableVertexAttribArray(i);
        gl.BindVertexArray(0);

        _atlasTex = NewTexture(GLEnum.Linear);
        if (atlas != null)
        {
            gl.PixelStore(GLEnum.UnpackAlignment, 1);
            fixed (byte* p = atlas.Pixels)
                gl.TexImage2D(GLEnum.Texture2D, 0, (int)GLEnum.R8, (uint)atlas.Width, (uint)atlas.Height, 0, GLEnum.Red, GLEnum.UnsignedByte, p);
        }
        else gl.TexImage2D(GLEnum.Texture2D, 0, (int)GLEnum.R8, 1, 1, 0, GLEnum.Red, GLEnum.UnsignedByte, null);
        _heatTex = NewTexture(GLEnum.Linear);
        _mosaicTex = NewTexture(GLEnum.Nearest);
        _heatSrc = _heatTex; _mosaicSrc = _mosaicTex;
    }

    uint NewTexture(GLEnum filter)
    {
        uint t = GlObjects.NewTextureName(_gl);
        _gl.BindTexture(GLEnum.Texture2D, t);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMinFilter, (int)filter);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMagFilter, (int)filter);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapS, (int)GLEnum.ClampToEdge);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapT, (int)GLEnum.ClampToEdge);
        return t;
    }

    /// <summary>Starts a batch for a <paramref name="width"/>×<paramref name="height"/> target; <paramref name="frameTexture"/> is what Frame quads sample.</summary>
    public void Begin(int width, int height, uint frameTexture)
    {
        _screenW = width; _screenH = height; _frameTex = frameTexture; _count = 0;
    }

    // Heat and mosaic each come from one of two places, sampled by the same quads: values computed on the CPU
    // (uploaded into the overlay's own texture) or a texture already on the GPU (the gl backend's CAM / tap
    // mosaic, r32f, drawn as is: no readback, no upload). Same convention both ways: 0..1, row 0 = top.

    /// <summary>Uploads the CAM heatmap (values 0..1, row-major, top row first).</summary>
    public void SetHeat(ReadOnlySpan<float> values, int width, int height) { Upload(_heatTex, values, width, height, ref _heatW, ref _heatH); _heatSrc = _heatTex; }

    /// <summary>Heatmap from a GL texture in this context (single channel 0..1, row 0 = top); 0 = back to the uploaded one.</summary>
    public void SetHeat(uint texture) => _heatSrc = texture != 0 ? texture : _heatTex;

    /// <summary>Uploads the activation mosaic (values 0..1, top row first).</summary>
    public void SetMosaic(ReadOnlySpan<float> values, int width, int height) { Upload(_mosaicTex, values, width, height, ref _mosW, ref _mosH); _mosaicSrc = _mosaicTex; }

    /// <summary>Mosaic from a GL texture in this context (single channel 0..1, row 0 = top); 0 = back to the uploaded one.</summary>
    public void SetMosaic(uint texture) => _mosaicSrc = texture != 0 ? texture : _mosaicTex;

    void Upload(uint tex, ReadOnlySpan<float> values, int width, int height, ref int curW, ref int curH)
    {
        if (values.Length < width * height) throw new ArgumentException($"{values.Length} values < {width}x{height}");
        _gl.BindTexture(GLEnum.Texture2D, tex);
        _gl.PixelStore(GLEnum.UnpackAlignment, 4);
        fixed (float* p = values)
        {
            if (curW != width || curH != height)
            {
                _gl.TexImage2D(GLEnum.Texture2D, 0, (int)GLEnum.R32f, (uint)width, (uint)height, 0, GLEnum.Red, GLEnum.Float, p);
                curW = width; curH = height;
            }
            else _gl.TexSubImage2D(GLEnum.Texture2D, 0, 0, 0, (uint)width, (uint)height, GLEnum.Red, GLEnum.Float, p);
        }
    }

    public void Rect(float x, float y, float w, float h, float r, float g, float b, float a) =>
        Quad(x, y, w, h, 0, 0, 0, 0, r, g, b, a, QuadMode.Solid);

    /// <summary>Textured quad; (u0,v0) at the top-left corner, (u1,v1) at the bottom-right.</summary>
    public void Quad(float x, float y, float w, float h, float u0, float v0, float u1, float v1,
                     float r, float g, float b, float a, QuadMode mode)
    {
        if (_count + 6 > MaxQuads * 6) Flush();
        float m = (float)mode;
        Span<float> v = _verts.AsSpan(_count * FloatsPerVertex, 6 * FloatsPerVertex);
        void Put(Span<float> d, float px, float py, float u, float vv)
        {
            d[0] = px; d[1] = py; d[2] = u; d[3] = vv; d[4] = r; d[5] = g; d[6] = b; d[7] = a; d[8] = m;
        }
        Put(v, x, y, u0, v0); Put(v[9..], x + w, y, u1, v0); Put(v[18..], x + w, y + h, u1, v1);
        Put(v[27..], x, y, u0, v0); Put(v[36..], x + w, y + h, u1, v1); Put(v[45..], x, y + h, u0, v1);
        _count += 6;
    }

    /// <summary>Draws <paramref name="text"/> with its line top at <paramref name="yTop"/>; returns the advance width.</summary>
    public float Text(ReadOnlySpan<char> text, float x, float yTop, float r, float g, float b, float a = 1, float maxWidth = float.MaxValue)
    {
        if (_atlas == null) return 0;
        if (maxWidth < float.MaxValue && _atlas.Measure(text) > maxWidth)
        {
            // Cut to fit, ending in an ellipsis, so a long line never runs into the next panel.
            float ell = _atlas.Get('…').Advance, w = 0;
            int n = 0;
            while (n < text.Length && w + _atlas.Get(text[n]).Advance + ell <= maxWidth) w += _atlas.Get(text[n++]).Advance;
            float adv = Text(text[..n], x, yTop, r, g, b, a);
            return adv + Text("…", x + adv, yTop, r, g, b, a);
        }
        float pen = x, baseline = yTop + _atlas.Ascender;
        float iw = 1f / _atlas.Width, ih = 1f / _atlas.Height;
        foreach (char c in text)
        {
            var gl = _atlas.Get(c);
            if (gl.Width > 0 && gl.Height > 0)
            {
                float gx = MathF.Round(pen) + gl.Left, gy = baseline - gl.Top;
                Quad(gx, gy, gl.Width, gl.Height, gl.X * iw, gl.Y * ih, (gl.X + gl.Width) * iw, (gl.Y + gl.Height) * ih, r, g, b, a, QuadMode.Text);
            }
            pen += gl.Advance;
        }
        return pen - x;
    }

    public float LineHeight => _atlas?.LineHeight ?? 14;

    /// <summary>Draws the batch into the bound framebuffer and empties it.</summary>
    public void Flush()
    {
        if (_count == 0) return;
        var gl = _gl;
        gl.Viewport(0, 0, (uint)_screenW, (uint)_screenH);
        gl.Disable(EnableCap.DepthTest);
        gl.Disable(EnableCap.CullFace);
        gl.Enable(EnableCap.Blend);
        gl.BlendFuncSeparate(BlendingFactor.SrcAlpha, BlendingFactor.OneMinusSrcAlpha, BlendingFactor.One, BlendingFactor.OneMinusSrcAlpha);
        gl.UseProgram(_program);
        gl.Uniform2(_uScreen, (float)_screenW, (float)_screenH);
        gl.ActiveTexture(GLEnum.Texture0); gl.BindTexture(GLEnum.Texture2D, _atlasTex);
        gl.ActiveTexture(GLEnum.Texture0 + 1); gl.BindTexture(GLEnum.Texture2D, _frameTex);
        gl.ActiveTexture(GLEnum.Texture0 + 2); gl.BindTexture(GLEnum.Texture2D, _heatSrc);
        gl.ActiveTexture(GLEnum.Texture0 + 3); gl.BindTexture(GLEnum.Texture2D, _mosaicSrc);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindVertexArray(_vao);
        gl.BindBuffer(GLEnum.ArrayBuffer, _vbo);
        gl.BufferSubData<float>(GLEnum.ArrayBuffer, 0, _verts.AsSpan(0, _count * FloatsPerVertex));
        gl.DrawArrays(PrimitiveType.Triangles, 0, (uint)_count);
        gl.BindVertexArray(0);
        gl.Disable(EnableCap.Blend);
        _count = 0;
    }

    public void Dispose()
    {
        GlObjects.DeleteVertexArray(_gl, _vao);
        GlObjects.DeleteBuffer(_gl, _vbo);
        GlObjects.DeleteTexture(_gl, _atlasTex);
        GlObjects.DeleteTexture(_gl, _heatTex);
        GlObjects.DeleteTexture(_gl, _mosaicTex);
        GlObjects.DeleteProgram(_gl, _program);
    }
}
