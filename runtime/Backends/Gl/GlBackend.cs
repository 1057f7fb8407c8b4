using System.Diagnostics;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Imaging;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>How <see cref="GlBackend.ProfileLayers"/> times a layer.</summary>
internal enum GlLayerTiming
{
    /// <summary>GL_TIME_ELAPSED query around the layer's dispatches: the GPU's own time.</summary>
    TimerQuery,
    /// <summary>glFinish before, CPU clock around the dispatches and a glFinish after: wall time, submission included.</summary>
    Finish,
}

/// <summary>Options of the GL backend beyond the model.</summary>
internal sealed class GlBackendOptions
{
    /// <summary>The context to run in (embedding: <see cref="GlContext.FromGl"/> or <see cref="GlContext.FromCurrent"/>); null = own headless EGL context.</summary>
    public GlContext Context { get; init; }
    public int MaxBatch { get; init; } = 1;
    /// <summary>Tensor names (ONNX value names) to keep and return as taps.</summary>
    public IReadOnlyList<string> Taps { get; init; } = Array.Empty<string>();
    /// <summary>What each tap is called in <see cref="GlBackend.Taps"/> and <see cref="GlBackend.GetTapTexture"/> (the names
    /// the caller asked for, e.g. "stem" for the tensor it resolves to, as ORT reports them); null = the tensor names.</summary>
    public IReadOnlyList<string> TapNames { get; init; }
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
    /// <summary>In a host's context (<see cref="Context"/> set): save the GL state the backend changes (program,
    /// buffer and texture bindings, see <see cref="GlHostState"/>) at each public call and restore it on return, so
    /// the host's renderer is not disturbed. Ignored for the backend's own headless context.</summary>
    public bool RestoreHostState { get; init; } = true;
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
/// A facade over four parts: <see cref="GlNetworkRunner"/> (the layers' dispatches), <see cref="GlPreprocess"/>
/// (image input), <see cref="GlVisuals"/> (CAM, tap mosaics) and <see cref="GlReadbackRing"/> (fenced results).
/// Not thread-safe; every call must come from a thread where the context may be made current.
/// </summary>
internal sealed unsafe class GlBackend : IInferenceBackend
{
    readonly GlContext _ctx;
    readonly bool _ownsContext;
    readonly GL _gl;
    readonly GlShaders _shaders;
    readonly GlNetwork _net;
    readonly GlBackendOptions _opt;
    readonly GlNetworkRunner _runner;
    readonly GlPreprocess _pre;
    readonly GlVisuals _visuals;
    readonly GlReadbackRing _ring;
    /// <summary>Small uniform blocks, one per slot of the runner's stride: 0 preprocess, 1 softmax, 2 CAM, 3 tap mosaic.</summary>
    readonly uint _smallBlocks;
    readonly int[] _tapIndex;
    readonly TapTensor[] _taps;
    readonly float[] _topkHost;
    readonly bool _restoreHost;
    GlHostState _host;
    int _hostDepth;

    public Backend Kind => Backend.Gl;
    public string Name => Kind.ToName();
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
    public int Pending => _ring.Count;
    /// <summary>Results overwritten because MaxInFlight inferences were pending (the caller did not poll).</summary>
    public long DroppedResults => _ring.Dropped;
    /// <summary>The CAM texture (r32f, <see cref="CamWidth"/>×<see cref="CamHeight"/>, [0,1], row 0 = top of the image), 0 when disabled.</summary>
    public uint CamTexture => _visuals.CamTexture;
    public int CamWidth => _visuals.CamWidth;
    public int CamHeight => _visuals.CamHeight;
    /// <summary>Class the CAM shows: -1 = the top-1 class of each inference (chosen on the GPU).</summary>
    public int CamClass { get => _visuals.CamClass; set => _visuals.CamClass = value; }
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
        var mean = _opt.Mean ?? (Channels == 1 ? new[] { 0.5f } : Preprocessor.ImageNetMean);
        var std = _opt.Std ?? (Channels == 1 ? new[] { 0.5f } : Preprocessor.ImageNetStd);
        if (mean.Length < Math.Min(Channels, 3) || std.Length < Math.Min(Channels, 3))
            throw new ArgumentException($"mean/std need {Channels} values each (got {mean.Length} and {std.Length})");
        if (_opt.TapNames != null && _opt.TapNames.Count != _opt.Taps.Count)
            throw new ArgumentException($"{_opt.TapNames.Count} tap names given for {_opt.Taps.Count} taps");
        _tapIndex = _opt.Taps.Select(name =>
        {
            int t = _net.FindTensor(name);
            if (t < 0) throw new ArgumentException($"tap '{name}' is not a tensor the gl backend materialises (have: {string.Join(", ", _net.Tensors.Take(12).Select(x => x.Name))}{(_net.Tensors.Count > 12 ? ", ..." : "")})");
            return t;
        }).ToArray();
        _ctx = _opt.Context;
        if (_ctx == null) { _ctx = GlContext.CreateHeadless(); _ownsContext = true; }
        try
        {
            _ctx.MakeCurrent();
            _ctx.RequireCompute();
            _gl = _ctx.Gl;
            _restoreHost = _opt.RestoreHostState && !_ownsContext;
            if (_restoreHost) _host = GlHostState.Save(_gl);
            _shaders = new GlShaders(_ctx, _opt.ShaderCacheDirectory);
            _runner = new GlNetworkRunner(_gl, _shaders, _net, MaxBatch, _opt.TopK, _tapIndex, _opt.CheckErrors);
            _taps = _tapIndex.Select((t, j) =>
            {
                var x = _net.Tensors[t];
                return new TapTensor(TapName(j), new[] { MaxBatch, x.C, x.H, x.W }, new float[MaxBatch * x.Size]);
            }).ToArray();
            _smallBlocks = GlObjects.Buffer(_gl, GLEnum.UniformBuffer, 4 * _runner.ParamStrideBytes);
            int k = Math.Min(_opt.TopK, Classes);
            _topkHost = new float[k * 2];
            _pre = new GlPreprocess(_gl, _shaders, Channels, Height, Width, mean, std, _opt.CropRatio, _opt.CheckErrors);
            _visuals = new GlVisuals(_gl, _shaders, _net, _runner, _smallBlocks, _opt.Cam,
                _tapIndex.Select(i => _net.Tensors[i].C).DefaultIfEmpty(1).Max(), _opt.CheckErrors);
            _ring = new GlReadbackRing(_gl, _opt.MaxInFlight, MaxBatch, Classes, k, _opt.CheckErrors);
            Check("gl backend setup (buffers, textures, programs)");
            if (_restoreHost) _host.Restore(_gl);
        }
        catch
        {
            if (_restoreHost) _host.Restore(_gl);
            Dispose();
            throw;
        }
    }

    string TapName(int j) => _opt.TapNames?[j] ?? _opt.Taps[j];

    /// <summary>Saves the host's GL state on the outermost public call (context made current first) …</summary>
    void EnterHost()
    {
        if (_hostDepth == 0)
        {
            _ctx.MakeCurrent();
            if (_restoreHost) _host = GlHostState.Save(_gl);
        }
        _hostDepth++;
    }

    /// <summary>… and puts it back when that call returns or throws.</summary>
    void LeaveHost()
    {
        if (--_hostDepth == 0 && _restoreHost) _host.Restore(_gl);
    }

    /// <summary>Check mode (<see cref="GlBackendOptions.CheckErrors"/>): throws naming <paramref name="what"/> when GL reported an error.</summary>
    void Check(string what)
    {
        if (_opt.CheckErrors) GlErrors.ThrowIfError(_gl, what);
    }

    // ------------------------------------------------------------------ inputs

    void BeginInput(int batch)
    {
        _runner.CheckCanBegin(batch);
        _ctx.MakeCurrent();
        _runner.Begin(batch, _smallBlocks);
        _visuals.WriteCamParams();
    }

    /// <summary>Uploads <paramref name="batch"/> NCHW images (already preprocessed) as the next inference's input.</summary>
    public void SetInput(ReadOnlySpan<float> input, int batch) => SetInput(input, batch, check: true);

    /// <summary><paramref name="check"/> false only for input known finite (IInferenceBackend.RunFinite: preprocessed pixels).</summary>
    void SetInput(ReadOnlySpan<float> input, int batch, bool check)
    {
        EnterHost();
        try
        {
            int need = batch * Channels * Height * Width;
            if (input.Length != need) throw new ArgumentException($"input has {input.Length} floats, expected {batch}x{Channels}x{Height}x{Width} = {need}");
            if (check) ResNetRealtime.Runtime.Tensors.Finite.Require(input);
            BeginInput(batch);
            _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _runner.TensorBuffer(_net.Input));
            _gl.BufferSubData(GLEnum.ShaderStorageBuffer, 0, input);
            Check("gl input upload");
            _runner.Ready();
        }
        finally { LeaveHost(); }
    }

    /// <summary>
    /// The next inference's input is <paramref name="texture"/> (any GL_TEXTURE_2D the shader can texelFetch, e.g. an
    /// RGBA8 render target): resized, centre-cropped and normalised on the GPU, no CPU round trip.
    /// <paramref name="flipY"/>: the texture's row 0 is the bottom of the image (GL render targets).
    /// </summary>
    public void SetInputTexture(uint texture, int width, int height, bool flipY = true)
    {
        EnterHost();
        try
        {
            if (texture == 0) throw new ArgumentException("texture 0 is not a texture");
            RequireImageInput();
            if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"texture size must be positive (got {width}x{height})");
            BeginInput(1);
            _pre.FromTexture(texture, width, height, flipY, _runner.TensorBuffer(_net.Input), _smallBlocks);
            _runner.Ready();
        }
        finally { LeaveHost(); }
    }

    /// <summary>The next inference's input is an RGBA8 frame (row 0 = top), uploaded and preprocessed on the GPU.</summary>
    public void SetInputRgba(ReadOnlySpan<byte> rgba, int width, int height)
    {
        EnterHost();
        try
        {
            if (width < 1 || height < 1 || rgba.Length != width * height * 4)
                throw new ArgumentException($"frame has {rgba.Length} bytes, expected {width}x{height}x4 = {Math.Max(0, width * height * 4)}");
            RequireImageInput();
            BeginInput(1);
            _pre.FromRgba(rgba, width, height, _runner.TensorBuffer(_net.Input), _smallBlocks);
            _runner.Ready();
        }
        finally { LeaveHost(); }
    }

    void RequireImageInput()
    {
        if (Channels is not (1 or 3)) throw new NotSupportedException($"image input needs a 1- or 3-channel model; this one takes {Channels} channels");
    }

    // ------------------------------------------------------------------ layers

    /// <summary>
    /// Budgeted scheduling: encodes up to <paramref name="maxLayers"/> more layers of the inference whose input was
    /// set; returns true once all layers, softmax, CAM and the readback copy are submitted (then poll
    /// <see cref="TryGetResult"/>). Spread one inference over frames with e.g. Step(8) per frame.
    /// </summary>
    public bool Step(int maxLayers)
    {
        EnterHost();
        try
        {
            if (_runner.Cursor < 0) throw new InvalidOperationException("gl backend: Step without an input; call SetInput, SetInputTexture or SetInputRgba first");
            if (maxLayers < 1) throw new ArgumentOutOfRangeException(nameof(maxLayers), $"maxLayers must be ≥ 1 (got {maxLayers})");
            _ctx.MakeCurrent();
            if (!_runner.EncodeNext(maxLayers)) return false;
            Finish();
            _runner.End();
            return true;
        }
        finally { LeaveHost(); }
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

    /// <summary>Softmax/top-k, CAM, and the copy into a readback slot followed by a fence.</summary>
    void Finish()
    {
        _runner.EncodeSoftmax(_smallBlocks);
        _visuals.EncodeCam();
        _ring.Put(_runner.TensorBuffer(_net.Output), _runner.TopKBuffer, _runner.Batch);
        Check("gl softmax/top-k, CAM and readback copy");
    }

    // ------------------------------------------------------------------ results

    /// <summary>
    /// Non-blocking: when the oldest submitted inference has finished on the GPU, copies its logits
    /// (batch × Classes) into <paramref name="logits"/>, its top-k into <see cref="TopK"/>, and returns true.
    /// </summary>
    public bool TryGetResult(Span<float> logits) => TryGetResult(logits, out _, 0);

    public bool TryGetResult(Span<float> logits, out int batch) => TryGetResult(logits, out batch, 0);

    /// <summary>Blocks until the oldest submitted inference is done and returns its logits.</summary>
    public void WaitResult(Span<float> logits)
    {
        if (_ring.Count == 0) throw new InvalidOperationException("gl backend: no inference submitted");
        TryGetResult(logits, out _, GlReadbackRing.TimeoutIgnored);
    }

    bool TryGetResult(Span<float> logits, out int batch, ulong timeoutNs)
    {
        batch = 0;
        if (_ring.Count == 0) return false;
        EnterHost();
        try { return _ring.TryTake(logits, _topkHost, out batch, timeoutNs); }
        finally { LeaveHost(); }
    }

    // ------------------------------------------------------------------ synchronous API

    public void Run(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits, check: true);

    void IInferenceBackend.RunFinite(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits, check: false);

    void Run(ReadOnlySpan<float> input, int batch, Span<float> logits, bool check)
    {
        EnterHost();
        try
        {
            if (logits.Length < batch * Classes) throw new ArgumentException($"logits span has {logits.Length} floats, need {batch}x{Classes} = {batch * Classes}");
            DrainPending();
            SetInput(input, batch, check);
            Submit();
            WaitResult(logits);
            ReadTaps();
        }
        finally { LeaveHost(); }
    }

    /// <summary>Synchronous texture inference (see <see cref="SetInputTexture"/>); logits of the one image.</summary>
    public void RunFromTexture(uint texture, int width, int height, Span<float> logits, bool flipY = true)
    {
        EnterHost();
        try
        {
            DrainPending();
            SetInputTexture(texture, width, height, flipY);
            Submit();
            WaitResult(logits);
            ReadTaps();
        }
        finally { LeaveHost(); }
    }

    /// <summary>Synchronous RGBA8-frame inference (see <see cref="SetInputRgba"/>).</summary>
    public void RunFromRgba(ReadOnlySpan<byte> rgba, int width, int height, Span<float> logits)
    {
        EnterHost();
        try
        {
            DrainPending();
            SetInputRgba(rgba, width, height);
            Submit();
            WaitResult(logits);
            ReadTaps();
        }
        finally { LeaveHost(); }
    }

    void DrainPending()
    {
        if (_runner.Cursor >= 0) throw new InvalidOperationException("gl backend: a scheduled inference is half encoded; finish it with Step first");
        // Results of earlier async submits would be returned in place of this one: collect and drop them.
        _ring.Drain();
    }

    /// <summary>
    /// Per-layer GPU time of one inference, from GL timestamp queries around each layer (blocking; for tuning,
    /// not for the frame loop). Entries: "preprocess"-free float input, then each layer, then "softmax+cam+copy".
    /// </summary>
    public List<(string Layer, double Ms)> Profile(ReadOnlySpan<float> input, int batch)
    {
        EnterHost();
        try
        {
            DrainPending();
            var q = new uint[_net.Ops.Count + 2];
            for (int i = 0; i < q.Length; i++) q[i] = GlObjects.Query(_gl);
            try
            {
                SetInput(input, batch);
                _gl.QueryCounter(q[0], QueryCounterTarget.Timestamp);
                for (int i = 0; i < _net.Ops.Count; i++) { _runner.EncodeNext(1); _gl.QueryCounter(q[i + 1], QueryCounterTarget.Timestamp); }
                Finish();
                _runner.End();
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
            finally { foreach (var x in q) GlObjects.DeleteQuery(_gl, x); }
        }
        finally { LeaveHost(); }
    }

    /// <summary>Whether the driver counts GL_TIME_ELAPSED (glGetQueryiv QUERY_COUNTER_BITS &gt; 0), what
    /// <see cref="ProfileLayers"/> needs for <see cref="GlLayerTiming.TimerQuery"/>.</summary>
    public bool HasTimerQuery
    {
        get
        {
            EnterHost();
            try { _gl.GetQuery(QueryTarget.TimeElapsed, QueryParameterName.QueryCounterBits, out int bits); GlErrors.Drain(_gl); return bits > 0; }
            finally { LeaveHost(); }
        }
    }

    /// <summary>
    /// Time of each layer (in <see cref="Network"/>'s order, ms) of one inference of <paramref name="input"/>, for rr bench-ops
    /// (blocking; not for the frame loop). <see cref="GlLayerTiming.TimerQuery"/>: a GL_TIME_ELAPSED query around each
    /// layer's dispatches (GPU time); <see cref="GlLayerTiming.Finish"/>: glFinish, then the CPU clock around the layer's
    /// dispatches and a glFinish (wall time, including the submission; for drivers without timer queries).
    /// </summary>
    public double[] ProfileLayers(ReadOnlySpan<float> input, int batch, GlLayerTiming timing)
    {
        EnterHost();
        try
        {
            DrainPending();
            int n = _net.Ops.Count;
            var ms = new double[n];
            var q = timing == GlLayerTiming.TimerQuery ? new uint[n] : Array.Empty<uint>();
            for (int i = 0; i < q.Length; i++) q[i] = GlObjects.Query(_gl);
            try
            {
                SetInput(input, batch);
                _gl.Finish();
                for (int i = 0; i < n; i++)
                {
                    if (timing == GlLayerTiming.TimerQuery)
                    {
                        _gl.BeginQuery(QueryTarget.TimeElapsed, q[i]);
                        _runner.EncodeNext(1);
                        _gl.EndQuery(QueryTarget.TimeElapsed);
                    }
                    else
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        _runner.EncodeNext(1);
                        _gl.Finish();
                        ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    }
                }
                Finish();
                _runner.End();
                WaitResult(new float[batch * Classes]);
                for (int i = 0; i < q.Length; i++)
                {
                    _gl.GetQueryObject(q[i], QueryObjectParameterName.Result, out ulong ns);
                    ms[i] = ns / 1e6;
                }
                Check("gl layer profile");
                return ms;
            }
            finally { foreach (var x in q) GlObjects.DeleteQuery(_gl, x); }
        }
        finally { LeaveHost(); }
    }

    /// <summary>Reads the requested taps back into <see cref="Taps"/> (blocking; the sync paths call it).</summary>
    public void ReadTaps()
    {
        EnterHost();
        try
        {
            for (int j = 0; j < _tapIndex.Length; j++)
            {
                var t = _net.Tensors[_tapIndex[j]];
                _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _runner.TensorBuffer(_tapIndex[j]));
                _gl.GetBufferSubData(GLEnum.ShaderStorageBuffer, 0, _taps[j].Data.AsSpan(0, _runner.Batch * t.Size));
            }
        }
        finally { LeaveHost(); }
    }

    /// <summary>Softmax probabilities of the last finished inference (blocking read; [batch × Classes]).</summary>
    public void ReadProbabilities(Span<float> probs)
    {
        EnterHost();
        try
        {
            _ctx.MakeCurrent();
            _gl.BindBuffer(GLEnum.ShaderStorageBuffer, _runner.ProbabilityBuffer);
            _gl.GetBufferSubData(GLEnum.ShaderStorageBuffer, 0, probs[..Math.Min(probs.Length, MaxBatch * Classes)]);
        }
        finally { LeaveHost(); }
    }

    /// <summary>
    /// A tap (requested in the options; by its name or its tensor's) of image 0 as an r32f mosaic texture for the overlay, as
    /// <see cref="ActivationMosaic"/> defines it (first <paramref name="maxChannels"/> channels, 0 = all, each
    /// scaled to its own min..max). Stays on the GPU; made on first use and refreshed by each call (so call it
    /// after the inference you want to show was submitted).
    /// </summary>
    public (uint Texture, int Width, int Height) GetTapTexture(string name, int maxChannels = 0)
    {
        EnterHost();
        try
        {
            int j = -1;
            for (int i = 0; i < _opt.Taps.Count; i++) if (TapName(i) == name || _opt.Taps[i] == name) { j = i; break; }
            if (j < 0) throw new ArgumentException($"'{name}' was not requested as a tap (taps: {string.Join(", ", _taps.Select(t => t.Name))})");
            _ctx.MakeCurrent();
            return _visuals.TapTexture(name, _tapIndex[j], maxChannels);
        }
        finally { LeaveHost(); }
    }

    /// <summary>Reads a texture this backend made (CAM or a tap mosaic) back to the CPU, row 0 first. For tests and saving.</summary>
    public float[] ReadTexture(uint texture, int width, int height)
    {
        EnterHost();
        try
        {
            _ctx.MakeCurrent();
            return _visuals.ReadTexture(texture, width, height);
        }
        finally { LeaveHost(); }
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
                _ring?.Dispose();
                _visuals?.Dispose();
                _pre?.Dispose();
                _runner?.Dispose();
                GlObjects.DeleteBuffer(_gl, _smallBlocks);
                _shaders?.Dispose();
            }
            catch (GlException) { } // disposing after a lost context: nothing left to free
        }
        if (_ownsContext) _ctx?.Dispose();
    }
}
