using System.Diagnostics;
using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Imaging;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>Options of the GL backend beyond the model.</summary>
public sealed class GlBackendOptions
{
    /// <summary>The context to run in (embedding: <see cref="GlContext.FromGl"/> or <see cref="GlContext.FromCurrent"/>); null = own headless EGL context.</summary>
    public GlContext Context { get; init; }
    public int MaxBatch { get; init; } = 1;
    /// <summary>Tensor names (ONNX value names) to keep and return as taps.</summary>
    public IReadOnlyList<string> Taps { get; init; } = Array.Empty<string>();
    /// <summary>How many top classes the softmax shader ranks (read back with the logits).</summary>
    public int TopK { get; init; } = 5;
    /// <summary>Compute the class-activation map texture after every inference (needs GAP → FC at the end).</summary>
    public bool Cam { get; init; } = true;
    /// <summary>Readback slots: how many inferences may be in flight before Submit has to wait for the oldest.</summary>
    public int MaxInFlight { get; init; } = 3;
    /// <summary>glGetError after each setup step, layer and readback, naming it in the GlException (slow; for debugging and tests).</summary>
    public bool CheckErrors { get; init; }
    /// <summary>Program-binary cache directory; "" = default (~/.cache/resnet-realtime/gl), null = no cache.</summary>
    public string ShaderCacheDirectory { get; init; } = "";
    /// <summary>Preprocessing for texture/RGBA input, as the CPU <see cref="Preprocessor"/>: per-channel mean/std
    /// (null = ImageNet for 3 channels, 0.5 for 1) and the crop ratio (224/256: Resize(256)+CenterCrop(224)).</summary>
    public float[] Mean { get; init; }
    public float[] Std { get; init; }
    public double CropRatio { get; init; } = Preprocessor.DefaultCropRatio;
}

/// <summary>
/// ResNet inference in GLSL compute shaders (OpenGL 4.3+). Everything lives on the GPU: weights
/// (BatchNorm folded, rows vec4-padded), activations (buffers reused by liveness, taps pinned), softmax +
/// top-k, the CAM texture. One inference = one stream of dispatches separated by memory barriers, no CPU
/// synchronisation between layers; the CPU waits only where a caller asks for numbers:
/// <list type="bullet">
/// <item><see cref="Run"/> (IInferenceBackend): upload, dispatch, wait, read back — synchronous.</item>
/// <item><see cref="SetInputTexture"/>/<see cref="SetInputRgba"/>/<see cref="SetInput"/>, then <see cref="Submit"/>
/// (or <see cref="Step"/> to spread the layers over frames), then <see cref="TryGetResult"/> each frame: the logits are
/// copied into a readback slot guarded by a fence (glFenceSync + glClientWaitSync with timeout 0), so a frame
/// loop never blocks on them.</item>
/// </list>
/// Not thread-safe; every call must come from a thread where the context may be made current.
/// </summary>
public sealed unsafe class GlBackend : IInferenceBackend
{
    // Blocks are the GlParams structs, each at a multiple of ParamStride (≥ the largest, ConvParams' 96 B), rounded up to
    // UNIFORM_BUFFER_OFFSET_ALIGNMENT at runtime. Every layer binds ConvParams' size: for the smaller blocks the range
    // just reaches past the block's end, which std140 allows.
    const int ParamStride = 256;

    readonly GlContext _ctx;
    readonly bool _ownsContext;
    readonly GL _gl;
    readonly GlShaders _shaders;
    readonly GlNetwork _net;
    readonly GlBackendOptions _opt;
    readonly int _paramStride;
    readonly float[] _mean, _std;
    readonly uint _pConv16, _pConv1x1_16, _pReduce, _partial;
    readonly int[] _tn, _kSplit;
    readonly uint _pConv, _pConv1x1, _pPool, _pGap, _pElt, _pFc, _pSoftmax, _pCam;
    readonly bool[] _oneByOne;
    readonly bool _hasBufferStorage;
    /// <summary>GL_TIMEOUT_IGNORED: wait for the fence however long it takes.</summary>
    const ulong TimeoutIgnored = ulong.MaxValue;
    uint _pPreTex, _pPreBuf; // made on first use: many hosts use only one input path

    readonly uint[] _tensorBuf;        // per tensor index
    readonly List<uint> _pool = new(); // all activation buffers, for disposal
    readonly uint[] _wBuf, _bBuf;      // per op (0 when the op has no weights)
    readonly int[] _k4;                // per op: padded K (conv) or In (fc)
    readonly uint _params, _preParams;
    int _paramsBatch = -1;
    readonly uint _probs, _topk, _camScratch, _tapStats;
    readonly uint _frameBuf;
    int _frameBufBytes;

    // readback ring
    readonly uint[] _slotBuf;
    readonly float*[] _slotPtr;
    readonly nint[] _slotFence;
    readonly int[] _slotBatch;
    readonly long[] _slotTicket;
    int _slotHead, _slotCount;
    long _ticket;

    // scheduling state: -1 = idle, else index of the next op to encode
    int _cursor = -1;
    int _batch;

    readonly int[] _tapIndex;
    readonly TapTensor[] _taps;
    readonly Dictionary<string, (uint Tex, int W, int H)> _tapTextures = new(StringComparer.Ordinal);
    readonly float[] _topkHost;

    public string Name => "gl";
    public BackendCapabilities Capabilities => BackendCapabilities.Taps | BackendCapabilities.Batch | BackendCapabilities.TextureInput
        | BackendCapabilities.GpuResident | BackendCapabilities.AsyncReadback;
    public int Channels => _net.Tensors[_net.Input].C;
    public int Height => _net.Tensors[_net.Input].H;
    public int Width => _net.Tensors[_net.Input].W;
    public int Classes => _net.Tensors[_net.Output].Size;
    public int MaxBatch { get; }
    public IReadOnlyList<TapTensor> Taps => _taps;
    public GlContext Context => _ctx;
    public GlNetwork Network => _net;
    public GlShaders Shaders => _shaders;
    /// <summary>Layers per inference (what <see cref="Step"/> counts).</summary>
    public int LayerCount => _net.Ops.Count;
    /// <summary>Inferences submitted and not yet collected by TryGetResult.</summary>
    public int Pending => _slotCount;
    /// <summary>Results overwritten because MaxInFlight inferences were pending (the caller did not poll).</summary>
    public long DroppedResults { get; private set; }
    /// <summary>The CAM texture (r32f, <see cref="CamWidth"/>×<see cref="CamHeight"/>, [0,1], row 0 = top of the image), 0 when disabled.</summary>
    public uint CamTexture { get; }
    public int CamWidth { get; }
    public int CamHeight { get; }
    /// <summary>Class the CAM shows: -1 = the top-1 class of each inference (chosen on the GPU).</summary>
    public int CamClass { get; set; } = -1;
    /// <summary>Top-k of image 0 of the last result TryGetResult/Run returned: (class, probability) pairs.</summary>
    public ReadOnlySpan<float> TopK => _topkHost;

    public GlBackend(GlNetwork network, GlBackendOptions options = null)
    {
        _opt = options ?? new GlBackendOptions();
        _net = network ?? throw new ArgumentNullException(nameof(network));
        if (_opt.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), $"MaxBatch must be ≥ 1 (got {_opt.MaxBatch})");
        if (_opt.MaxInFlight < 1) throw new ArgumentOutOfRangeException(nameof(options), $"MaxInFlight must be ≥ 1 (got {_opt.MaxInFlight})");
        _net.Validate();
        MaxBatch = _opt.MaxBatch;
        if (Channels is not (1 or 3) && (_opt.Mean != null || _opt.Std != null))
            throw new ArgumentException($"preprocessing supports 1 or 3 input channels, the model has {Channels}");
        _mean = _opt.Mean ?? (Channels == 1 ? new[] { 0.5f } : Preprocessor.ImageNetMean);
        _std = _opt.Std ?? (Channels == 1 ? new[] { 0.5f } : Preprocessor.ImageNetStd);
        if (_mean.Length < Math.Min(Channels, 3) || _std.Length < Math.Min(Channels, 3))
            throw new ArgumentException($"mean/std need {Channels} values each (got {_mean.Length} and {_std.Length})");
        _ctx = _opt.Context;
        if (_ctx == null) { _ctx = GlContext.CreateHeadless(); _ownsContext = true; }
        try
        {
            _ctx.MakeCurrent();
            _ctx.RequireCompute();
            _gl = _ctx.Gl;
            _shaders = new GlShaders(_ctx, _opt.ShaderCacheDirectory);
            _hasBufferStorage = _gl.Context.TryGetProcAddress("glBufferStorage", out nint bs) && bs != 0;
            int align = Math.Max(16, _gl.GetInteger(GLEnum.UniformBufferOffsetAlignment));
            _paramStride = (ParamStride + align - 1) / align * align;

            // Weights: rows padded to a multiple of 4 with zeros so shaders load whole vec4s.
            int nOps = _net.Ops.Count;
            _wBuf = new uint[nOps]; _bBuf = new uint[nOps]; _k4 = new int[nOps];
            for (int i = 0; i < nOps; i++)
            {
                var op = _net.Ops[i];
                if (op.Kind is not (GlOpKind.Conv or GlOpKind.FullyConnected)) continue;
                int rows = _net.Tensors[op.Output].C * (op.Kind == GlOpKind.FullyConnected ? _net.Tensors[op.Output].H * _net.Tensors[op.Output].W : 1);
                int k = op.Weights.Length / rows;
                int k4 = (k + 3) & ~3;
                var padded = new float[rows * k4];
                for (int r = 0; r < rows; r++) Array.Copy(op.Weights, r * k, padded, r * k4, k);
                _k4[i] = k4;
                _wBuf[i] = NewBuffer<float>(padded);
                _bBuf[i] = NewBuffer<float>(op.Bias);
            }

            _tapIndex = _opt.Taps.Select(name =>
            {
                int t = _net.FindTensor(name);
                if (t < 0) throw new ArgumentException($"tap '{name}' is not a tensor the gl backend materialises (have: {string.Join(", ", _net.Tensors.Take(12).Select(x => x.Name))}{(_net.Tensors.Count > 12 ? ", ..." : "")})");
                return t;
            }).ToArray();
            _tensorBuf = AllocateActivations();
            _taps = _tapIndex.Select((t, j) =>
            {
                var x = _net.Tensors[t];
                return new TapTensor(_opt.Taps[j], new[] { MaxBatch, x.C, x.H, x.W }, new float[MaxBatch * x.Size]);
            }).ToArray();

            _tn = new int[nOps]; _kSplit = new int[nOps];
            long partialFloats = 0;
            for (int b = 1; b <= MaxBatch; b++)
                for (int i = 0; i < nOps; i++)
                    if (_net.Ops[i].Kind == GlOpKind.Conv)
                    {
                        var (_, ks, _) = ConvSchedule(i, b);
                        if (ks > 1) partialFloats = Math.Max(partialFloats, (long)ks * _net.Tensors[_net.Ops[i].Output].C * b * _net.Tensors[_net.Ops[i].Output].H * _net.Tensors[_net.Ops[i].Output].W);
                    }
            _partial = NewBuffer(partialFloats * 4, GLEnum.ShaderStorageBuffer);
            _params = NewBuffer(nOps * _paramStride, GLEnum.UniformBuffer);
            _preParams = NewBuffer(4 * _paramStride, GLEnum.UniformBuffer); // 0: preprocess, 1: softmax, 2: cam, 3: tap
            int k5 = Math.Min(_opt.TopK, Classes);
            _probs = NewBuffer(MaxBatch * Classes * 4, GLEnum.ShaderStorageBuffer);
            _topk = NewBuffer(Math.Max(1, MaxBatch * k5) * 8, GLEnum.ShaderStorageBuffer);
            _topkHost = new float[k5 * 2];
            // Per-channel (min, max) of a tap for its mosaic: room for the widest tapped tensor.
            _tapStats = NewBuffer(8L * Math.Max(1, _tapIndex.Select(i => _net.Tensors[i].C).DefaultIfEmpty(1).Max()), GLEnum.ShaderStorageBuffer);
            _frameBuf = _gl.GenBuffer();

            if (_opt.Cam && _net.CamFeatures >= 0 && _net.CamClassifier >= 0)
            {
                var f = _net.Tensors[_net.CamFeatures];
                CamWidth = f.W; CamHeight = f.H;
                _camScratch = NewBuffer(f.H * f.W * 4, GLEnum.ShaderStorageBuffer);
                CamTexture = NewTextureR32F(f.W, f.H);
            }

            int slotFloats = MaxBatch * Classes + Math.Max(1, MaxBatch * k5) * 2;
            int n = _opt.MaxInFlight;
            _slotBuf = new uint[n]; _slotPtr = new float*[n]; _slotFence = new nint[n]; _slotBatch = new int[n]; _slotTicket = new long[n];
            for (int i = 0; i < n; i++)
            {
                _slotBuf[i] = _gl.GenBuffer();
                _gl.BindBuffer(GLEnum.CopyWriteBuffer, _slotBuf[i]);
                if (_hasBufferStorage)
                {
                    // Persistent + coherent mapping: after the fence signals, the CPU reads the values in place.
                    const uint flags = (uint)(GLEnum.MapReadBit | GLEnum.MapPersistentBit | GLEnum.MapCoherentBit);
                    _gl.BufferStorage(GLEnum.CopyWriteBuffer, (nuint)(slotFloats * 4), null, flags);
                    _slotPtr[i] = (float*)_gl.MapBufferRange(GLEnum.CopyWriteBuffer, 0, (nuint)(slotFloats * 4), flags);
                }
                else _gl.BufferData(GLEnum.CopyWriteBuffer, (nuint)(slotFloats * 4), null, GLEnum.StreamRead);
            }
            // Compile (or load from the binary cache) every program now, not inside the first frame, and keep the
            // ids so the per-layer path does no lookups or allocations.
            _pConv = _shaders.Get("conv.comp"); _pConv1x1 = _shaders.Get("conv.comp", "CONV_1X1");
            _pConv16 = _shaders.Get("conv.comp", "TN=16"); _pConv1x1_16 = _shaders.Get("conv.comp", "CONV_1X1", "TN=16");
            _pReduce = _shaders.Get("conv.comp", "REDUCE");
            _pPool = _shaders.Get("pool.comp"); _pGap = _shaders.Get("pool.comp", "GLOBAL_AVG");
            _pElt = _shaders.Get("eltwise.comp"); _pFc = _shaders.Get("fc.comp"); _pSoftmax = _shaders.Get("softmax.comp");
            if (CamTexture != 0) _pCam = _shaders.Get("cam.comp");
            Check("gl backend setup (buffers, textures, programs)");
            _oneByOne = _net.Ops.Select(op => op.Kind == GlOpKind.Conv && op.KH == 1 && op.KW == 1 && op.PadTop == 0 && op.PadLeft == 0
                && GlNetwork.ConvOutput(_net.Tensors[op.Inputs[0]].H, _net.Tensors[op.Inputs[0]].W, op, 0, 0) == (_net.Tensors[op.Output].H, _net.Tensors[op.Output].W)).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    uint NewBuffer<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        uint b = _gl.GenBuffer();
        _gl.BindBuffer(GLEnum.ShaderStorageBuffer, b);
        if (data.Length == 0) _gl.BufferData(GLEnum.ShaderStorageBuffer, 16, null, GLEnum.StaticDraw);
        else _gl.BufferData(GLEnum.ShaderStorageBuffer, data, GLEnum.StaticDraw);
        return b;
    }

    uint NewBuffer(long bytes, GLEnum target)
    {
        uint b = _gl.GenBuffer();
        _gl.BindBuffer(target, b);
        _gl.BufferData(target, (nuint)Math.Max(16, bytes), null, GLEnum.DynamicCopy);
        return b;
    }

    /// <summary>An r32f texture for the overlay: the CAM is smooth (linear), a mosaic shows each activation as a
    /// block (nearest: linear filtering would also blend neighbouring channels across tile borders).</summary>
    uint NewTextureR32F(int w, int h, bool linear = true)
    {
        uint t = _gl.GenTexture();
        var filter = linear ? GLEnum.Linear : GLEnum.Nearest;
        _gl.BindTexture(GLEnum.Texture2D, t);
        _gl.TexStorage2D(GLEnum.Texture2D, 1, GLEnum.R32f, (uint)w, (uint)h);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMinFilter, (int)filter);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureMagFilter, (int)filter);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapS, (int)GLEnum.ClampToEdge);
        _gl.TexParameter(GLEnum.Texture2D, GLEnum.TextureWrapT, (int)GLEnum.ClampToEdge);
        _gl.BindTexture(GLEnum.Texture2D, 0);
        return t;
    }

    /// <summary>
    /// One buffer per tensor, reused by liveness: a tensor's buffer returns to the pool after its last reader,
    /// and the next producer takes the smallest free buffer that fits. Input, output, taps and the CAM features
    /// are pinned (never reused), because they are read after the inference.
    /// </summary>
    uint[] AllocateActivations()
    {
        int nt = _net.Tensors.Count;
        var lastUse = new int[nt];
        Array.Fill(lastUse, -1);
        for (int i = 0; i < _net.Ops.Count; i++)
        {
            foreach (var t in _net.Ops[i].Inputs) lastUse[t] = i;
            if (_net.Ops[i].Residual >= 0) lastUse[_net.Ops[i].Residual] = i;
        }
        var pinned = new HashSet<int>(_tapIndex) { _net.Input, _net.Output };
        if (_net.CamFeatures >= 0) pinned.Add(_net.CamFeatures);
        var buf = new uint[nt];
        var free = new List<(uint Buf, long Bytes)>();
        var sizeOf = new Dictionary<uint, long>();
        uint Take(int t)
        {
            long bytes = (long)MaxBatch * _net.Tensors[t].Size * 4;
            if (!pinned.Contains(t))
            {
                int best = -1;
                for (int j = 0; j < free.Count; j++)
                    if (free[j].Bytes >= bytes && (best < 0 || free[j].Bytes < free[best].Bytes)) best = j;
                if (best >= 0) { var b = free[best].Buf; free.RemoveAt(best); return b; }
            }
            uint nb = NewBuffer(bytes, GLEnum.ShaderStorageBuffer);
            _pool.Add(nb); sizeOf[nb] = bytes;
            return nb;
        }
        buf[_net.Input] = Take(_net.Input);
        for (int i = 0; i < _net.Ops.Count; i++)
        {
            var op = _net.Ops[i];
            buf[op.Output] = Take(op.Output);
            foreach (var t in op.Inputs.Append(op.Residual))
                if (t >= 0 && lastUse[t] == i && !pinned.Contains(t) && buf[t] != 0 && !free.Any(f => f.Buf == buf[t]))
                    free.Add((buf[t], sizeOf[buf[t]]));
        }
        return buf;
    }

    // ------------------------------------------------------------------ parameters

    /// <summary>Enough workgroups to fill a big GPU (132 SMs on an H100) a couple of times over.</summary>
    const int TargetWorkgroups = 256;

    /// <summary>
    /// Tile width and K split of conv layer <paramref name="i"/> at batch <paramref name="batch"/>: 16-pixel tiles when the
    /// layer has under 512 output pixels; K split in chunks (multiples of 16, at least 256 long) while the grid has fewer
    /// than <see cref="TargetWorkgroups"/> tiles. Pure function of the shapes, so every run of a layer is the same.
    /// </summary>
    (int Tn, int KSplit, int KChunk) ConvSchedule(int i, int batch)
    {
        var op = _net.Ops[i];
        var a = _net.Tensors[op.Inputs[0]];
        var o = _net.Tensors[op.Output];
        long p = (long)batch * o.H * o.W;
        int tn = p < 512 ? 16 : 64;
        int k = a.C / op.Groups * op.KH * op.KW;
        long tiles = (p + tn - 1) / tn * ((o.C / op.Groups + 63) / 64) * op.Groups;
        int split = 1;
        if (tiles < TargetWorkgroups && k >= 512)
            split = (int)Math.Min(Math.Min((TargetWorkgroups + tiles - 1) / tiles, k / 256), 16);
        int chunk = ((k + split - 1) / split + 15) / 16 * 16;
        split = (k + chunk - 1) / chunk;
        return (tn, split, chunk);
    }

    /// <summary>Writes every layer's block (at i × stride in one uniform buffer) and the softmax and CAM blocks, when the
    /// batch changed: a batch fixes every shape, so the blocks are written once per batch size, not per frame.</summary>
    void WriteParams(int batch)
    {
        if (batch == _paramsBatch) return;
        var block = new byte[_paramStride * _net.Ops.Count];
        for (int i = 0; i < _net.Ops.Count; i++)
        {
            var op = _net.Ops[i];
            var a = _net.Tensors[op.Inputs[0]];
            var o = _net.Tensors[op.Output];
            var at = block.AsSpan(i * _paramStride);
            switch (op.Kind)
            {
                case GlOpKind.Conv:
                    var (tn, ks, kc) = ConvSchedule(i, batch);
                    _tn[i] = tn; _kSplit[i] = ks;
                    MemoryMarshal.Write(at, ConvParams.For(op, a, o, batch, _k4[i], ks, kc));
                    break;
                case GlOpKind.MaxPool:
                case GlOpKind.GlobalAvgPool:
                    MemoryMarshal.Write(at, PoolParams.For(op, a, o, batch));
                    break;
                case GlOpKind.FullyConnected:
                    MemoryMarshal.Write(at, new FcParams { N = batch, In = a.Size, Out = o.Size, In4 = _k4[i], Relu = op.Relu ? 1 : 0 });
                    break;
                case GlOpKind.Add:
                case GlOpKind.Relu:
                    MemoryMarshal.Write(at, EltwiseParams.For(op, o, batch));
                    break;
            }
        }
        _gl.BindBuffer(GLEnum.UniformBuffer, _params);
        _gl.BufferSubData<byte>(GLEnum.UniformBuffer, 0, block);
        // Slots 1 (softmax) and 2 (CAM) of the small-block buffer; 0 is preprocessing, 3 the tap mosaic (per call).
        var small = new byte[_paramStride * 2];
        MemoryMarshal.Write(small, new SoftmaxParams { N = batch, Classes = Classes, K = Math.Min(_opt.TopK, Classes) });
        if (CamTexture != 0)
        {
            var f = _net.Tensors[_net.CamFeatures];
            MemoryMarshal.Write(small.AsSpan(_paramStride), new CamParams { C = f.C, H = f.H, W = f.W, In4 = _k4[_net.CamClassifier], Cls = CamClass });
        }
        _gl.BindBuffer(GLEnum.UniformBuffer, _preParams);
        _gl.BufferSubData<byte>(GLEnum.UniformBuffer, _paramStride, small);
        _paramsBatch = batch;
        _camClassWritten = CamClass;
    }
    int _camClassWritten;

    static (int Groups, int X, int Y) Grid(long groups)
    {
        int x = (int)Math.Min(groups, 65535);
        return ((int)groups, x, (int)((groups + x - 1) / x));
    }

    // ------------------------------------------------------------------ inputs

    void BeginInput(int batch)
    {
        if (_cursor >= 0) throw new InvalidOperationException($"gl backend: an inference is still being scheduled ({_cursor} of {_net.Ops.Count} layers encoded); call Step until it returns true");
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be in [1, {MaxBatch}] (got {batch})");
        _ctx.MakeCurrent();
        _batch = batch;
        WriteParams(batch);
        if (CamTexture != 0 && CamClass != _camClassWritten) { _paramsBatch = -1; WriteParams(batch); }
    }

    /// <summary>Uploads <paramref name="batch"/> NCHW images (already preprocessed) as the next inference's input.</summary>
    public void SetInput(ReadOnlySpan<float> input, int batch) => SetInput(input, batch, check: true);

    /// <summary><paramref name="check"/> false only for input known finite (IInferenceBackend.RunFinite: preprocessed pixels).</summary>
    void SetInput(ReadOnlySpan<float> input, int batch, bool check)
    {
        int need = batch * Channels * Height * Width;
        if (input.Length != need) throw new ArgumentException($"input has {input.Length} floats, expected {batch}x{Channels}x{Height}x{Width} = {need}");
        if (check) ResNetRealtime.Runtime.Tensors.Finite.Require(input);
        BeginInput(batch);
        _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _tensorBuf[_net.Input]);
        _gl.BufferSubData(GLEnum.ShaderStorageBuffer, 0, input);
        Check("gl input upload");
        _cursor = 0;
    }

    /// <summary>
    /// The next inference's input is <paramref name="texture"/> (any GL_TEXTURE_2D the shader can texelFetch, e.g. an
    /// RGBA8 render target): resized, centre-cropped and normalised on the GPU, no CPU round trip.
    /// <paramref name="flipY"/>: the texture's row 0 is the bottom of the image (GL render targets).
    /// </summary>
    public void SetInputTexture(uint texture, int width, int height, bool flipY = true)
    {
        if (texture == 0) throw new ArgumentException("texture 0 is not a texture");
        RequireImageInput();
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"texture size must be positive (got {width}x{height})");
        BeginInput(1);
        WritePreprocess(width, height, flipY);
        if (_pPreTex == 0) _pPreTex = _shaders.Get("preprocess.comp", "FROM_TEXTURE");
        _gl.UseProgram(_pPreTex);
        _gl.ActiveTexture(GLEnum.Texture0);
        _gl.BindTexture(GLEnum.Texture2D, texture);
        DispatchPreprocess();
        _gl.BindTexture(GLEnum.Texture2D, 0);
        Check("gl preprocess from texture");
        _cursor = 0;
    }

    /// <summary>The next inference's input is an RGBA8 frame (row 0 = top), uploaded and preprocessed on the GPU.</summary>
    public void SetInputRgba(ReadOnlySpan<byte> rgba, int width, int height)
    {
        if (width < 1 || height < 1 || rgba.Length != width * height * 4)
            throw new ArgumentException($"frame has {rgba.Length} bytes, expected {width}x{height}x4 = {Math.Max(0, width * height * 4)}");
        RequireImageInput();
        BeginInput(1);
        _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _frameBuf);
        if (_frameBufBytes < rgba.Length) { _gl.BufferData(GLEnum.ShaderStorageBuffer, (nuint)rgba.Length, null, GLEnum.StreamDraw); _frameBufBytes = rgba.Length; }
        _gl.BufferSubData(GLEnum.ShaderStorageBuffer, 0, rgba);
        WritePreprocess(width, height, false);
        if (_pPreBuf == 0) _pPreBuf = _shaders.Get("preprocess.comp");
        _gl.UseProgram(_pPreBuf);
        _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, _frameBuf);
        DispatchPreprocess();
        Check("gl preprocess from RGBA");
        _cursor = 0;
    }

    void RequireImageInput()
    {
        if (Channels is not (1 or 3)) throw new NotSupportedException($"image input needs a 1- or 3-channel model; this one takes {Channels} channels");
    }

    void WritePreprocess(int srcW, int srcH, bool flipY)
    {
        // Same geometry object as the CPU Preprocessor, so both paths crop the same pixels.
        var g = CropGeometry.Compute(srcW, srcH, Height, Width, _opt.CropRatio);
        int c1 = Math.Min(1, Channels - 1), c2 = Math.Min(2, Channels - 1); // a 1-channel model repeats its one mean/std
        var p = new PreprocessParams
        {
            SrcW = srcW, SrcH = srcH, OutW = Width, OutH = Height,
            ResizedW = g.ResizedWidth, ResizedH = g.ResizedHeight, CropX = g.Left, CropY = g.Top,
            FlipY = flipY ? 1 : 0, BatchIndex = 0, Channels = Channels,
            MeanR = _mean[0], MeanG = _mean[c1], MeanB = _mean[c2],
            StdR = _std[0], StdG = _std[c1], StdB = _std[c2],
        };
        _gl.BindBuffer(GLEnum.UniformBuffer, _preParams);
        _gl.BufferSubData(GLEnum.UniformBuffer, 0, (nuint)sizeof(PreprocessParams), &p);
    }

    void DispatchPreprocess()
    {
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _preParams, 0, (nuint)sizeof(PreprocessParams));
        _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 4, _tensorBuf[_net.Input]);
        _gl.DispatchCompute((uint)((Width + 15) / 16), (uint)((Height + 15) / 16), 1);
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
    }

    // ------------------------------------------------------------------ layers

    /// <summary>
    /// Budgeted scheduling: encodes up to <paramref name="maxLayers"/> more layers of the inference whose input was
    /// set; returns true once all layers, softmax, CAM and the readback copy are submitted (then poll
    /// <see cref="TryGetResult"/>). Spread one inference over frames with e.g. Step(8) per frame.
    /// </summary>
    public bool Step(int maxLayers)
    {
        if (_cursor < 0) throw new InvalidOperationException("gl backend: Step without an input; call SetInput, SetInputTexture or SetInputRgba first");
        if (maxLayers < 1) throw new ArgumentOutOfRangeException(nameof(maxLayers), $"maxLayers must be ≥ 1 (got {maxLayers})");
        _ctx.MakeCurrent();
        int end = (int)Math.Min(_net.Ops.Count, (long)_cursor + maxLayers);
        for (; _cursor < end; _cursor++) Encode(_cursor);
        if (_cursor < _net.Ops.Count) return false;
        Finish();
        _cursor = -1;
        return true;
    }

    /// <summary>Time-budgeted variant of <see cref="Step"/>: encodes layers until <paramref name="budget"/> of CPU time
    /// has passed (at least one layer). Measures submission time; on drivers that execute asynchronously the GPU work
    /// lands later, so prefer a layer count there.</summary>
    public bool StepFor(TimeSpan budget)
    {
        long start = Stopwatch.GetTimestamp();
        while (!Step(1))
            if (Stopwatch.GetElapsedTime(start) >= budget) return false;
        return true;
    }

    /// <summary>Encodes the whole inference whose input was set (no waiting). Poll <see cref="TryGetResult"/>.</summary>
    public void Submit() => Step(int.MaxValue);

    void Bind(int binding, uint buffer) => _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, (uint)binding, buffer);

    /// <summary>Check mode (<see cref="GlBackendOptions.CheckErrors"/>): throws naming <paramref name="what"/> when GL reported an error.</summary>
    void Check(string what)
    {
        if (_opt.CheckErrors) GlErrors.ThrowIfError(_gl, what);
    }

    void Encode(int i)
    {
        var op = _net.Ops[i];
        var o = _net.Tensors[op.Output];
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _params, i * _paramStride, (nuint)sizeof(ConvParams));
        Bind(0, _tensorBuf[op.Inputs[0]]);
        Bind(4, _tensorBuf[op.Output]);
        switch (op.Kind)
        {
            case GlOpKind.Conv:
            {
                int tn = _tn[i], ks = _kSplit[i];
                _gl.UseProgram(tn == 16 ? (_oneByOne[i] ? _pConv1x1_16 : _pConv16) : (_oneByOne[i] ? _pConv1x1 : _pConv));
                Bind(1, _wBuf[i]); Bind(2, _bBuf[i]);
                Bind(3, op.Residual >= 0 ? _tensorBuf[op.Residual] : _bBuf[i]);
                Bind(5, _partial);
                long p = (long)_batch * o.H * o.W;
                _gl.DispatchCompute((uint)((p + tn - 1) / tn), (uint)((o.C / op.Groups + 63) / 64), (uint)(op.Groups * ks));
                if (ks > 1)
                {
                    _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
                    _gl.UseProgram(_pReduce);
                    var g = Grid((o.C * p + 255) / 256);
                    _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                }
                break;
            }
            case GlOpKind.MaxPool:
            {
                _gl.UseProgram(_pPool);
                var g = Grid(((long)_batch * o.Size + 63) / 64);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
            case GlOpKind.GlobalAvgPool:
            {
                _gl.UseProgram(_pGap);
                var g = Grid((long)_batch * o.C);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
            case GlOpKind.FullyConnected:
                _gl.UseProgram(_pFc);
                Bind(1, _wBuf[i]); Bind(2, _bBuf[i]);
                _gl.DispatchCompute((uint)o.Size, (uint)_batch, 1);
                break;
            case GlOpKind.Add:
            case GlOpKind.Relu:
            {
                _gl.UseProgram(_pElt);
                Bind(3, op.Kind == GlOpKind.Add ? _tensorBuf[op.Inputs[1]] : _tensorBuf[op.Inputs[0]]);
                var g = Grid(((long)_batch * o.Size + 255) / 256);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
        }
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        if (_opt.CheckErrors) Check($"gl layer {i} ({op})"); // the message is built only in check mode
    }

    /// <summary>Softmax/top-k, CAM, and the copy into a readback slot followed by a fence.</summary>
    void Finish()
    {
        int k = Math.Min(_opt.TopK, Classes);
        _gl.UseProgram(_pSoftmax);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _preParams, _paramStride, (nuint)sizeof(SoftmaxParams));
        Bind(0, _tensorBuf[_net.Output]); Bind(4, _probs); Bind(5, _topk);
        _gl.DispatchCompute((uint)_batch, 1, 1);
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        if (CamTexture != 0)
        {
            _gl.UseProgram(_pCam);
            _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _preParams, 2 * _paramStride, (nuint)sizeof(CamParams));
            Bind(0, _tensorBuf[_net.CamFeatures]); Bind(1, _wBuf[_net.CamClassifier]); Bind(5, _topk); Bind(6, _camScratch);
            _gl.BindImageTexture(0, CamTexture, 0, false, 0, GLEnum.WriteOnly, GLEnum.R32f);
            _gl.DispatchCompute(1, 1, 1);
            _gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit);
        }

        if (_slotCount == _slotBuf.Length)
        {
            // Every slot is in flight: the caller is not polling. Wait for the oldest and drop it rather than grow.
            int old = _slotHead;
            _gl.ClientWaitSync(_slotFence[old], SyncObjectMask.SyncFlushCommandsBit, TimeoutIgnored);
            _gl.DeleteSync(_slotFence[old]); _slotFence[old] = 0;
            _slotHead = (_slotHead + 1) % _slotBuf.Length; _slotCount--;
            DroppedResults++;
        }
        int s = (_slotHead + _slotCount) % _slotBuf.Length;
        int logitsBytes = _batch * Classes * 4;
        _gl.BindBuffer(GLEnum.CopyReadBuffer, _tensorBuf[_net.Output]);
        _gl.BindBuffer(GLEnum.CopyWriteBuffer, _slotBuf[s]);
        _gl.CopyBufferSubData(GLEnum.CopyReadBuffer, GLEnum.CopyWriteBuffer, 0, 0, (nuint)logitsBytes);
        _gl.BindBuffer(GLEnum.CopyReadBuffer, _topk);
        _gl.CopyBufferSubData(GLEnum.CopyReadBuffer, GLEnum.CopyWriteBuffer, 0, MaxBatch * Classes * 4, (nuint)(Math.Max(1, _batch * k) * 8));
        _gl.MemoryBarrier(MemoryBarrierMask.ClientMappedBufferBarrierBit);
        _slotFence[s] = _gl.FenceSync(SyncCondition.SyncGpuCommandsComplete, SyncBehaviorFlags.None);
        _gl.Flush(); // the fence must reach the GPU, or a poll with timeout 0 could wait forever
        _slotBatch[s] = _batch;
        _slotTicket[s] = ++_ticket;
        _slotCount++;
        Check("gl softmax/top-k, CAM and readback copy");
    }

    /// <summary>
    /// Non-blocking: when the oldest submitted inference has finished on the GPU, copies its logits
    /// (batch × Classes) into <paramref name="logits"/>, its top-k into <see cref="TopK"/>, and returns true.
    /// </summary>
    public bool TryGetResult(Span<float> logits) => TryGetResult(logits, out _, 0);

    public bool TryGetResult(Span<float> logits, out int batch) => TryGetResult(logits, out batch, 0);

    /// <summary>Blocks until the oldest submitted inference is done and returns its logits.</summary>
    public void WaitResult(Span<float> logits)
    {
        if (_slotCount == 0) throw new InvalidOperationException("gl backend: no inference submitted");
        TryGetResult(logits, out _, TimeoutIgnored);
    }

    bool TryGetResult(Span<float> logits, out int batch, ulong timeoutNs)
    {
        batch = 0;
        if (_slotCount == 0) return false;
        _ctx.MakeCurrent();
        int s = _slotHead;
        var r = _gl.ClientWaitSync(_slotFence[s], timeoutNs == 0 ? 0 : (uint)SyncObjectMask.SyncFlushCommandsBit, timeoutNs);
        if (r == GLEnum.TimeoutExpired) return false;
        if (r == GLEnum.WaitFailed) throw new GlException($"glClientWaitSync failed ({GlErrors.Name(_gl.GetError())})");
        batch = _slotBatch[s];
        int n = batch * Classes;
        if (logits.Length < n) throw new ArgumentException($"logits span has {logits.Length} floats, need {batch}x{Classes} = {n}");
        int k = _topkHost.Length / 2;
        if (_slotPtr[s] != null)
        {
            new ReadOnlySpan<float>(_slotPtr[s], n).CopyTo(logits);
            new ReadOnlySpan<float>(_slotPtr[s] + MaxBatch * Classes, 2 * k).CopyTo(_topkHost);
        }
        else
        {
            _gl.BindBuffer(GLEnum.CopyWriteBuffer, _slotBuf[s]);
            _gl.GetBufferSubData(GLEnum.CopyWriteBuffer, 0, logits[..n]);
            _gl.GetBufferSubData<float>(GLEnum.CopyWriteBuffer, MaxBatch * Classes * 4, _topkHost);
        }
        _gl.DeleteSync(_slotFence[s]); _slotFence[s] = 0;
        _slotHead = (_slotHead + 1) % _slotBuf.Length;
        _slotCount--;
        Check("gl result readback");
        return true;
    }

    // ------------------------------------------------------------------ synchronous API

    public void Run(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits, check: true);

    void IInferenceBackend.RunFinite(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits, check: false);

    void Run(ReadOnlySpan<float> input, int batch, Span<float> logits, bool check)
    {
        if (logits.Length < batch * Classes) throw new ArgumentException($"logits span has {logits.Length} floats, need {batch}x{Classes} = {batch * Classes}");
        DrainPending();
        SetInput(input, batch, check);
        Submit();
        WaitResult(logits);
        ReadTaps();
    }

    /// <summary>Synchronous texture inference (see <see cref="SetInputTexture"/>); logits of the one image.</summary>
    public void RunFromTexture(uint texture, int width, int height, Span<float> logits, bool flipY = true)
    {
        DrainPending();
        SetInputTexture(texture, width, height, flipY);
        Submit();
        WaitResult(logits);
        ReadTaps();
    }

    /// <summary>Synchronous RGBA8-frame inference (see <see cref="SetInputRgba"/>).</summary>
    public void RunFromRgba(ReadOnlySpan<byte> rgba, int width, int height, Span<float> logits)
    {
        DrainPending();
        SetInputRgba(rgba, width, height);
        Submit();
        WaitResult(logits);
        ReadTaps();
    }

    void DrainPending()
    {
        if (_cursor >= 0) throw new InvalidOperationException("gl backend: a scheduled inference is half encoded; finish it with Step first");
        // Results of earlier async submits would be returned in place of this one: collect and drop them.
        while (_slotCount > 0)
        {
            int s = _slotHead;
            _gl.ClientWaitSync(_slotFence[s], SyncObjectMask.SyncFlushCommandsBit, TimeoutIgnored);
            _gl.DeleteSync(_slotFence[s]); _slotFence[s] = 0;
            _slotHead = (_slotHead + 1) % _slotBuf.Length; _slotCount--;
        }
    }

    /// <summary>
    /// Per-layer GPU time of one inference, from GL timestamp queries around each layer (blocking; for tuning,
    /// not for the frame loop). Entries: "preprocess"-free float input, then each layer, then "softmax+cam+copy".
    /// </summary>
    public List<(string Layer, double Ms)> Profile(ReadOnlySpan<float> input, int batch)
    {
        DrainPending();
        var q = new uint[_net.Ops.Count + 2];
        for (int i = 0; i < q.Length; i++) q[i] = _gl.GenQuery();
        try
        {
            SetInput(input, batch);
            _gl.QueryCounter(q[0], QueryCounterTarget.Timestamp);
            for (; _cursor < _net.Ops.Count; _cursor++) { Encode(_cursor); _gl.QueryCounter(q[_cursor + 1], QueryCounterTarget.Timestamp); }
            Finish();
            _cursor = -1;
            _gl.QueryCounter(q[^1], QueryCounterTarget.Timestamp);
            var scratch = new float[batch * Classes];
            WaitResult(scratch);
            _gl.Finish();
            var list = new List<(string, double)>();
            for (int i = 1; i < q.Length; i++)
            {
                _gl.GetQueryObject(q[i], QueryObjectParameterName.Result, out ulong t1);
                _gl.GetQueryObject(q[i - 1], QueryObjectParameterName.Result, out ulong t0);
                double ms = (t1 - t0) / 1e6;
                list.Add((i <= _net.Ops.Count ? _net.Ops[i - 1].ToString() : "softmax+cam+copy", ms));
            }
            return list;
        }
        finally { foreach (var x in q) _gl.DeleteQuery(x); }
    }

    /// <summary>Reads the requested taps back into <see cref="Taps"/> (blocking; the sync paths call it).</summary>
    public void ReadTaps()
    {
        for (int j = 0; j < _tapIndex.Length; j++)
        {
            var t = _net.Tensors[_tapIndex[j]];
            _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _tensorBuf[_tapIndex[j]]);
            _gl.GetBufferSubData(GLEnum.ShaderStorageBuffer, 0, _taps[j].Data.AsSpan(0, _batch * t.Size));
        }
    }

    /// <summary>Softmax probabilities of the last finished inference (blocking read; [batch × Classes]).</summary>
    public void ReadProbabilities(Span<float> probs)
    {
        _ctx.MakeCurrent();
        _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _probs);
        _gl.GetBufferSubData(GLEnum.ShaderStorageBuffer, 0, probs[..Math.Min(probs.Length, MaxBatch * Classes)]);
    }

    uint _pTapMinMax, _pTap;

    /// <summary>
    /// A tap (requested in the options) of image 0 as an r32f mosaic texture for the overlay, as
    /// <see cref="ActivationMosaic"/> defines it (first <paramref name="maxChannels"/> channels, 0 = all, each
    /// scaled to its own min..max). Stays on the GPU; made on first use and refreshed by each call (so call it
    /// after the inference you want to show was submitted).
    /// </summary>
    public (uint Texture, int Width, int Height) GetTapTexture(string name, int maxChannels = 0)
    {
        // Called once per inference by a frame loop: no allocation (no ToArray, no params array, no key string).
        int j = -1;
        for (int i = 0; i < _opt.Taps.Count; i++) if (_opt.Taps[i] == name) { j = i; break; }
        if (j < 0) throw new ArgumentException($"'{name}' was not requested as a tap (taps: {string.Join(", ", _opt.Taps)})");
        _ctx.MakeCurrent();
        var t = _net.Tensors[_tapIndex[j]];
        var (n, cols, rows) = ActivationMosaic.Grid(t.C, maxChannels);
        int w = cols * t.W, h = rows * t.H;
        if (!_tapTextures.TryGetValue(name, out var tex) || tex.W != w || tex.H != h)
        {
            if (tex.Tex != 0) _gl.DeleteTexture(tex.Tex);
            _tapTextures[name] = tex = (NewTextureR32F(w, h, linear: false), w, h);
        }
        var prm = new TapParams { C = n, H = t.H, W = t.W, Cols = cols, Rows = rows };
        _gl.BindBuffer(GLEnum.UniformBuffer, _preParams);
        _gl.BufferSubData(GLEnum.UniformBuffer, 3 * _paramStride, (nuint)sizeof(TapParams), &prm);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _preParams, 3 * _paramStride, (nuint)sizeof(TapParams));
        Bind(0, _tensorBuf[_tapIndex[j]]); Bind(6, _tapStats);
        if (_pTapMinMax == 0) { _pTapMinMax = _shaders.Get("tap.comp", "MINMAX"); _pTap = _shaders.Get("tap.comp"); }
        _gl.UseProgram(_pTapMinMax);
        _gl.DispatchCompute((uint)n, 1, 1); // one workgroup per shown channel
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        _gl.UseProgram(_pTap);
        _gl.BindImageTexture(0, tex.Tex, 0, false, 0, GLEnum.WriteOnly, GLEnum.R32f);
        _gl.DispatchCompute((uint)((tex.W + 15) / 16), (uint)((tex.H + 15) / 16), 1);
        _gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit);
        Check("gl tap mosaic");
        return tex;
    }

    /// <summary>Reads a texture this backend made (CAM or a tap mosaic) back to the CPU, row 0 first. For tests and saving.</summary>
    public float[] ReadTexture(uint texture, int width, int height)
    {
        _ctx.MakeCurrent();
        var data = new float[width * height];
        _gl.BindTexture(GLEnum.Texture2D, texture);
        _gl.PixelStore(GLEnum.PackAlignment, 4);
        fixed (float* p = data) _gl.GetTexImage(GLEnum.Texture2D, 0, GLEnum.Red, GLEnum.Float, p);
        _gl.BindTexture(GLEnum.Texture2D, 0);
        return data;
    }

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        if (_ctx != null && !_ctx.IsDisposed && _gl != null)
        {
            try
            {
                _ctx.MakeCurrent();
                if (_slotFence != null) foreach (var f in _slotFence) _gl.DeleteSync(f);
                if (_slotBuf != null) foreach (var b in _slotBuf) { if (b != 0) _gl.DeleteBuffer(b); }
                foreach (var b in _pool) _gl.DeleteBuffer(b);
                if (_wBuf != null) foreach (var b in _wBuf) _gl.DeleteBuffer(b);
                if (_bBuf != null) foreach (var b in _bBuf) _gl.DeleteBuffer(b);
                foreach (var b in new[] { _partial, _params, _preParams, _probs, _topk, _camScratch, _tapStats, _frameBuf }) _gl.DeleteBuffer(b);
                _gl.DeleteTexture(CamTexture);
                foreach (var t in _tapTextures.Values) _gl.DeleteTexture(t.Tex);
                _shaders?.Dispose();
            }
            catch (GlException) { } // disposing after a lost context: nothing left to free
        }
        if (_ownsContext) _ctx?.Dispose();
    }
}
