using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// What the overlay shows, kept on the GPU: the class-activation map (<see cref="GlCam"/>, after each inference, when the
/// network ends in GAP → FC and CAM is on) and tap mosaics (<see cref="GlTapMosaic"/>, on request). Uniform slots 2 (CAM)
/// and 3 (mosaic) of the backend's small-block buffer.
/// </summary>
sealed unsafe class GlVisuals : IDisposable
{
    readonly GL _gl;
    readonly GlCam _cam;
    readonly GlTapMosaic _taps;

    /// <summary>The CAM texture, 0 when disabled or the network does not end in GAP → FC.</summary>
    public uint CamTexture => _cam?.Texture ?? 0;
    public int CamWidth => _cam?.Width ?? 0;
    public int CamHeight => _cam?.Height ?? 0;
    /// <summary>Class the CAM shows: -1 = the top-1 class of each inference (chosen on the GPU).</summary>
    public int CamClass { get; set; } = -1;

    public GlVisuals(GL gl, GlShaders shaders, GlNetwork net, GlNetworkRunner runner, uint smallBlocks, bool cam, int maxTapChannels, bool checkErrors)
    {
        _gl = gl;
        try
        {
            _taps = new GlTapMosaic(gl, shaders, net, runner, smallBlocks, maxTapChannels, checkErrors);
            if (cam && net.CamFeatures >= 0 && net.CamClassifier >= 0) _cam = new GlCam(gl, shaders, net, runner, smallBlocks);
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
        if (_cam == null) return;
        _cam.Class = CamClass;
        _cam.WriteParams();
    }

    /// <summary>The CAM of image 0 into <see cref="CamTexture"/> (after softmax: the top-1 class comes from the top-k buffer).</summary>
    public void EncodeCam() => _cam?.Encode();

    /// <summary>The mosaic of tap <paramref name="name"/> (tensor <paramref name="tensor"/>), refreshed from its buffer now.</summary>
    public (uint Texture, int Width, int Height) TapTexture(string name, int tensor, int maxChannels) => _taps.Texture(name, tensor, maxChannels);

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
        _cam?.Dispose();
        _taps?.Dispose();
    }
}
