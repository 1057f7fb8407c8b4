using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Inference;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Tap mosaics (shaders/tap.comp): the first channels of a tapped tensor of image 0 as an r32f texture in a cols×rows grid,
/// each channel scaled to its own min..max (a MINMAX pass, then the mosaic). One texture per tap, made on first use.
/// CPU reference: <see cref="ActivationMosaic.Render"/>, whose layout this follows. Its block is slot 3 of the backend's
/// small-block buffer.
/// </summary>
sealed unsafe class GlTapMosaic : IDisposable
{
    public const string Shader = "tap.comp";
    readonly GL _gl;
    readonly GlShaders _shaders;
    readonly GlNetwork _net;
    readonly GlNetworkRunner _runner;
    readonly uint _smallBlocks, _stats;
    readonly int _offset;
    readonly bool _check;
    readonly Dictionary<string, (uint Tex, int W, int H)> _textures = new(StringComparer.Ordinal);
    uint _pMinMax, _pTap;

    public GlTapMosaic(GL gl, GlShaders shaders, GlNetwork net, GlNetworkRunner runner, uint smallBlocks, int maxTapChannels, bool checkErrors)
    {
        _gl = gl; _shaders = shaders; _net = net; _runner = runner; _smallBlocks = smallBlocks; _offset = 3 * runner.ParamStrideBytes; _check = checkErrors;
        // Per-channel (min, max) of a tap: room for the widest tapped tensor.
        _stats = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, 8L * Math.Max(1, maxTapChannels));
    }

    /// <summary>The mosaic of tap <paramref name="name"/> (tensor <paramref name="tensor"/>), refreshed from its buffer now.</summary>
    public (uint Texture, int Width, int Height) Texture(string name, int tensor, int maxChannels)
    {
        // Called once per inference by a frame loop: no allocation (no ToArray, no params array, no key string).
        var t = _net.Tensors[tensor];
        var (n, cols, rows) = ActivationMosaic.Grid(t.C, maxChannels);
        int w = cols * t.W, h = rows * t.H;
        if (!_textures.TryGetValue(name, out var tex) || tex.W != w || tex.H != h)
        {
            GlObjects.DeleteTexture(_gl, tex.Tex);
            _textures[name] = tex = (GlObjects.TextureR32F(_gl, w, h, linear: false), w, h);
        }
        var prm = new TapParams { C = n, H = t.H, W = t.W, Cols = cols, Rows = rows };
        _gl.BindBuffer(GLEnum.UniformBuffer, _smallBlocks);
        _gl.BufferSubData(GLEnum.UniformBuffer, _offset, (nuint)sizeof(TapParams), &prm);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _smallBlocks, _offset, (nuint)sizeof(TapParams));
        _runner.Bind(0, _runner.TensorBuffer(tensor)); _runner.Bind(6, _stats);
        if (_pMinMax == 0) { _pMinMax = _shaders.Get(Shader, "MINMAX"); _pTap = _shaders.Get(Shader); }
        _gl.UseProgram(_pMinMax);
        _gl.DispatchCompute((uint)n, 1, 1); // one workgroup per shown channel
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        _gl.UseProgram(_pTap);
        _gl.BindImageTexture(0, tex.Tex, 0, false, 0, GLEnum.WriteOnly, GLEnum.R32f);
        _gl.DispatchCompute((uint)((tex.W + 15) / 16), (uint)((tex.H + 15) / 16), 1);
        _gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit);
        if (_check) GlErrors.ThrowIfError(_gl, "gl tap mosaic");
        return tex;
    }

    public void Dispose()
    {
        GlObjects.DeleteBuffer(_gl, _stats);
        foreach (var t in _textures.Values) GlObjects.DeleteTexture(_gl, t.Tex);
        _textures.Clear();
    }
}

/// <summary>shaders/tap.comp's Params block: the activation mosaic (C channels of H×W in a cols×rows grid).</summary>
[StructLayout(LayoutKind.Sequential)]
struct TapParams
{
    public int C, H, W, Cols;
    public int Rows, Pad0, Pad1, Pad2;
}
