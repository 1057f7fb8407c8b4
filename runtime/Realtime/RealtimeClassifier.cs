#nullable enable
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// The real-time API a host's frame loop uses (Unity Sentis' Worker meets MediaPipe's LIVE_STREAM mode):
/// <code>
/// using var rt = RealtimeClassifier.Create("model.onnx", new RealtimeOptions { Backend = Backend.Auto, GlContext = ctx });
/// var result = rt.CreateResult();
/// each frame: rt.Submit(FrameInput.FromTexture(tex, w, h), frameId); rt.Update(); if (rt.TryGetLatest(ref result)) draw(result);
/// </code>
/// <list type="bullet">
/// <item><see cref="Submit"/> never waits for inference: CPU pixels are copied into a pre-allocated slot, a texture of the
/// host's context is read on the GPU. While the backend is busy the newest frame wins; replaced frames are counted in
/// <see cref="Dropped"/>.</item>
/// <item>Results by poll (<see cref="TryGetLatest"/>, which swaps objects: no copy, no allocation) or by the
/// <see cref="ResultReady"/> event (raised on the worker thread for CPU backends, inside <see cref="Update"/> on gl;
/// the result passed is valid only during the handler).</item>
/// <item>Scheduling: CPU backends run on a worker thread; gl runs on the host's GL thread, spread over frames by
/// <see cref="Update"/> under <see cref="RealtimeOptions.FrameBudget"/>.</item>
/// <item>Thread rules: CPU backends may be called from any thread. gl may be called only from the thread that created
/// it; any other thread gets an InvalidOperationException stating the rule, before any GL call. The host's GL state is
/// restored after each call.</item>
/// </list>
/// Steady state (frame size unchanged): Submit, Update and TryGetLatest allocate nothing.
/// </summary>
public sealed class RealtimeClassifier : IDisposable
{
    readonly IRealtimeEngine _engine;
    readonly ThreadRule? _rule; // gl only
    bool _disposed;
    Action<RealtimeResult>? _handlers;

    RealtimeClassifier(LoadedModel model, RealtimeOptions o)
    {
        if (o.TopK < 1) throw new ArgumentException($"TopK must be ≥ 1, got {o.TopK}");
        if (o.FrameBudget < TimeSpan.Zero) throw new ArgumentException($"FrameBudget must be ≥ 0, got {o.FrameBudget}");
        // Each candidate is made and self-checked in turn; "auto" falls through to the next on a refusal (BackendChoice).
        (_engine, Choice) = BackendChoice.FirstThatWorks(Candidates(o), c =>
        {
            BackendFactory.Validate(c.Chosen);
            return c.Chosen == Backend.Gl ? (IRealtimeEngine)new GlEngine(model, o, this) : new CpuEngine(model, c.Chosen, o, this);
        });
        if (Choice.Chosen == Backend.Gl) _rule = new ThreadRule("RealtimeClassifier (gl)");
    }

    static IReadOnlyList<BackendChoice> Candidates(RealtimeOptions o)
    {
        var requested = o.Backend;
        InferenceNames.Validate(requested);
        if (requested is not (Backend.Auto or Backend.Gl)) return new[] { new BackendChoice(requested, requested, null) };
        var ctx = o.GlContext;
        if (ctx == null)
            return requested == Backend.Gl ? new[] { new BackendChoice(requested, Backend.Gl, "gl in an own headless context (no GlContext given)") }
                                     : BackendChoice.CandidatesWithoutGl(requested, "no GlContext given, so gl has no host context to run in");
        return BackendChoice.Candidates(requested, ctx.SupportsCompute, ctx.Renderer, ctx.Version);
    }

    /// <summary>Loads an .onnx file. Errors (missing, truncated, not a model, bad options) are one-line exceptions with
    /// the values.</summary>
    public static RealtimeClassifier Create(string modelPath, RealtimeOptions? options = null) =>
        Create(LoadedModel.Load(modelPath), options);

    public static RealtimeClassifier Create(byte[] modelBytes, RealtimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        return Create(LoadedModel.FromBytes(modelBytes), options);
    }

    internal static RealtimeClassifier Create(OnnxModel model, RealtimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(LoadedModel.From(model), options);
    }

    /// <summary>Over a model already loaded and inspected (shared with other classifiers: it is immutable).</summary>
    internal static RealtimeClassifier Create(LoadedModel model, RealtimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new RealtimeClassifier(model, options ?? new RealtimeOptions());
    }

    /// <summary>What ran and why ("auto" resolved, backends refused on the way included; the reason is a line for a HUD
    /// or log, null when as asked).</summary>
    public BackendChoice Choice { get; }
    /// <summary>The backend that runs (<see cref="BackendChoice.Chosen"/>).</summary>
    public Backend Backend => _engine.Backend;
    /// <summary>The self-check of the backend that runs (<see cref="BackendSelfCheck"/>); null for ort-cpu (the reference)
    /// or with <see cref="RealtimeOptions.SelfCheck"/> off.</summary>
    public SelfCheckResult SelfCheck => _engine.SelfCheck;
    public int Classes => _engine.Classes;
    public IReadOnlyList<string> Labels => _engine.Labels;
    /// <summary>True when <see cref="Submit"/> takes <see cref="FrameInput.FromTexture"/> frames (gl); CPU backends take pixels.</summary>
    public bool AcceptsTextures => _engine.AcceptsTextures;
    public long Submitted => _engine.Submitted;
    /// <summary>Frames replaced by a newer one before inference started (latest wins).</summary>
    public long Dropped => _engine.Dropped;
    /// <summary>Results produced.</summary>
    public long Completed => _engine.Completed;

    /// <summary>Raised once per result: on the worker thread (CPU backends) or inside <see cref="Update"/> (gl). The
    /// result is valid only during the handler; a handler that throws stops a CPU worker (the next call reports it).</summary>
    public event Action<RealtimeResult> ResultReady
    {
        add { _handlers += value; _engine.ResultReady = _handlers; }
        remove { _handlers -= value; _engine.ResultReady = _handlers; }
    }

    /// <summary>A result object sized for this model, for <see cref="TryGetLatest"/> (make one or two at start-up).</summary>
    public RealtimeResult CreateResult()
    {
        Check();
        return _engine.CreateResult(this);
    }

    /// <summary>Hands one frame over with its id or timestamp (returned in the result). Never waits for inference.</summary>
    public void Submit(in FrameInput frame, long frameId)
    {
        Check();
        _engine.Submit(frame, frameId);
    }

    /// <summary>Once per host frame: gl collects finished results and schedules work under the frame budget; CPU
    /// backends only report a stopped worker (their thread needs no pumping).</summary>
    public void Update()
    {
        Check();
        _engine.Update();
    }

    /// <summary>Same as <see cref="Update"/> (MediaPipe/Sentis hosts call it a pump).</summary>
    public void Pump() => Update();

    /// <summary>
    /// When a result arrived since the last call: swaps it into <paramref name="into"/> (which must come from
    /// <see cref="CreateResult"/> of this classifier; the object passed in becomes the classifier's spare) and
    /// returns true. Never waits.
    /// </summary>
    public bool TryGetLatest(ref RealtimeResult into)
    {
        Check();
        ArgumentNullException.ThrowIfNull(into);
        if (!ReferenceEquals(into.Owner, this)) throw new ArgumentException("the result was not made by this classifier's CreateResult()", nameof(into));
        return _engine.TryGetLatest(ref into);
    }

    void Check()
    {
        _rule?.Check(); // before anything else: the gl rule must never reach EGL
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    public void Dispose()
    {
        _rule?.Check();
        if (_disposed) return;
        _disposed = true;
        _engine.Dispose();
    }
}
