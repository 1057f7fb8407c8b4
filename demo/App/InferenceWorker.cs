using ResNetRealtime.Runtime.Realtime;
using System.Diagnostics;
using ResNetRealtime.Demo.Sources;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using Frame = ResNetRealtime.Demo.Sources.Frame;

namespace ResNetRealtime.Demo.App;

/// <summary>A copy of one classification, owned by the render thread (nothing in it is shared with the worker).</summary>
public sealed class ResultSnapshot
{
    public readonly int[] TopIndex = new int[5];
    public readonly string[] TopLabel = new string[5];
    public readonly float[] TopProb = new float[5];
    public int Count;
    public long FrameSequence = -1;
    public int TrueLabel = -1;
    public long CaptureTimestamp;
    /// <summary>CPU path: CPU times; gl path: preprocess/inference are GPU time, postprocess is the readback.</summary>
    public double PreprocessMs, InferenceMs, PostprocessMs, CamMs;
    /// <summary>gl path: wall time from Submit to the poll that returned the logits (NaN on the CPU path).</summary>
    public double SubmitToResultMs = double.NaN;
    /// <summary>The heatmap and mosaic come either as CPU arrays (Heat/Mosaic) or as GL textures (HeatTexture/
    /// MosaicTexture, non-zero); values 0..1, row 0 = top, either way.</summary>
    public float[] Heat = new float[0];
    public uint HeatTexture;
    public int HeatW, HeatH;
    public float[] Mosaic = new float[0];
    public uint MosaicTexture;
    public int MosaicW, MosaicH, MosaicChannels;
    public string MosaicLayer;
    public int Depth;
    public string Backend;
    public long Version;
}

/// <summary>
/// Runs the classifier on its own thread so inference never blocks rendering: the render thread
/// offers frames with <see cref="TryOffer"/> (accepted only when the worker is idle — otherwise the
/// frame is skipped for inference, the newest one wins next time), and picks up the newest finished
/// result with <see cref="TryGetResult"/>. Model/backend switches are requested here and executed on
/// the worker (loading a model takes seconds; the window keeps rendering meanwhile).
/// </summary>
public sealed class InferenceWorker : IInferencePath
{
    /// <summary>The loaded model's stage outputs ("layer1".."layer3" for CIFAR-style nets, .."layer4" for
    /// ImageNet ones), requested as taps: the last feeds the CAM, any one feeds the mosaic.</summary>
    string[] _tapNames = Array.Empty<string>();

    readonly DemoOptions _options;
    readonly bool _scene;
    readonly int _sceneSize;
    readonly object _lock = new();
    readonly Thread _thread;
    readonly TextWriter _log;
    Frame _input;
    bool _hasInput, _stop;
    ResultSnapshot _done = new(), _spare = new();
    bool _hasDone;
    long _version;
    (int Depth, string Backend)? _switch;

    Classifier _classifier;
    ModelChoice _model;
    float[] _camScratch = new float[0];
    int _mosaicLayer = int.MaxValue; // clamped to the last stage when a model loads

    public string Status { get; private set; } = "loading model…";
    public string ModelDescription => _model?.Description;
    public bool RandomWeights => _model?.RandomWeights ?? false;
    public int Depth { get; private set; }
    public string Backend { get; private set; }
    public string Error { get; private set; }
    public bool Ready { get; private set; }
    public int InputWidth { get; private set; }
    public int InputHeight { get; private set; }
    public LatencyStats InferenceStats { get; } = new(256);
    public bool NeedsPixels => true;
    /// <summary>Channels the overlay's mosaic shows (both paths: the same grid).</summary>
    public const int MosaicChannels = 16;

    public InferenceWorker(DemoOptions options, bool scene, int sceneSize, int depth, string backend, TextWriter log)
    {
        _options = options; _scene = scene; _sceneSize = sceneSize; _log = log;
        Depth = depth; Backend = backend;
        _switch = (depth, backend);
        _thread = new Thread(Loop) { IsBackground = true, Name = "rr-inference" };
        _thread.Start();
    }

    public int MosaicLayer
    {
        get => _mosaicLayer;
        set { int n = Math.Max(1, _tapNames.Length); _mosaicLayer = ((value % n) + n) % n; }
    }

    /// <summary>Requests a model/backend change; picked up before the next inference.</summary>
    public void RequestSwitch(int depth, string backend)
    {
        lock (_lock) { _switch = (depth, backend); Monitor.PulseAll(_lock); }
    }

    /// <summary>Copies <paramref name="frame"/> for inference if the worker is idle. False = busy (frame skipped).</summary>
    public bool TryOffer(Frame frame, in FrameTexture texture)
    {
        lock (_lock)
        {
            if (_hasInput || !Ready) return false;
            if (_input == null || _input.Width != frame.Width || _input.Height != frame.Height) _input = new Frame(frame.Width, frame.Height);
            _input.CopyFrom(frame);
            _hasInput = true;
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    /// <summary>Waits until the model is loaded (or failed), up to <paramref name="timeoutMs"/>.</summary>
    public bool WaitReady(int timeoutMs)
    {
        long end = Environment.TickCount64 + timeoutMs;
        lock (_lock)
            while ((!Ready || _switch != null) && Error == null)
            {
                long left = end - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(_lock, (int)left);
            }
        return Ready;
    }

    /// <summary>
    /// Swaps the newest finished result into <paramref name="into"/> (the caller's snapshot becomes the
    /// worker's spare). Waits up to <paramref name="timeoutMs"/> for one (headless lock-step uses this).
    /// </summary>
    public bool TryGetResult(ref ResultSnapshot into, int timeoutMs = 0)
    {
        lock (_lock)
        {
            if (!_hasDone && timeoutMs > 0)
            {
                long end = Environment.TickCount64 + timeoutMs;
                while (!_hasDone && Error == null)
                {
                    long left = end - Environment.TickCount64;
                    if (left <= 0 || !Monitor.Wait(_lock, (int)left)) break;
                }
            }
            if (!_hasDone) return false;
            (into, _done) = (_done, into);
            _hasDone = false;
            return true;
        }
    }

    void Loop()
    {
        while (true)
        {
            (int Depth, string Backend)? sw;
            lock (_lock)
            {
                while (!_stop && !_hasInput && _switch == null) Monitor.Wait(_lock);
                if (_stop) break;
                sw = _switch; _switch = null;
                if (sw != null) Ready = false; // under the lock: WaitReady never sees the old model as the new one
            }
            if (sw != null) { Load(sw.Value.Depth, sw.Value.Backend); continue; }
            try { RunOne(); }
            catch (Exception e)
            {
                Error = $"inference failed: {e.Message}";
                _log.WriteLine($"rr demo: {Error}");
                lock (_lock) { Ready = false; _hasInput = false; Monitor.PulseAll(_lock); }
            }
        }
        _classifier?.Dispose();
    }

    /// <summary>Called by the worker thread after it took a switch (which cleared Ready under the lock).</summary>
    void Load(int depth, string backend)
    {
        Status = $"loading ResNet-{depth} on {backend}…";
        try
        {
            var model = ModelProvider.Choose(_options, depth, _scene, _sceneSize);
            var tapNames = model.Stages;
            IInferenceBackend be;
            string note = null;
            // --precision int8: the runtime's one int8 path; a live switch to a GPU backend is refused there and falls back below.
            bool int8 = _options.Precision == Runtime.Quantization.Int8Cache.Int8;
            var onnx = int8 ? Runtime.Quantization.Int8Cache.Get(model.Model) : model.Model;
            try
            {
                if (int8) Runtime.Quantization.Int8Cache.RequireCpu(backend);
                be = BackendFactory.Create(backend, onnx, new BackendOptions { Taps = tapNames });
            }
            catch (Exception e) when (backend != "ort-cpu" && e is NotSupportedException or ArgumentException or InvalidOperationException or Runtime.Gl.GlException or DllNotFoundException or EntryPointNotFoundException)
            {
                note = $"{backend} unavailable ({e.Message}); using ort-cpu";
                _log.WriteLine($"rr demo: {note}");
                backend = "ort-cpu";
                be = BackendFactory.Create(backend, onnx, new BackendOptions { Taps = tapNames });
            }
            var old = _classifier;
            // Scene frames are rendered at the model's own input size: resize the whole frame, no centre crop,
            // exactly as the recorded training frames were seen.
            _classifier = new Classifier(be, new ClassifierOptions { Backend = backend, TopK = 5, CropRatio = 1.0 }, model.Labels, model.Mean, model.Std);
            old?.Dispose();
            _model = model;
            _tapNames = tapNames;
            _mosaicLayer = Math.Min(_mosaicLayer, Math.Max(0, tapNames.Length - 1));
            Depth = model.Depth; Backend = backend;
            InputWidth = be.Width; InputHeight = be.Height;
            InferenceStats.Clear();
            Status = note ?? (model.RandomWeights ? "predictions are meaningless until a trained model is used" : null);
            if (model.RandomWeights) _log.WriteLine($"rr demo: model: {model.Description}");
            Error = null;
            lock (_lock) { Ready = true; Monitor.PulseAll(_lock); }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            Error = e.Message;
            Status = "model failed: " + e.Message;
            _log.WriteLine($"rr demo: {e.Message}");
            lock (_lock) { Ready = _classifier != null; Monitor.PulseAll(_lock); }
        }
    }

    void RunOne()
    {
        Frame f = _input;
        var r = _classifier.Classify(f.Pixels, f.Width, f.Height, f.Stride, PixelFormat.Rgb24);
        var s = _spare;
        s.Count = Math.Min(5, r.TopK.Length);
        for (int i = 0; i < s.Count; i++) { var p = r.TopK[i]; s.TopIndex[i] = p.ClassIndex; s.TopLabel[i] = p.Label; s.TopProb[i] = p.Probability; }
        s.FrameSequence = f.Sequence; s.TrueLabel = f.Label; s.CaptureTimestamp = f.CaptureTimestamp;
        s.PreprocessMs = r.Latency.PreprocessMs; s.InferenceMs = r.Latency.InferenceMs; s.PostprocessMs = r.Latency.PostprocessMs;
        InferenceStats.Add(r.Latency.InferenceMs);

        long t0 = Stopwatch.GetTimestamp();
        FillMaps(r, s);
        s.CamMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        s.Depth = Depth; s.Backend = Backend;
        lock (_lock)
        {
            s.Version = ++_version;
            (_spare, _done) = (_done, s);
            _hasDone = true;
            _hasInput = false;
            Monitor.PulseAll(_lock);
        }
    }

    void FillMaps(ClassificationResult r, ResultSnapshot s)
    {
        s.HeatTexture = s.MosaicTexture = 0;
        var taps = r.Taps;
        if (taps.Count == 0) { s.HeatW = s.HeatH = s.MosaicW = s.MosaicH = 0; return; }
        var last = taps[^1];
        if (last.Shape.Length == 4 && _model.FcWeight != null && last.Shape[1] == _model.FcIn)
        {
            int c = last.Shape[1], h = last.Shape[2], w = last.Shape[3];
            if (s.Heat.Length < h * w) s.Heat = new float[h * w];
            Cam.Compute(last.Data.AsSpan(r.TapRow * c * h * w, c * h * w), c, h, w, _model.FcWeight, s.TopIndex[0], s.Heat);
            s.HeatW = w; s.HeatH = h;
        }
        var t = taps[Math.Min(_mosaicLayer, taps.Count - 1)];
        if (t.Shape.Length == 4)
        {
            int c = t.Shape[1], h = t.Shape[2], w = t.Shape[3];
            var (n, cols, rows) = ActivationMosaic.Grid(c, MosaicChannels);
            if (s.Mosaic.Length < cols * w * rows * h) s.Mosaic = new float[cols * w * rows * h];
            (s.MosaicW, s.MosaicH) = ActivationMosaic.Render(t.Data.AsSpan(r.TapRow * c * h * w, c * h * w), c, h, w, MosaicChannels, s.Mosaic);
            s.MosaicChannels = n; s.MosaicLayer = _tapNames[Math.Min(_mosaicLayer, _tapNames.Length - 1)];
        }
    }

    public void Dispose()
    {
        lock (_lock) { _stop = true; Monitor.PulseAll(_lock); }
        _thread.Join(10_000);
    }
}
