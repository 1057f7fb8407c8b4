using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// The class-activation map (shaders/cam.comp) of image 0 into an r32f texture, after softmax: Σ_c W[k,c]·F[c,y,x] over the
/// last feature map, min-max scaled to [0,1], for class k (or the top-1 class, read from the top-k buffer on the GPU).
/// CPU reference: <see cref="Realtime.Cam.Compute"/>. Its block is slot 2 of the backend's small-block buffer.
/// </summary>
sealed unsafe class GlCam : IDisposable
{
    public const string Shader = "cam.comp";
    readonly GL _gl;
    readonly GlNetwork _net;
    readonly GlNetworkRunner _runner;
    readonly uint _smallBlocks, _scratch, _program;
    readonly int _offset;
    int _classWritten = int.MinValue;

    /// <summary>The r32f texture (Width × Height, row 0 = top of the image).</summary>
    public uint Texture { get; private set; }
    public int Width { get; }
    public int Height { get; }
    /// <summary>Class shown: -1 = the top-1 class of each inference.</summary>
    public int Class { get; set; } = -1;

    /// <summary>Needs <see cref="GlNetwork.CamFeatures"/> and <see cref="GlNetwork.CamClassifier"/> (GAP → FC at the end).</summary>
    public GlCam(GL gl, GlShaders shaders, GlNetwork net, GlNetworkRunner runner, uint smallBlocks)
    {
        _gl = gl; _net = net; _runner = runner; _smallBlocks = smallBlocks; _offset = 2 * runner.ParamStrideBytes;
        var f = _net.Tensors[_net.CamFeatures];
        Width = f.W; Height = f.H;
        try
        {
            _scratch = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, f.H * f.W * 4);
            Texture = GlObjects.TextureR32F(_gl, f.W, f.H);
            _program = shaders.Get(Shader);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Writes the block when the shown class changed (its shapes never do).</summary>
    public void WriteParams()
    {
        if (Class == _classWritten) return;
        var f = _net.Tensors[_net.CamFeatures];
        var p = new CamParams { C = f.C, H = f.H, W = f.W, In4 = _runner.PaddedK(_net.CamClassifier), Cls = Class };
        _gl.BindBuffer(GLEnum.UniformBuffer, _smallBlocks);
        _gl.BufferSubData(GLEnum.UniformBuffer, _offset, (nuint)sizeof(CamParams), &p);
        _classWritten = Class;
    }

    public void Encode()
    {
        _gl.UseProgram(_program);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _smallBlocks, _offset, (nuint)sizeof(CamParams));
        _runner.Bind(0, _runner.TensorBuffer(_net.CamFeatures)); _runner.Bind(1, _runner.WeightBuffer(_net.CamClassifier));
        _runner.Bind(5, _runner.TopKBuffer); _runner.Bind(6, _scratch);
        _gl.BindImageTexture(0, Texture, 0, false, 0, GLEnum.WriteOnly, GLEnum.R32f);
        _gl.DispatchCompute(1, 1, 1);
        _gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit);
    }

    public void Dispose()
    {
        GlObjects.DeleteBuffer(_gl, _scratch);
        GlObjects.DeleteTexture(_gl, Texture);
        Texture = 0;
    }
}

/// <summary>shaders/cam.comp's Params block: class-activation map of class Cls (-1 = top-1) over C×h×w features.</summary>
[StructLayout(LayoutKind.Sequential)]
struct CamParams
{
    public int C, H, W, In4;
    public int Cls, Pad0, Pad1, Pad2;
}
