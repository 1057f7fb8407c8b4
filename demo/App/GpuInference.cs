using System.Diagnostics;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;
using ResNetRealtime.Runtime.Inference;
using Frame = ResNetRealtime.Demo.Sources.Frame;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// The gl backend the way a game-engine plugin runs it: inside the demo's own GL context (the GLFW
/// window's or the headless EGL one), on the render thread.
/// <list type="bullet">
/// <item>Input: the frame's texture (the scene's render target, or the uploaded camera frame) through
/// <see cref="GlBackend.SetInputTexture"/>: resize/normalise on the GPU, no readback, no upload.</item>
/// <item><see cref="TryOffer"/> = SetInputTexture + Submit (+ the mosaic of one stage), never waits: it skips
/// the frame while <see cref="MaxInFlight"/> inferences are pending. <see cref="TryGetResult"/> polls the
/// backend's fence (timeout 0), so logits arrive a frame or more later (the snapshot's FrameSequence says
/// which frame they belong to). With a timeout (headless lock-step) it waits for that frame's result.</item>
/// <item>Heatmap and mosaic are the backend's CAM and tap textures, drawn by the overlay straight from the
/// GPU. They are written by the newest submitted inference, so they belong to the frame on screen even
/// while the top-5 lags.</item>
/// <item>Latency: preprocess and inference are GPU time (timestamp queries around SetInputTexture and
/// Submit, read when available, never waited on in the live loop); readback is the CPU time of the
/// successful poll (fence check + copy out of the persistently mapped slot); submit→logits is wall time
/// from Submit to that poll (GPU execution + queueing + poll interval).</item>
/// </list>
/// Model loading (ONNX parse, graph build) runs on a pool thread; the GlBackend itself (buffers, programs)
/// is made on the render thread, the only one where the context is current.
/// </summary>
public sealed class GpuInference : IInferencePath
{
    public const int MaxInFlight = 3;
    const int QuerySets = MaxInFlight + 2;

    readonly GlContext _ctx;
    readonly GL _gl;
    readonly DemoOptions _options;
    readonly bool _scene;
    readonly int _sceneSize;
    readonly TextWriter _log;

    GlBackend _be;
    ModelChoice _model;
    string[] _labels = Array.Empty<string>();
    float[] _logits = Array.Empty<float>();
    Task<(ModelChoice Model, GlNetwork Net, string[] Taps)> _loading;
    int _mosaicLayer = int.MaxValue, _mosaicStage;
    (uint Texture, int Width, int Height) _mosaic;
    bool _timerQueries;

    // What each pending inference was (ring in submit order, like the backend's readback slots).
    readonly long[] _seq = new long[MaxInFlight], _captureTs = new long[MaxInFlight], _submitTs = new long[MaxInFlight];
    readonly int[] _label = new int[MaxInFlight], _querySet = new int[MaxInFlight];
    int _head, _count;
    // Timestamp queries: 3 per inference (before preprocess, after preprocess, after submit); resolved when available.
    readonly uint[] _queries = new uint[QuerySets * 3];
    readonly bool[] _queryBusy = new bool[QuerySets];
    int _nextQuerySet;
    double _lastPreMs = double.NaN, _lastInfMs = double.NaN;

    public string Backend => "gl";
    public int Depth { get; private set; }
    public string ModelDescription => _model?.Description;
    public bool RandomWeights => _model?.RandomWeights ?? false;
    public string Status { get; private set; } = "loading model…";
    public string Error { get; private set; }
    public bool Ready => _be != null;
    public bool NeedsPixels => false;
    public LatencyStats InferenceStats { get; } = new(256);
    /// <summary>Results the backend dropped because nobody polled (should stay 0: we skip frames instead).</summary>
    public long DroppedResults => _be?.DroppedResults ?? 0;
    public string Renderer => _ctx.Renderer;

    public GpuInference(GlContext context, DemoOptions options, bool scene, int sceneSize, int depth, TextWriter log)
    {
        _ctx = context; _gl = context.Gl; _options = options; _scene = scene; _sceneSize = sceneSize; _log = log;
        _ctx.RequireCompute();
        Depth = depth;
        // Timer queries are core since 3.3, but a host may hand us a context without them: then GPU times read NaN.
        _timerQueries = true;
        try { for (int i = 0; i < _queries.Length; i++) _queries[i] = _gl.GenQuery(); }
        catch (Exception e) when (e is GlException or NullReferenceException) { _timerQueries = false; }
        RequestSwitch(depth, "gl");
    }

    public int MosaicLayer
    {
        get => _mosaicLayer;
        set { int n = Math.Max(1, _model?.Stages.Length ?? 1); _mosaicLayer = ((value % n) + n) % n; }
    }

    public void RequestSwitch(int depth, string backend)
    {
        if (backend != "gl") throw new ArgumentException($"GpuInference runs only the gl backend (asked for {backend})");
        Status = $"loading ResNet-{depth} on gl…";
        var o = _options; bool scene = _scene; int size = _sceneSize;
        _loading = Task.Run(() =>
        {
            var m = ModelProvider.Choose(o, depth, scene, size);
            var taps = m.Stages.Select(s => GlBackendFactory.ResolveTap(m.Model, s)).ToArray();
            return (m, GlNetworkBuilder.Build(m.Model, taps), taps);
        });
    }

    /// <summary>Finishes a pending load on the render thread (makes the backend in this context).</summary>
    void PollLoad(bool wait)
    {
        if (_loading == null || (!wait && !_loading.IsCompleted)) return;
        var task = _loading;
        _loading = null;
        try
        {
            var (m, net, taps) = task.GetAwaiter().GetResult();
            var be = new GlBackend(net, new GlBackendOptions
            {
                Context = _ctx, Taps = taps, TopK = 5, Cam = true, MaxInFlight = MaxInFlight,
                // Scene frames are rendered at the model's input size and the CPU path resizes the whole frame
                // (crop ratio 1): the same here, so both backends see the same pixels.
                Mean = m.Mean, Std = m.Std, CropRatio = 1.0,
            });
            _be?.Dispose();
            _be = be; _model = m;
            _labels = Enumerable.Range(0, be.Classes).Select(i => m.Labels != null && i < m.Labels.Length ? m.Labels[i] : $"class {i}").ToArray();
            _logits = new float[be.Classes];
            _mosaicLayer = Math.Min(_mosaicLayer, m.Stages.Length - 1);
            _head = _count = 0;
            Array.Clear(_queryBusy);
            Depth = m.Depth;
            InferenceStats.Clear();
            Error = null;
            Status = m.RandomWeights ? "predictions are meaningless until a trained model is used" : null;
            if (m.RandomWeights) _log.WriteLine($"rr demo: model: {m.Description}");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or NotSupportedException or ArgumentException or GlException)
        {
            Error = e.Message;
            Status = "model failed on gl: " + e.Message;
            _log.WriteLine($"rr demo: gl: {e.Message}");
        }
    }

    public bool WaitReady(int timeoutMs)
    {
        if (_loading != null && !_loading.Wait(timeoutMs)) return false;
        PollLoad(wait: true);
        return Ready;
    }

    public bool TryOffer(Frame frame, in FrameTexture tex)
    {
        PollLoad(wait: false);
        if (_be == null || tex.Texture == 0 || tex.Width <= 0 || _count == MaxInFlight) return false;
        int qs = -1;
        if (_timerQueries && !_queryBusy[_nextQuerySet]) { qs = _nextQuerySet; _nextQuerySet = (qs + 1) % QuerySets; _queryBusy[qs] = true; }
        if (qs >= 0) _gl.QueryCounter(_queries[qs * 3], QueryCounterTarget.Timestamp);
        _be.SetInputTexture(tex.Texture, tex.Width, tex.Height, tex.FlipY);
        if (qs >= 0) _gl.QueryCounter(_queries[qs * 3 + 1], QueryCounterTarget.Timestamp);
        _be.Submit();
        if (qs >= 0) _gl.QueryCounter(_queries[qs * 3 + 2], QueryCounterTarget.Timestamp);
        // The mosaic of the chosen stage, from the inference just submitted (GPU → texture, no readback).
        int stage = Math.Min(_mosaicLayer, _model.Stages.Length - 1);
        _mosaic = _be.GetTapTexture(_be.Taps[stage].Name, InferenceWorker.MosaicChannels);
        _mosaicStage = stage;
        int i = (_head + _count) % MaxInFlight;
        _seq[i] = frame?.Sequence ?? -1; _label[i] = frame?.Label ?? -1; _captureTs[i] = frame?.CaptureTimestamp ?? 0;
        _submitTs[i] = Stopwatch.GetTimestamp(); _querySet[i] = qs;
        _count++;
        return true;
    }

    public bool TryGetResult(ref ResultSnapshot into, int timeoutMs = 0)
    {
        PollLoad(wait: false);
        ResolveQueries(wait: false);
        if (_be == null || _count == 0) return false;
        long t0;
        if (timeoutMs > 0)
        {
            // Lock-step: let the GPU finish first, so the timed call below is the readback alone.
            _gl.Finish();
            t0 = Stopwatch.GetTimestamp();
            _be.WaitResult(_logits);
        }
        else
        {
            t0 = Stopwatch.GetTimestamp();
            if (!_be.TryGetResult(_logits)) return false;
        }
        double readbackMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        int i = _head;
        _head = (_head + 1) % MaxInFlight; _count--;
        if (timeoutMs > 0) ResolveQueries(wait: true);

        var s = into;
        var topk = _be.TopK;
        s.Count = Math.Min(5, topk.Length / 2);
        for (int k = 0; k < s.Count; k++)
        {
            int c = (int)topk[2 * k];
            s.TopIndex[k] = c; s.TopLabel[k] = (uint)c < (uint)_labels.Length ? _labels[c] : "?"; s.TopProb[k] = topk[2 * k + 1];
        }
        s.FrameSequence = _seq[i]; s.TrueLabel = _label[i]; s.CaptureTimestamp = _captureTs[i];
        s.PreprocessMs = _lastPreMs; s.InferenceMs = _lastInfMs; s.PostprocessMs = readbackMs; s.CamMs = 0;
        s.SubmitToResultMs = Stopwatch.GetElapsedTime(_submitTs[i]).TotalMilliseconds;
        s.HeatTexture = _be.CamTexture; s.HeatW = _be.CamWidth; s.HeatH = _be.CamHeight;
        // Taps were requested in stage order, so tap j is stage j.
        s.MosaicTexture = _mosaic.Texture; s.MosaicW = _mosaic.Width; s.MosaicH = _mosaic.Height;
        s.MosaicLayer = _model.Stages[_mosaicStage]; s.MosaicChannels = ActivationMosaic.Grid(_be.Taps[_mosaicStage].Shape[1], InferenceWorker.MosaicChannels).Channels;
        s.Depth = Depth; s.Backend = "gl";
        return true;
    }

    /// <summary>Reads every finished query set into the GPU-time stats (waits for them only when asked).</summary>
    void ResolveQueries(bool wait)
    {
        if (!_timerQueries) return;
        for (int q = 0; q < QuerySets; q++)
        {
            if (!_queryBusy[q]) continue;
            if (!wait)
            {
                _gl.GetQueryObject(_queries[q * 3 + 2], QueryObjectParameterName.ResultAvailable, out int available);
                if (available == 0) continue;
            }
            // The out overloads: no array, nothing allocated per frame.
            _gl.GetQueryObject(_queries[q * 3], QueryObjectParameterName.Result, out ulong a);
            _gl.GetQueryObject(_queries[q * 3 + 1], QueryObjectParameterName.Result, out ulong b);
            _gl.GetQueryObject(_queries[q * 3 + 2], QueryObjectParameterName.Result, out ulong c);
            _queryBusy[q] = false;
            _lastPreMs = (b - a) / 1e6; _lastInfMs = (c - b) / 1e6;
            InferenceStats.Add(_lastInfMs);
        }
    }

    public void Dispose()
    {
        try { _loading?.Wait(30_000); } catch (AggregateException) { } // a failed load has nothing to free
        _be?.Dispose();
        foreach (var q in _queries) if (q != 0) _gl.DeleteQuery(q);
    }
}
