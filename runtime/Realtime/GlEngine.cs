using System.Diagnostics;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using Silk.NET.OpenGL;
using PixelFormat = ResNetRealtime.Runtime.Imaging.PixelFormat;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// gl in LIVE_STREAM mode, inside the host's context on the host's GL thread (Sentis' ScheduleIterable):
/// <list type="bullet">
/// <item>Submit starts the frame at once when the backend is idle (texture: GPU preprocess, no readback; pixels:
/// converted to RGBA8 into a pre-allocated buffer and uploaded). While an inference is being scheduled or awaits
/// its readback, the frame becomes the pending one (pixels copied; a texture is remembered and read when the
/// inference starts) and the pending frame it replaces is counted as dropped.</item>
/// <item>Update, called by the host once per frame, collects a finished result (fence polled with timeout 0),
/// starts the pending frame, and encodes layers for at most <see cref="RealtimeOptions.FrameBudget"/> of measured
/// CPU time (<see cref="GlBackend.StepFor"/>), or the whole inference when the budget is zero.</item>
/// <item>One inference at a time: a result's logits, taps, tap textures and CAM texture all belong to its frame.</item>
/// <item>Every entry checks the thread rule first and saves/restores the host's GL state around our work
/// (<see cref="GlHostState"/>, once per call: see <see cref="Enter"/>).</item>
/// </list>
/// </summary>
internal sealed class GlEngine : IRealtimeEngine
{
    readonly GlContext _ctx;
    readonly bool _ownsContext;
    readonly GL _gl;
    readonly GlBackend _be;
    // Whether to guard the host's state: not in our own headless context, where no host renders.
    readonly bool _guard;
    GlHostState _host;
    readonly ThreadRule _rule = new("RealtimeClassifier (gl)");
    readonly RealtimeOptions _o;
    readonly string[] _labels;
    readonly (string, int[])[] _tapShapes;
    readonly float[] _logits;
    readonly int _topK;
    // Timestamp queries around the one inference in flight: before preprocess, after preprocess, after the last layer.
    readonly uint[] _queries = new uint[3];
    readonly bool _timer;

    // The pending frame (latest wins).
    int _updates;   // Update calls that encoded layers of the inference in flight
    bool _hasPending, _pendingIsTexture, _pendingFlip;
    uint _pendingTex;
    int _pendingW, _pendingH;
    long _pendingId, _pendingTs;
    byte[] _pendingRgba = Array.Empty<byte>(), _startRgba = Array.Empty<byte>();
    // The inference being scheduled (_scheduling) or awaiting readback (_inFlight).
    bool _scheduling, _inFlight;
    long _curId, _curSubmitTs, _curStartTs;
    RealtimeResult _latest, _spare;
    bool _hasLatest;
    long _submitted, _dropped, _completed;

    public Backend Backend => Backend.Gl;
    public int Classes => _be.Classes;
    public IReadOnlyList<string> Labels => _labels;
    public bool AcceptsTextures => true;
    public SelfCheckResult SelfCheck { get; }
    public long Submitted => _submitted;
    public long Dropped => _dropped;
    public long Completed => _completed;
    public Action<RealtimeResult> ResultReady { private get; set; }

    public GlEngine(Models.LoadedModel model, RealtimeOptions o, object owner)
    {
        _o = o;
        InferenceNames.Validate(o.Precision);
        if (o.Precision == Precision.Int8) Quantization.Int8Cache.RequireCpu(Backend.Gl);
        _ownsContext = o.GlContext == null;
        _ctx = o.GlContext ?? GlContext.CreateHeadless();
        _gl = _ctx.Gl;
        _guard = !_ownsContext;
        try
        {
            _ctx.RequireCompute();
            var info = model.Info;
            Enter();
            try
            {
                // RestoreHostState off: this engine guards each of its entries itself (it makes GL calls of its own:
                // timer queries, the input texture check), so the backend saving again inside would double the cost.
                _be = GlBackendFactory.Create(BackendFactory.ApplyFault(Backend.Gl, model), o.ToBackendOptions(), new GlBackendOptions
                {
                    Context = _ctx, TopK = o.TopK, Cam = o.Cam, MaxInFlight = 1, CropRatio = o.CropRatio, RestoreHostState = false,
                });
                // The probe runs through this very backend, in this context (inside Enter/Leave like any of our work).
                if (o.SelfCheck) SelfCheck = BackendSelfCheck.Require(model, _be);
                if (o.Cam && _be.CamTexture == 0)
                    throw new NotSupportedException("Cam: the model does not end in GlobalAveragePool → Gemm, so it has no class-activation map; set Cam = false");
                // Timer queries are core since 3.3, but a host may hand us a context without them: then GPU times read NaN.
                _timer = true;
                try { for (int i = 0; i < _queries.Length; i++) _queries[i] = GlObjects.Query(_gl); }
                catch (Exception e) when (e is GlException or NullReferenceException) { _timer = false; }
            }
            finally { Leave(); }
            _labels = new string[_be.Classes];
            for (int i = 0; i < _labels.Length; i++) _labels[i] = info.LabelFor(i);
            _topK = Math.Min(o.TopK, _be.Classes);
            _logits = new float[_be.Classes];
            var bt = _be.Taps;
            _tapShapes = new (string, int[])[bt.Count];
            for (int i = 0; i < bt.Count; i++) _tapShapes[i] = ((o.Taps ?? Array.Empty<string>())[i], bt[i].Shape);
            _latest = CreateResult(owner);
            _spare = CreateResult(owner);
        }
        catch
        {
            DeleteQueries();
            _be?.Dispose();
            if (_ownsContext) _ctx.Dispose();
            throw;
        }
    }

    public RealtimeResult CreateResult(object owner)
    {
        var r = new RealtimeResult(owner, _topK, _tapShapes, 0, 0, camOnCpu: false);
        if (_be.CamTexture != 0) { r.CamTexture = _be.CamTexture; r.CamWidth = _be.CamWidth; r.CamHeight = _be.CamHeight; }
        return r;
    }

    public void Submit(in FrameInput f, long frameId)
    {
        _rule.Check();
        long ts = Stopwatch.GetTimestamp();
        Enter();
        try
        {
            if (f.IsTexture) CheckTexture(f.Texture, f.Width, f.Height);
            else
            {
                f.ValidatePixels();
                int n = f.Width * f.Height * 4;
                if (_pendingRgba.Length != n) _pendingRgba = new byte[n]; // only when the frame size changes
                ToRgba(f, _pendingRgba);
            }
            if (_hasPending) _dropped++;
            _hasPending = true; _pendingIsTexture = f.IsTexture; _pendingTex = f.Texture; _pendingFlip = f.FlipY;
            _pendingW = f.Width; _pendingH = f.Height; _pendingId = frameId; _pendingTs = ts;
            _submitted++;
            if (!_scheduling && !_inFlight) StartPending();
        }
        finally { Leave(); }
    }

    public void Update()
    {
        _rule.Check();
        Enter();
        try
        {
            if (_inFlight && _be.TryGetResult(_logits)) Collect();
            if (!_scheduling && !_inFlight && _hasPending) StartPending();
            if (_scheduling)
            {
                _updates++;
                bool done = _o.FrameBudget > TimeSpan.Zero ? _be.StepFor(_o.FrameBudget) : Step();
                if (done)
                {
                    if (_timer) _gl.QueryCounter(_queries[2], QueryCounterTarget.Timestamp);
                    _scheduling = false; _inFlight = true;
                }
            }
        }
        finally { Leave(); }
    }

    bool Step() { _be.Submit(); return true; }

    // Also after a failed GenQuery (_timer false): the queries made before it are deleted (0 is skipped).
    void DeleteQueries() { foreach (var q in _queries) GlObjects.DeleteQuery(_gl, q); }

    /// <summary>Saves the host's GL state before our work on a host's context (nothing to save in our own) …</summary>
    void Enter() { if (_guard) _host = GlHostState.Save(_gl); }

    /// <summary>… and puts it back when that work returns or throws.</summary>
    void Leave() { if (_guard) _host.Restore(_gl); }

    public bool TryGetLatest(ref RealtimeResult into)
    {
        _rule.Check();
        if (!_hasLatest) return false;
        (into, _latest) = (_latest, into);
        _hasLatest = false;
        return true;
    }

    /// <summary>The texture must be a 2D colour texture of the size given: a wrong one is refused with what it is.</summary>
    void CheckTexture(uint tex, int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"texture size must be positive (got {width}x{height})");
        if (!_gl.IsTexture(tex)) throw new ArgumentException($"{tex} is not a texture name of this GL context");
        _gl.ActiveTexture(GLEnum.Texture0);
        _gl.BindTexture(GLEnum.Texture2D, tex);
        // A texture of another target fails to bind (GL_INVALID_OPERATION) and leaves the old binding: read the binding
        // back rather than glGetError, which would also report (and swallow) errors the host left pending.
        _gl.GetInteger(GLEnum.TextureBinding2D, out int bound);
        if (bound != (int)tex) { _gl.GetError(); throw new ArgumentException($"texture {tex} is not a GL_TEXTURE_2D"); }
        _gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureWidth, out int w);
        _gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureHeight, out int h);
        _gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureInternalFormat, out int fmt);
        _gl.GetTexLevelParameter(GLEnum.Texture2D, 0, GLEnum.TextureRedType, out int redType);
        if (w != width || h != height) throw new ArgumentException($"texture {tex} is {w}x{h}, but the frame says {width}x{height}");
        // texelFetch in the preprocess shader reads a float sampler: integer textures (R8UI, RGBA32I…) and depth read garbage.
        if (redType is not ((int)GLEnum.UnsignedNormalized or (int)GLEnum.Float or (int)GLEnum.SignedNormalized))
            throw new ArgumentException($"texture {tex} has internal format 0x{fmt:X4} (red component type 0x{redType:X4}); gl reads colour textures (RGBA8, RGB8, SRGB8_ALPHA8, RGBA16F, RGBA32F, ...)");
    }

    /// <summary>Any pixel format and stride → tight RGBA8 rows (what the backend's RGBA upload path takes).</summary>
    static void ToRgba(in FrameInput f, byte[] dst)
    {
        int bpp = f.Format.BytesPerPixel();
        var (ro, go, bo) = f.Format.ChannelOffsets();
        for (int y = 0; y < f.Height; y++)
        {
            var src = f.Pixels.Slice(y * f.StrideBytes, f.Width * bpp);
            var d = dst.AsSpan(y * f.Width * 4, f.Width * 4);
            if (f.Format == PixelFormat.Rgba32) { src.CopyTo(d); continue; }
            for (int x = 0, s = 0, o = 0; x < f.Width; x++, s += bpp, o += 4)
            {
                d[o] = src[s + ro]; d[o + 1] = src[s + go]; d[o + 2] = src[s + bo]; d[o + 3] = 255;
            }
        }
    }

    void StartPending()
    {
        _hasPending = false;
        _curId = _pendingId; _curSubmitTs = _pendingTs; _curStartTs = Stopwatch.GetTimestamp();
        if (_timer) _gl.QueryCounter(_queries[0], QueryCounterTarget.Timestamp);
        if (_pendingIsTexture) _be.SetInputTexture(_pendingTex, _pendingW, _pendingH, _pendingFlip);
        else
        {
            // The pending buffer may be refilled by the next Submit while this one is scheduled: start from a copy of it.
            (_startRgba, _pendingRgba) = (_pendingRgba, _startRgba);
            _be.SetInputRgba(_startRgba, _pendingW, _pendingH);
        }
        if (_timer) _gl.QueryCounter(_queries[1], QueryCounterTarget.Timestamp);
        _scheduling = true;
        _updates = 0;
    }

    void Collect()
    {
        long t0 = Stopwatch.GetTimestamp();
        _inFlight = false;
        var o = _spare;
        var top = _be.TopK;
        o.Count = Math.Min(_topK, top.Length / 2);
        for (int k = 0; k < o.Count; k++)
        {
            int c = (int)top[2 * k];
            o.Top[k] = new Prediction(c, (uint)c < (uint)_labels.Length ? _labels[c] : $"class {c}", top[2 * k + 1]);
        }
        o.FrameId = _curId;
        if (o.TapArray.Length > 0)
        {
            // The fence has signalled and nothing newer was scheduled: the tap buffers hold this frame, the read does not stall.
            _be.ReadTaps();
            var bt = _be.Taps;
            for (int i = 0; i < o.TapArray.Length; i++)
            {
                var t = o.TapArray[i];
                bt[i].Data.AsSpan(0, t.Data.Length).CopyTo(t.Data);
                if (bt[i].Shape.Length == 4)
                {
                    var (tex, w, h) = _be.GetTapTexture(bt[i].Name, _o.TapTextureChannels);
                    t.Texture = tex; t.TextureWidth = w; t.TextureHeight = h;
                }
            }
        }
        double pre = double.NaN, inf = double.NaN;
        if (_timer)
        {
            _gl.GetQueryObject(_queries[2], QueryObjectParameterName.ResultAvailable, out int available);
            if (available != 0)
            {
                // The out overloads: no array, nothing allocated per frame.
                _gl.GetQueryObject(_queries[0], QueryObjectParameterName.Result, out ulong a);
                _gl.GetQueryObject(_queries[1], QueryObjectParameterName.Result, out ulong b);
                _gl.GetQueryObject(_queries[2], QueryObjectParameterName.Result, out ulong c);
                pre = (b - a) / 1e6; inf = (c - b) / 1e6;
            }
        }
        long t1 = Stopwatch.GetTimestamp();
        o.Updates = _updates;
        o.Latency = new RealtimeLatency(LatencyRecord.TicksToMs(_curStartTs - _curSubmitTs), pre, inf,
            LatencyRecord.TicksToMs(t1 - t0), LatencyRecord.TicksToMs(t1 - _curSubmitTs));
        ResultReady?.Invoke(o);
        (_spare, _latest) = (_latest, o);
        _hasLatest = true;
        _completed++;
    }

    public void Dispose()
    {
        _rule.Check();
        Enter();
        try
        {
            DeleteQueries();
            _be.Dispose();
        }
        finally { Leave(); }
        if (_ownsContext) _ctx.Dispose();
    }
}
