using System.Diagnostics;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// The CPU backends (ort-cpu, ort-dml, ort-cuda) in LIVE_STREAM mode: a <see cref="Classifier"/> on its own worker
/// thread. Submit copies the frame into a write slot and swaps it in as the pending one; a frame still pending
/// when the next one arrives is replaced and counted as dropped (latest wins). The worker swaps the pending slot
/// with its own, classifies it, fills a spare result (top-k, taps, CAM), raises ResultReady on the worker
/// thread, then publishes it as the latest. Safe from any thread; nothing is allocated per frame once the slots
/// have grown to the frame size.
/// </summary>
internal sealed class CpuEngine : IRealtimeEngine
{
    sealed class Slot
    {
        public byte[] Pixels = Array.Empty<byte>();
        public int Width, Height, Stride;
        public PixelFormat Format;
        public long FrameId, SubmitTs;
    }

    readonly Classifier _classifier;
    readonly CamSource _cam;
    readonly int _camTap = -1;          // index of the CAM feature map among the classifier's taps
    readonly int _userTaps;
    readonly (string, int[])[] _tapShapes;
    readonly int _camW, _camH;
    readonly object _lock = new(), _submitGate = new();
    readonly Thread _thread;
    Slot _write = new(), _pending = new(), _work = new(); // producers' / latest submitted / the worker's
    bool _hasPending, _stop;
    RealtimeResult _latest, _spare;
    bool _hasLatest;
    long _submitted, _dropped, _completed;
    Exception _fault;

    public Backend Backend => _classifier.InferenceBackend.Kind;
    public int Classes => _classifier.Classes;
    public IReadOnlyList<string> Labels => _classifier.Labels;
    public bool AcceptsTextures => false;
    public Backends.SelfCheckResult SelfCheck => _classifier.SelfCheck;
    public long Submitted { get { lock (_lock) return _submitted; } }
    public long Dropped { get { lock (_lock) return _dropped; } }
    public long Completed { get { lock (_lock) return _completed; } }
    public Action<RealtimeResult> ResultReady { private get; set; }

    public CpuEngine(Models.LoadedModel model, Backend backend, RealtimeOptions o, object owner)
    {
        var taps = (o.Taps ?? Array.Empty<string>()).ToList();
        _userTaps = taps.Count;
        if (o.Cam)
        {
            _cam = CamSource.Find(model) ?? throw new NotSupportedException(
                "Cam: the model does not end in GlobalAveragePool → Gemm/MatMul, so it has no class-activation map; set Cam = false");
            // The feature map is one more (hidden) tap; it may be a requested tap too (layer4 of an ImageNet ResNet),
            // which the backend binds once and fills for both.
            _camTap = taps.Count;
            taps.Add(_cam.Features);
        }
        // Every shared option (device id included) carries over; the CAM's feature map joins the taps.
        _classifier = Classifier.Create(model, new ClassifierOptions(o) { Backend = backend, Taps = taps });
        try
        {
            var bt = _classifier.InferenceBackend.Taps;
            _tapShapes = new (string, int[])[_userTaps];
            for (int i = 0; i < _userTaps; i++) _tapShapes[i] = (taps[i], bt[i].Shape);
            if (_cam != null)
            {
                var s = bt[_camTap].Shape;
                if (s.Length != 4 || s[1] != _cam.FeatureChannels)
                    throw new NotSupportedException($"Cam: the feature map '{_cam.Features}' has shape [{string.Join(",", s)}], the linear layer takes {_cam.FeatureChannels} features");
                (_camH, _camW) = (s[2], s[3]);
            }
            _latest = CreateResult(owner);
            _spare = CreateResult(owner);
        }
        catch { _classifier.Dispose(); throw; }
        _thread = new Thread(Loop) { IsBackground = true, Name = "rr-realtime-" + Backend };
        _thread.Start();
    }

    public RealtimeResult CreateResult(object owner) => new(owner, _classifier.TopK, _tapShapes, _camW, _camH, _cam != null);

    public void Submit(in FrameInput f, long frameId)
    {
        if (f.IsTexture)
            throw new NotSupportedException($"backend {Backend.ToName()} takes CPU pixels (FrameInput.FromPixels); a GL texture needs Backend = Backend.Gl");
        f.ValidatePixels();
        int bytes = (f.Height - 1) * f.StrideBytes + f.Width * f.Format.BytesPerPixel();
        long ts = Stopwatch.GetTimestamp();
        // Producers take turns on their own gate and copy into the write slot, which only they touch; the worker's
        // lock is held just for the swap, so a Submit never waits for the worker beyond that.
        lock (_submitGate)
        {
            lock (_lock) ThrowIfFaulted();
            var s = _write;
            if (s.Pixels.Length < bytes) s.Pixels = new byte[bytes]; // only when frames grow
            f.Pixels[..bytes].CopyTo(s.Pixels);
            s.Width = f.Width; s.Height = f.Height; s.Stride = f.StrideBytes; s.Format = f.Format;
            s.FrameId = frameId; s.SubmitTs = ts;
            lock (_lock)
            {
                (_write, _pending) = (_pending, _write);
                if (_hasPending) _dropped++;
                _hasPending = true;
                _submitted++;
                Monitor.Pulse(_lock);
            }
        }
    }

    public void Update() { lock (_lock) ThrowIfFaulted(); } // the worker thread does the work

    public bool TryGetLatest(ref RealtimeResult into)
    {
        lock (_lock)
        {
            ThrowIfFaulted();
            if (!_hasLatest) return false;
            (into, _latest) = (_latest, into);
            _hasLatest = false;
            return true;
        }
    }

    void ThrowIfFaulted()
    {
        if (_fault != null) throw new InvalidOperationException($"the {Backend.ToName()} worker stopped: {_fault.Message}", _fault);
    }

    void Loop()
    {
        while (true)
        {
            lock (_lock)
            {
                while (!_stop && !_hasPending) Monitor.Wait(_lock);
                if (_stop) return;
                (_pending, _work) = (_work, _pending);
                _hasPending = false;
            }
            try { RunOne(_work); }
            catch (Exception e)
            {
                lock (_lock) _fault = e; // reported by the next call on the host's side
                return;
            }
        }
    }

    void RunOne(Slot s)
    {
        long start = Stopwatch.GetTimestamp();
        var r = _classifier.Classify(s.Pixels.AsSpan(0, (s.Height - 1) * s.Stride + s.Width * s.Format.BytesPerPixel()), s.Width, s.Height, s.Stride, s.Format);
        long t0 = Stopwatch.GetTimestamp();
        var o = _spare;
        var top = r.TopK;
        top.CopyTo(o.Top);
        o.Count = top.Length;
        o.FrameId = s.FrameId;
        var taps = r.Taps;
        for (int i = 0; i < _userTaps; i++)
        {
            var dst = o.TapArray[i].Data;
            taps[i].Data.AsSpan(r.TapRow * dst.Length, dst.Length).CopyTo(dst);
        }
        if (_cam != null && o.Count > 0)
        {
            int n = _cam.FeatureChannels * _camH * _camW;
            Cam.Compute(taps[_camTap].Data.AsSpan(r.TapRow * n, n), _cam.FeatureChannels, _camH, _camW, _cam.Weight, o.Top[0].ClassIndex, o.CamData);
        }
        long t1 = Stopwatch.GetTimestamp();
        var l = r.Latency;
        o.Latency = new RealtimeLatency(LatencyRecord.TicksToMs(start - s.SubmitTs), l.PreprocessMs, l.InferenceMs,
            l.PostprocessMs + LatencyRecord.TicksToMs(t1 - t0), LatencyRecord.TicksToMs(t1 - s.SubmitTs));
        ResultReady?.Invoke(o);
        lock (_lock)
        {
            (_spare, _latest) = (_latest, o);
            _hasLatest = true;
            _completed++;
        }
    }

    public void Dispose()
    {
        lock (_lock) { _stop = true; Monitor.PulseAll(_lock); }
        if (_thread != null && Thread.CurrentThread != _thread) _thread.Join();
        _classifier.Dispose();
    }
}
