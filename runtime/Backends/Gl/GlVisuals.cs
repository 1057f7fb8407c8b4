using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Inference;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// What the overlay shows, kept on the GPU: the class-activation map (r32f texture, computed after each inference from
/// the last feature map and the classifier's weights) and tap mosaics (<see cref="ActivationMosaic"/>'s layout, one
/// texture per tap, made on first use). Uniform slots 2 (CAM) and 3 (mosaic) of the backend's small-block buffer.
/// </summary>
sealed unsafe class GlVisuals : IDisposable
{
    readonly GL _gl;
    readonly GlShaders _shaders;
    readonly GlNetwork _net;
    readonly GlNetworkRunner _runner;
    readonly uint _smallBlocks;
    readonly int _stride;
    readonly bool _check;
    readonly uint _camScratch, _tapStats, _pCam;
    readonly Dictionary<string, (uint Tex, int W, int H)> _tapTextures = new(StringComparer.Ordinal);
    uint _pTapMinMax, _pTap;
    int _camClassWritten = int.MinValue;

    /// <summary>The CAM texture, 0 when disabled or the network does not end in GAP → FC.</summary>
    public uint CamTexture { get; private set; }
    public int CamWidth { get; }
    public int CamHeight { get; }
    /// <summary>Class the CAM shows: -1 = the top-1 class of each inference (chosen on the GPU).</summary>
    public int CamClass { get; set; } = -1;

    public GlVisuals(GL gl, GlShaders shaders, GlNetwork net, GlNetworkRunner runner, uint smallBlocks, bool cam, int maxTapChannels, bool checkErrors)
    {
        _gl = gl; _shaders = shaders; _net = net; _runner = runner; _smallBlocks = smallBlocks; _stride = runner.ParamStrideBytes; _check = checkErrors;
        try
        {
            // Per-channel (min, max) of a tap for its mosaic: room for the widest tapped tensor.
            _tapStats = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, 8L * Math.Max(1, maxTapChannels));
            if (cam && _net.CamFeatures >= 0 && _net.CamClassifier >= 0)
            {
                var f = _net.Tensors[_net.CamFeatures];
                CamWidth = f.W; CamHeight = f.H;
                _camScratch = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, f.H * f.W * 4);
                CamTexture = GlObjects.TextureR32F(_gl, f.W, f.H);
                _pCam = _shaders.Get("cam.comp");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Writes the CAM's block when the shown class changed (its shapes never do).</summary>
    public void WriteCamParams()
    {
        if (CamTexture == 0 || CamClass == _camClassWritten) return;
        var f = _net.Tensors[_net.CamFeatures];
        var p = new CamParams { C = f.C, H = f.H, W = f.W, In4 = _runner.PaddedK(_net.CamClassifier), Cls = CamClass };
        _gl.BindBuffer(GLEnum.UniformBuffer, _smallBlocks);
        _gl.BufferSubData(GLEnum.UniformBuffer, 2 * _stride, (nuint)sizeof(CamParams), &p);
        _camClassWritten = CamClass;
    }

    /// <summary>The CAM of image 0 into <see cref="CamTexture"/> (after softmax: the top-1 class comes from the top-k buffer).</summary>
    public void EncodeCam()
    {
        if (CamTexture == 0) return;
        _gl.UseProgram(_pCam);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _smallBlocks, 2 * _stride, (nuint)sizeof(CamParams));
        Bind(0, _runner.TensorBuffer(_net.CamFeatures)); Bind(1, _runner.WeightBuffer(_net.CamClassifier));
        Bind(5, _runner.TopKBuffer); Bind(6, _camScratch);
        _gl.BindImageTexture(0, CamTexture, 0, false, 0, GLEnum.WriteOnly, GLEnum.R32f);
        _gl.DispatchCompute(1, 1, 1);
        _gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit);
    }

    void Bind(int binding, uint buffer) => _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, (uint)binding, buffer);

    /// <summary>The mosaic of tap <paramref name="name"/> (tensor <paramref name="tensor"/>), refreshed from its buffer now.</summary>
    public (uint Texture, int Width, int Height) TapTexture(string name, int tensor, int maxChannels)
    {
        // Called once per inference by a frame loop: no allocation (no ToArray, no params array, no key string).
        var t = _net.Tensors[tensor];
        var (n, cols, rows) = ActivationMosaic.Grid(t.C, maxChannels);
        int w = cols * t.W, h = rows * t.H;
        if (!_tapTextures.TryGetValue(name, out var tex) || tex.W != w || tex.H != h)
        {
            GlObjects.DeleteTexture(_gl, tex.Tex);
            _tapTextures[name] = tex = (GlObjects.TextureR32F(_gl, w, h, linear: false), w, h);
        }
        var prm = new TapParams { C = n, H = t.H, W = t.W, Cols = cols, Rows = rows };
        _gl.BindBuffer(GLEnum.UniformBuffer, _smallBlocks);
        _gl.BufferSubData(GLEnum.UniformBuffer, 3 * _stride, (nuint)sizeof(TapParams), &prm);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _smallBlocks, 3 * _stride, (nuint)sizeof(TapParams));
        Bind(0, _runner.TensorBuffer(tensor)); Bind(6, _tapStats);
        if (_pTapMinMax == 0) { _pTapMinMax = _shaders.Get("tap.comp", "MINMAX"); _pTap = _shaders.Get("tap.comp"); }
        _gl.UseProgram(_pTapMinMax);
        _gl.DispatchCompute((uint)n, 1, 1); // one workgroup per shown channel
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        _gl.UseProgram(_pTap);
        _gl.BindImageTexture(0, tex.Tex, 0, false, 0, GLEnum.WriteOnly, GLEnum.R32f);
        _gl.DispatchCompute((uint)((tex.W + 15) / 16), (uint)((tex.H + 15) / 16), 1);
        _gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit);
        if (_check) GlErrors.ThrowIfError(_gl, "gl tap mosaic");
        return tex;
    }

    /// <summary>Reads an r32f texture back to the CPU, row 0 first.</summary>
    public float[] ReadTexture(uint texture, int width, int height)
    {
        var data = new float[width * height];
        _gl.BindTexture(GLEnum.Texture2D, texture);
        _gl.PixelStore(GLEnum.PackAlignment, 4);
        fixed (float* p = data) _gl.GetTexImage(GLEnum.Texture2D, 0, GLEnum.Red, GLEnum.Float, p);
        _gl.BindTexture(GLEnum.Texture2D, 0);
        return data;
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        GlObjects.DeleteBuffer(_gl, _camScratch);
        GlObjects.DeleteBuffer(_gl, _tapStats);
        GlObjects.DeleteTexture(_gl, CamTexture);
        CamTexture = 0;
        foreach (var t in _tapTextures.Values) GlObjects.DeleteTexture(_gl, t.Tex);
        _tapTextures.Clear();
    }
}

/// <summary>shaders/cam.comp's Params block: class-activation map of class Cls (-1 = top-1) over C×h×w features.</summary>
[StructLayout(LayoutKind.Sequential)]
struct CamParams
{
    public int C, H, W, In4;
    public int Cls, Pad0, Pad1, Pad2;
}

/// <summary>shaders/tap.comp's Params block: the activation mosaic (C channels of H×W in a cols×rows grid).</summary>
[StructLayout(LayoutKind.Sequential)]
struct TapParams
{
    public int C, H, W, Cols;
    public int Rows, Pad0, Pad1, Pad2;
}
