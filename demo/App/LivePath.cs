using ResNetRealtime.Demo.Sources;
using System.Diagnostics;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Demo.App;

/// <summary>The frame as a GL texture in the demo's context: what the gl backend reads (no CPU copy).
/// <see cref="FlipY"/>: row 0 is the bottom of the picture (render targets).</summary>
public readonly record struct FrameTexture(uint Texture, int Width, int Height, bool FlipY);

/// <summary>
/// The demo as a client of the runtime's real-time API: one <see cref="RealtimeClassifier"/> at a time, and the
/// demo's own concerns around it — choosing the model for a depth key (<see cref="ModelProvider"/>), loading it
/// without stalling the window, remembering each frame's true label and capture time, and turning a
/// <see cref="RealtimeResult"/> into what the overlay draws (<see cref="ResultSnapshot"/>: CAM and mosaic as GPU
/// textures on gl, as arrays on the CPU backends).
/// Loading: the model is chosen (and, for CPU backends, the classifier made) on a pool thread; a gl classifier is
/// made on the render thread, the only one where the demo's context is current (the API's thread rule).
/// The old classifier keeps classifying until the new one is ready.
/// </summary>
public sealed class LivePath : IDisposable
{
    /// <summary>Channels the overlay's mosaic shows.</summary>
    public const int MosaicChannels = 16;
    const int Ring = 16;

    readonly GlContext _ctx;
    readonly DemoOptions _o;
    readonly bool _scene;
    readonly int _sceneSize;
    readonly TextWriter _log;
    RealtimeClassifier _rt;
    RealtimeResult _rr;
    ModelChoice _model;
    Task<Load> _loading;
    int _mosaicLayer = int.MaxValue;
    long _lastSubmitted = -1, _version;
    // Per-frame facts the runtime does not carry, by frame id (the runtime returns the id).
    readonly long[] _seq = new long[Ring], _captureTs = new long[Ring];
    readonly int[] _label = new int[Ring];

    public Runtime.Backend? Backend { get; private set; }
    /// <summary>What runs and why, refusals on the way included (set when a load completes).</summary>
    public BackendChoice? Choice { get; private set; }
    public int Depth { get; private set; }
    public string ModelDescription => _model?.Description;
    public bool RandomWeights => _model?.RandomWeights ?? false;
    /// <summary>A line for the HUD while loading or after a fallback; null when nothing to say.</summary>
    public string Status { get; private set; } = "loading model…";
    public string Error { get; private set; }
    public bool Ready => _rt != null;
    /// <summary>Inference time per result (what --budget-ms compares): GPU time on gl, CPU time otherwise.</summary>
    public LatencyStats InferenceStats { get; } = new(256);
    /// <summary>Frames the runtime replaced by newer ones while busy (latest wins), over every classifier so far.</summary>
    public long Dropped => _droppedBefore + (_rt?.Dropped ?? 0);
    long _droppedBefore;
    /// <summary>True when frames go in as textures (gl): the top-5 then trails the frame (the HUD shows the lag).</summary>
    public bool OnGpu => _rt?.AcceptsTextures ?? Backend == Runtime.Backend.Gl;
    /// <summary>The running backbone (teach mode exports it with the head).</summary>
    internal Runtime.Onnx.OnnxModel Model => _model?.Model;
    /// <summary>Teach mode's hook: sees every result with its taps after the snapshot is filled (render thread).</summary>
    public Action<RealtimeResult, ResultSnapshot> OnFill { get; set; }

    public LivePath(GlContext context, DemoOptions options, bool scene, int sceneSize, int depth, Runtime.Backend backend, TextWriter log)
        : this(context, options, scene, sceneSize, depth, new[] { new BackendChoice(backend, backend, null) }, log) { }

    /// <param name="candidates">What to try, in order (<see cref="BackendChoice.Candidates"/>).</param>
    public LivePath(GlContext context, DemoOptions options, bool scene, int sceneSize, int depth, IReadOnlyList<BackendChoice> candidates, TextWriter log)
    {
        _ctx = context; _o = options; _scene = scene; _sceneSize = sceneSize; _log = log;
        RequestSwitch(depth, candidates);
    }

    /// <summary>Index into the model's stages for the mosaic (wraps).</summary>
    public int MosaicLayer
    {
        get => _mosaicLayer;
        set { int n = Math.Max(1, _model?.Stages.Length ?? 1); _mosaicLayer = ((value % n) + n) % n; }
    }

    /// <summary>True when <see cref="TryOffer"/> reads <see cref="CapturedFrame.Pixels"/> (the caller must fill them).</summary>
    public bool NeedsPixels { get { PollLoad(wait: false); return !OnGpu; } }

    RealtimeOptions Options(ModelChoice m, Runtime.Backend backend) => new()
    {
        // Teach mode: the backbone has no fc for a CAM; TeachSession draws the CAM through the taught head.
        Backend = backend, GlContext = backend == Runtime.Backend.Gl ? _ctx : null, TopK = 5, Taps = m.Stages, Cam = !_o.Teach, Precision = _o.Precision,
        // Scene frames are rendered at the model's own input size: resize the whole frame, no centre crop,
        // exactly as the recorded training frames were seen (and the same on every backend).
        CropRatio = 1.0,
        FrameBudget = backend == Runtime.Backend.Gl ? TimeSpan.FromMilliseconds(_o.GlFrameBudgetMs) : TimeSpan.Zero,
    };

    /// <summary>Loads the model of a depth slot on a backend; the current classifier runs on until it is ready.</summary>
    public void RequestSwitch(int depth, Runtime.Backend backend) => RequestSwitch(depth, new[] { new BackendChoice(backend, backend, null) });

    /// <summary>
    /// Loads the model of a depth slot on the first of <paramref name="candidates"/> (<see cref="BackendChoice.Candidates"/>)
    /// that starts and passes its self-check; the current classifier runs on until it is ready. "auto" moves on to the
    /// next candidate with the refusal in <see cref="Choice"/>'s reason (the HUD and log show it). An explicit backend
    /// that fails its self-check is an error (its answers would be wrong); one that cannot start at all falls back to
    /// ort-cpu, as stated on the HUD.
    /// </summary>
    public void RequestSwitch(int depth, IReadOnlyList<BackendChoice> candidates)
    {
        var backend = candidates[0].Chosen;
        Status = $"loading ResNet-{depth} on {backend.ToName()}…";
        Backend ??= backend;
        var previous = _loading;
        var o = _o; bool scene = _scene; int size = _sceneSize; var log = _log;
        _loading = Task.Run(() =>
        {
            var m = ModelProvider.Choose(o, depth, scene, size);
            var load = new Load(m, candidates, b => RealtimeClassifier.Create(m.Model, Options(m, b)));
            // CPU candidates are made here; gl only on the render thread (PollLoad), where the demo's context is current.
            while (load.Current.Chosen != Runtime.Backend.Gl && !load.TryCreate(log)) { }
            return load;
        });
        // A load overtaken by this one: its classifier (CPU backends make it in the task) is never used.
        previous?.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Classifier?.Dispose(); }, TaskScheduler.Default);
    }

    /// <summary>One load walking its candidates: which one is being tried, the classifier once one worked, the refusals.</summary>
    sealed class Load
    {
        readonly IReadOnlyList<BackendChoice> _candidates;
        readonly List<(Runtime.Backend Backend, string Why)> _refused = new();
        int _index;
        string _fallback;   // set when an explicit backend could not start and ort-cpu runs instead
        readonly Func<Runtime.Backend, RealtimeClassifier> _make;   // backend → classifier
        public Load(ModelChoice model, IReadOnlyList<BackendChoice> candidates, Func<Runtime.Backend, RealtimeClassifier> make)
        {
            Model = model; _candidates = candidates; _make = make;
        }
        public ModelChoice Model { get; }
        public RealtimeClassifier Classifier { get; private set; }
        public BackendChoice Current => _candidates[_index];
        /// <summary>The HUD line when what runs is not what was first tried; null otherwise.</summary>
        public string Note => _fallback ?? (_refused.Count > 0 ? Choice.Reason : null);

        /// <summary>The choice that ran, with every refusal on the way in its reason.</summary>
        public BackendChoice Choice
        {
            get
            {
                var c = _fallback != null ? new BackendChoice(Current.Requested, Runtime.Backend.OrtCpu, _fallback) : Current;
                foreach (var (b, why) in _refused) c = c.After(b, why);
                return c;
            }
        }

        /// <summary>Tries the current candidate: true when one was made; false when it was refused and the next candidate
        /// is current. Throws when an explicit backend fails its self-check (its answers would be wrong) or ort-cpu itself
        /// fails.</summary>
        public bool TryCreate(TextWriter log)
        {
            var c = Current;
            try { Classifier = _make(c.Chosen); return true; }
            catch (Exception e) when (Refusable(e) && c.Chosen != Runtime.Backend.OrtCpu)
            {
                log.WriteLine($"rr demo: backend {c.Chosen.ToName()} refused: {e.Message}");
                if (_index + 1 < _candidates.Count) { _refused.Add((c.Chosen, e.Message)); _index++; return false; }
                if (e is SelfCheckException) throw;
                // An explicit backend that cannot start here (no DirectML, no CUDA, no GL 4.3): the stated fallback.
                _fallback = $"{c.Chosen.ToName()} unavailable ({e.Message}); using ort-cpu";
                Classifier = _make(Runtime.Backend.OrtCpu);
                return true;
            }
        }

        static bool Refusable(Exception e) => e is NotSupportedException or ArgumentException or InvalidOperationException or GlException
                                                   or DllNotFoundException or EntryPointNotFoundException;
    }

    /// <summary>Finishes a load on the render thread (a gl classifier is made here, in the demo's context).</summary>
    void PollLoad(bool wait)
    {
        if (_loading == null || (!wait && !_loading.IsCompleted)) return;
        var task = _loading;
        _loading = null;
        try
        {
            var load = task.GetAwaiter().GetResult();
            // No lambda here: PollLoad runs every frame, and a closure over a local is allocated on entry.
            while (load.Classifier == null && !load.TryCreate(_log)) { }
            var m = load.Model;
            var rt = load.Classifier;
            if (_rt != null) { _droppedBefore += _rt.Dropped; _rt.Dispose(); }
            _rt = rt; _rr = rt.CreateResult(); _model = m;
            Backend = rt.Backend; Depth = m.Depth; Choice = load.Choice;
            _mosaicLayer = Math.Min(_mosaicLayer, m.Stages.Length - 1);
            _lastSubmitted = -1;
            InferenceStats.Clear();
            Error = null;
            Status = load.Note ?? (m.RandomWeights ? "predictions are meaningless until a trained model is used" : null);
            if (m.RandomWeights) _log.WriteLine($"rr demo: model: {m.Description}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or NotSupportedException or ArgumentException or GlException)
        {
            Error = e.Message;
            Status = "model failed: " + e.Message;
            _log.WriteLine($"rr demo: {e.Message}");
        }
    }

    /// <summary>Waits until the requested model is loaded (or failed), up to <paramref name="timeoutMs"/>.</summary>
    public bool WaitReady(int timeoutMs)
    {
        if (_loading != null && !_loading.Wait(timeoutMs)) return false;
        PollLoad(wait: true);
        return Ready && Error == null;
    }

    /// <summary>Hands the frame to the runtime (it never waits; while busy the newest frame wins). False before a model is loaded.</summary>
    public bool TryOffer(CapturedFrame frame, in FrameTexture tex)
    {
        PollLoad(wait: false);
        if (_rt == null) return false;
        long id = frame.Sequence;
        int i = (int)(id % Ring);
        _seq[i] = id; _label[i] = frame.Label; _captureTs[i] = frame.CaptureTimestamp;
        if (_rt.AcceptsTextures)
        {
            if (tex.Texture == 0 || tex.Width <= 0) return false;
            _rt.Submit(FrameInput.FromTexture(tex.Texture, tex.Width, tex.Height, tex.FlipY), id);
        }
        else _rt.Submit(FrameInput.FromFrame(frame.View), id);
        _lastSubmitted = id;
        return true;
    }

    /// <summary>
    /// Pumps the runtime and copies the newest result into <paramref name="into"/>. With a timeout (headless lock-step)
    /// it waits, pumping, for the result of the frame offered last.
    /// </summary>
    public bool TryGetResult(ResultSnapshot into, int timeoutMs = 0)
    {
        PollLoad(wait: false);
        if (_rt == null) return false;
        long end = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            _rt.Update();
            if (_rt.TryGetLatest(ref _rr) && (timeoutMs <= 0 || _rr.FrameId == _lastSubmitted)) { Fill(into); return true; }
            if (timeoutMs <= 0 || Environment.TickCount64 >= end) return false;
            Thread.Sleep(1);
        }
    }

    void Fill(ResultSnapshot s)
    {
        var r = _rr;
        var top = r.TopK;
        s.Count = Math.Min(5, top.Length);
        for (int k = 0; k < s.Count; k++) { s.TopIndex[k] = top[k].ClassIndex; s.TopLabel[k] = top[k].Label; s.TopProb[k] = top[k].Probability; }
        s.FrameSequence = r.FrameId;
        int i = (int)(r.FrameId % Ring);
        bool known = r.FrameId >= 0 && _seq[i] == r.FrameId;
        s.TrueLabel = known ? _label[i] : -1; s.CaptureTimestamp = known ? _captureTs[i] : 0;
        var l = r.Latency;
        s.PreprocessMs = l.PreprocessMs; s.InferenceMs = l.InferenceMs; s.PostprocessMs = l.PostprocessMs; s.CamMs = 0;
        s.SubmitToResultMs = l.SubmitToResultMs; s.Updates = r.Updates;
        if (!double.IsNaN(l.InferenceMs)) InferenceStats.Add(l.InferenceMs);
        long t0 = Stopwatch.GetTimestamp();
        s.HeatTexture = r.CamTexture; s.HeatW = r.CamWidth; s.HeatH = r.CamHeight;
        if (r.CamTexture == 0 && r.Cam.Length > 0)
        {
            if (s.Heat.Length < r.Cam.Length) s.Heat = new float[r.Cam.Length];
            r.Cam.CopyTo(s.Heat);
        }
        int stage = Math.Min(_mosaicLayer, r.Taps.Count - 1);
        s.MosaicTexture = 0; s.MosaicW = s.MosaicH = 0;
        if (stage >= 0)
        {
            var t = r.Taps[stage];
            if (t.Shape.Length == 4)
            {
                int c = t.Shape[1], h = t.Shape[2], w = t.Shape[3];
                var (n, cols, rows) = ActivationMosaic.Grid(c, MosaicChannels);
                if (t.Texture != 0) { s.MosaicTexture = t.Texture; s.MosaicW = t.TextureWidth; s.MosaicH = t.TextureHeight; }
                else
                {
                    if (s.Mosaic.Length < cols * w * rows * h) s.Mosaic = new float[cols * w * rows * h];
                    (s.MosaicW, s.MosaicH) = ActivationMosaic.Render(t.Data, c, h, w, MosaicChannels, s.Mosaic);
                }
                s.MosaicChannels = n; s.MosaicLayer = _model.Stages[stage];
            }
        }
        s.CamMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds; // the demo's own copy/mosaic of the result
        s.Depth = Depth; s.Backend = Backend?.ToName();
        OnFill?.Invoke(r, s);
        s.Version = ++_version;
    }

    public void Dispose()
    {
        try { _loading?.Wait(30_000); } catch (AggregateException) { } // a failed load has nothing to free
        if (_loading is { IsCompletedSuccessfully: true } t) t.Result.Classifier?.Dispose();
        _rt?.Dispose();
    }
}
