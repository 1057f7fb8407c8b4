using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Image input on the GPU, as the CPU <see cref="Preprocessor"/> does it: resize so the short side is
/// crop-ratio-scaled, centre crop, per-channel (x − mean) / std, written as NCHW floats into the network's input
/// buffer. Sources: a host GL texture (no CPU round trip) or an RGBA8 frame uploaded to a reused buffer. The
/// programs are made on first use: many hosts use only one of the two paths.
/// </summary>
sealed unsafe class GlPreprocess : IDisposable
{
    readonly GL _gl;
    readonly GlShaders _shaders;
    readonly float[] _mean, _std;
    readonly int _channels, _height, _width;
    readonly double _cropRatio;
    readonly bool _check;
    uint _frameBuf;
    int _frameBufBytes;
    uint _pTex, _pBuf;

    public GlPreprocess(GL gl, GlShaders shaders, int channels, int height, int width, float[] mean, float[] std, double cropRatio, bool checkErrors)
    {
        _gl = gl; _shaders = shaders; _channels = channels; _height = height; _width = width;
        _mean = mean; _std = std; _cropRatio = cropRatio; _check = checkErrors;
        _frameBuf = GlObjects.NewBufferName(gl);
    }

    /// <summary>Preprocesses <paramref name="texture"/> into <paramref name="input"/> (uniform slot 0 of <paramref name="smallBlocks"/>).</summary>
    public void FromTexture(uint texture, int width, int height, bool flipY, uint input, uint smallBlocks)
    {
        Write(width, height, flipY, smallBlocks);
        if (_pTex == 0) _pTex = _shaders.Get("preprocess.comp", "FROM_TEXTURE");
        _gl.UseProgram(_pTex);
        _gl.ActiveTexture(GLEnum.Texture0);
        _gl.BindTexture(GLEnum.Texture2D, texture);
        Dispatch(input, smallBlocks);
        _gl.BindTexture(GLEnum.Texture2D, 0);
        if (_check) GlErrors.ThrowIfError(_gl, "gl preprocess from texture");
    }

    /// <summary>Uploads an RGBA8 frame (row 0 = top) and preprocesses it into <paramref name="input"/>.</summary>
    public void FromRgba(ReadOnlySpan<byte> rgba, int width, int height, uint input, uint smallBlocks)
    {
        _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _frameBuf);
        if (_frameBufBytes < rgba.Length) { _gl.BufferData(GLEnum.ShaderStorageBuffer, (nuint)rgba.Length, null, GLEnum.StreamDraw); _frameBufBytes = rgba.Length; }
        _gl.BufferSubData(GLEnum.ShaderStorageBuffer, 0, rgba);
        Write(width, height, false, smallBlocks);
        if (_pBuf == 0) _pBuf = _shaders.Get("preprocess.comp");
        _gl.UseProgram(_pBuf);
        _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, _frameBuf);
        Dispatch(input, smallBlocks);
        if (_check) GlErrors.ThrowIfError(_gl, "gl preprocess from RGBA");
    }

    void Write(int srcW, int srcH, bool flipY, uint smallBlocks)
    {
        // Same geometry object as the CPU Preprocessor, so both paths crop the same pixels.
        var g = CropGeometry.Compute(srcW, srcH, _height, _width, _cropRatio);
        int c1 = Math.Min(1, _channels - 1), c2 = Math.Min(2, _channels - 1); // a 1-channel model repeats its one mean/std
        var p = new PreprocessParams
        {
            SrcW = srcW, SrcH = srcH, OutW = _width, OutH = _height,
            ResizedW = g.ResizedWidth, ResizedH = g.ResizedHeight, CropX = g.Left, CropY = g.Top,
            FlipY = flipY ? 1 : 0, BatchIndex = 0, Channels = _channels,
            MeanR = _mean[0], MeanG = _mean[c1], MeanB = _mean[c2],
            StdR = _std[0], StdG = _std[c1], StdB = _std[c2],
        };
        _gl.BindBuffer(GLEnum.UniformBuffer, smallBlocks);
        _gl.BufferSubData(GLEnum.UniformBuffer, 0, (nuint)sizeof(PreprocessParams), &p);
    }

    void Dispatch(uint input, uint smallBlocks)
    {
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, smallBlocks, 0, (nuint)sizeof(PreprocessParams));
        _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 4, input);
        _gl.DispatchCompute((uint)((_width + 15) / 16), (uint)((_height + 15) / 16), 1);
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
    }

    public void Dispose()
    {
        GlObjects.DeleteBuffer(_gl, _frameBuf);
        _frameBuf = 0;
    }
}

/// <summary>shaders/preprocess.comp's Params block: resize + centre crop + normalise, from a texture or an RGBA8 buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
struct PreprocessParams
{
    public int SrcW, SrcH, OutW, OutH;
    public int ResizedW, ResizedH, CropX, CropY;
    public int FlipY, BatchIndex, Channels, Pad1;
    public float MeanR, MeanG, MeanB, Pad2;
    public float StdR, StdG, StdB, Pad3;
}
