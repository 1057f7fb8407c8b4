#nullable enable
using System.Diagnostics;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;

namespace ResNetRealtime.Runtime.Inference;

/// <summary>How a <see cref="Classifier"/> is created: the shared <see cref="InferenceOptions"/> (backend, device,
/// threads, precision, taps, top-k, crop, self-check) and the batch size. A gl classifier is used from the thread that
/// made it.</summary>
public sealed class ClassifierOptions : InferenceOptions
{
    public ClassifierOptions() { }

    /// <summary>The shared fields of <paramref name="from"/> (a RealtimeOptions included), MaxBatch 1.</summary>
    public ClassifierOptions(InferenceOptions from) : base(from) { }

    /// <summary>Most frames per <see cref="Classifier.ClassifyBatch"/>; buffers are sized for it at creation.</summary>
    public int MaxBatch { get; init; } = 1;

    private protected override int BatchSize => MaxBatch;
}

/// <summary>One predicted class.</summary>
public readonly record struct Prediction(int ClassIndex, string Label, float Probability)
{
    public override string ToString() => FormattableString.Invariant($"{Label} ({ClassIndex}): {Probability:P2}");
}

/// <summary>
/// The outcome for one image. A <see cref="Classifier"/> reuses its result objects: what
/// Classify returns is valid until the next call on that classifier (copy what you keep), unless you
/// pass your own result from <see cref="Classifier.CreateResult"/>.
/// </summary>
public sealed class ClassificationResult
{
    internal readonly Prediction[] Top;
    internal readonly float[] Probs;
    internal readonly float[] Raw;
    internal int Count;

    internal ClassificationResult(int k, int classes)
    {
        Top = new Prediction[k]; Probs = new float[classes]; Raw = new float[classes];
    }

    /// <summary>Best classes first, probabilities from a softmax over the logits. Empty for a feature extractor.</summary>
    public ReadOnlySpan<Prediction> TopK => Top.AsSpan(0, Count);
    public Prediction Best => Count > 0 ? Top[0]
        : throw new InvalidOperationException("no best class: the model is a feature extractor (no classifier head); read Features");
    /// <summary>The raw output row (logits of a classifier, features of a feature extractor).</summary>
    public ReadOnlySpan<float> Logits => Raw;
    /// <summary>The raw output row of a feature extractor (same memory as <see cref="Logits"/>).</summary>
    public ReadOnlySpan<float> Features => Raw;
    /// <summary>Softmax of the logits; all zero for a feature extractor (a softmax over features means nothing).</summary>
    public ReadOnlySpan<float> Probabilities => Probs;
    /// <summary>Taps filled by the run that produced this result (rows = batch index; owned by the backend).</summary>
    public IReadOnlyList<TapTensor> Taps { get; internal set; } = Array.Empty<TapTensor>();
    /// <summary>Row of this image inside <see cref="Taps"/> (its batch index).</summary>
    public int TapRow { get; internal set; }
    public LatencyRecord Latency { get; internal set; }
}

/// <summary>Results of one batch, reused by the classifier like <see cref="ClassificationResult"/>.</summary>
public sealed class BatchResult
{
    internal readonly ClassificationResult[] Items;
    internal BatchResult(ClassificationResult[] items) => Items = items;
    public int Count { get; internal set; }
    public ClassificationResult this[int i] => (uint)i < (uint)Count ? Items[i] : throw new ArgumentOutOfRangeException(nameof(i), i, $"batch has {Count} results");
    /// <summary>Latency of the whole batch (each item carries the same record).</summary>
    public LatencyRecord Latency { get; internal set; }
}

/// <summary>One frame in a batch: pixels and layout.</summary>
public readonly record struct Frame(ReadOnlyMemory<byte> Pixels, int Width, int Height, int StrideBytes, PixelFormat Format);

/// <summary>
/// The host-app API: create once, then per frame pass pixels and get top-k with labels and
/// probabilities, requested taps, and the frame's <see cref="LatencyRecord"/>.
///
/// Allocation: after the first call for a given frame size, Classify and ClassifyBatch allocate nothing.
/// Thread-safety: all calls on one instance are serialised by a lock, so concurrent calls are safe but
/// do not run in parallel, and the result a call returns is overwritten by the next call from any
/// thread. For concurrent use either pass each thread's own result (<see cref="CreateResult"/>) or,
/// for parallel throughput, use one Classifier per thread. Exception: a gl classifier is used only from the thread that
/// created it (its GL context is current there); other threads get an InvalidOperationException stating that rule.
/// </summary>
public sealed partial class Classifier : IDisposable
{
    readonly object _gate = new();
    readonly IInferenceBackend _backend;
    readonly Preprocessor _pre;
    readonly float[] _input;
    readonly float[] _logits;
    readonly string[] _labels;
    readonly ClassificationResult _result;
    readonly BatchResult _batch;
    /// <summary>GPU-resident backends (gl): the context is current on the creating thread only (see Realtime.ThreadRule).</summary>
    readonly Realtime.ThreadRule? _glThread;
    bool _disposed;

    /// <summary>The backend object that runs (the tools and tests read its shapes and taps; a host reads <see cref="Choice"/>).</summary>
    internal IInferenceBackend InferenceBackend => _backend;
    /// <summary>The backend that runs (<see cref="Choice"/> says what was asked and why it differs).</summary>
    public Backend Backend => _backend.Kind;
    /// <summary>Outputs per image: classes, or features for a feature extractor.</summary>
    public int Classes => _backend.Classes;
    /// <summary>True when the model has no classifier head (<see cref="HeadKind.FeatureExtractor"/>): results carry
    /// <see cref="ClassificationResult.Features"/> and no top-k.</summary>
    public bool IsFeatureExtractor { get; }
    /// <summary>Predictions per image; 0 for a feature extractor.</summary>
    public int TopK { get; }
    public int MaxBatch => _backend.MaxBatch;
    public IReadOnlyList<string> Labels => _labels;
    internal Preprocessor Preprocessor => _pre;
    /// <summary>Rolling per-stage statistics of every Classify/ClassifyBatch call (window 1024).</summary>
    public StageStats Stats { get; } = new();

    /// <summary>Wraps an existing backend (takes ownership). labels: null → "class N". mean/std: null → ImageNet (3 channels) or 0.5 (1 channel).
    /// head: FeatureExtractor skips softmax and top-k (see <see cref="ModelInfo.Head"/>).</summary>
    internal Classifier(IInferenceBackend backend, ClassifierOptions? options = null, IReadOnlyList<string>? labels = null,
                      float[]? mean = null, float[]? std = null, HeadKind head = HeadKind.Classifier)
    {
        options ??= new ClassifierOptions();
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        if (options.TopK < 1) throw new ArgumentException($"TopK must be ≥ 1, got {options.TopK}");
        IsFeatureExtractor = head == HeadKind.FeatureExtractor;
        TopK = IsFeatureExtractor ? 0 : Math.Min(options.TopK, backend.Classes);
        _pre = new Preprocessor(backend.Channels, backend.Height, backend.Width, mean, std, options.CropRatio);
        _input = new float[backend.MaxBatch * _pre.OutputLength];
        _logits = new float[backend.MaxBatch * backend.Classes];
        _labels = new string[backend.Classes];
        for (int i = 0; i < _labels.Length; i++)
            _labels[i] = labels != null && i < labels.Count && !string.IsNullOrEmpty(labels[i]) ? labels[i] : $"class {i}";
        _result = CreateResult();
        var items = new ClassificationResult[backend.MaxBatch];
        for (int i = 0; i < items.Length; i++) items[i] = CreateResult();
        _batch = new BatchResult(items);
        if ((backend.Capabilities & BackendCapabilities.GpuResident) != 0) _glThread = new Realtime.ThreadRule($"Classifier ({backend.Name})");
        Choice = new Realtime.BackendChoice(backend.Kind, backend.Kind, null);
    }

    /// <summary>A result object owned by the caller, for <see cref="Classify(ReadOnlySpan{byte}, int, int, int, PixelFormat, ClassificationResult)"/>.</summary>
    public ClassificationResult CreateResult() => new(TopK, _backend.Classes);

    /// <summary>Classifies one frame. The returned object is reused: valid until the next call.</summary>
    public ClassificationResult Classify(ReadOnlySpan<byte> pixels, int width, int height, int strideBytes, PixelFormat format) =>
        Classify(pixels, width, height, strideBytes, format, _result);

    /// <summary>Classifies one frame into a caller-owned result (see <see cref="CreateResult"/>).</summary>
    public ClassificationResult Classify(ReadOnlySpan<byte> pixels, int width, int height, int strideBytes, PixelFormat format, ClassificationResult into)
    {
        ArgumentNullException.ThrowIfNull(into);
        _glThread?.Check();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int n = _pre.OutputLength;
            long t0 = Stopwatch.GetTimestamp();
            _pre.Run(pixels, width, height, strideBytes, format, _input.AsSpan(0, n));
            long t1 = Stopwatch.GetTimestamp();
            _backend.RunFinite(_input.AsSpan(0, n), 1, _logits);   // from pixels: finite by construction (Preprocessor)
            long t2 = Stopwatch.GetTimestamp();
            Postprocess(0, into);
            long t3 = Stopwatch.GetTimestamp();
            into.Latency = LatencyRecord.FromStamps(t0, t1, t2, t3);
            Stats.Add(into.Latency);
            return into;
        }
    }

    /// <summary>Classifies up to <see cref="MaxBatch"/> frames in one backend run. Reused result: valid until the next call.</summary>
    public BatchResult ClassifyBatch(ReadOnlySpan<Frame> frames)
    {
        _glThread?.Check();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int b = frames.Length;
            if (b < 1 || b > MaxBatch) throw new ArgumentException($"batch of {b} frames; this classifier takes 1..{MaxBatch} (ClassifierOptions.MaxBatch)");
            int n = _pre.OutputLength;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < b; i++)
            {
                var f = frames[i];
                _pre.Run(f.Pixels.Span, f.Width, f.Height, f.StrideBytes, f.Format, _input.AsSpan(i * n, n));
            }
            long t1 = Stopwatch.GetTimestamp();
            _backend.RunFinite(_input.AsSpan(0, b * n), b, _logits);
            long t2 = Stopwatch.GetTimestamp();
            for (int i = 0; i < b; i++) Postprocess(i, _batch.Items[i]);
            long t3 = Stopwatch.GetTimestamp();
            return FinishBatch(b, t0, t1, t2, t3);
        }
    }

    /// <summary>
    /// Runs already-preprocessed NCHW float input (batch × C × H × W, batch ≤ MaxBatch): logits,
    /// softmax and top-k per row. Reused result: valid until the next call.
    /// </summary>
    public BatchResult ClassifyTensor(ReadOnlySpan<float> nchw, int batch)
    {
        _glThread?.Check();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (batch < 1 || batch > MaxBatch) throw new ArgumentException($"batch of {batch}; this classifier takes 1..{MaxBatch} (ClassifierOptions.MaxBatch)");
            int n = _pre.OutputLength;
            if (nchw.Length != batch * n)
                throw new ArgumentException($"input has {nchw.Length} floats; batch {batch} of {_backend.Channels}x{_backend.Height}x{_backend.Width} needs {batch * n}");
            long t0 = Stopwatch.GetTimestamp();
            long t1 = t0;
            _backend.Run(nchw, batch, _logits);
            long t2 = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++) Postprocess(i, _batch.Items[i]);
            long t3 = Stopwatch.GetTimestamp();
            return FinishBatch(batch, t0, t1, t2, t3);
        }
    }

    BatchResult FinishBatch(int b, long t0, long t1, long t2, long t3)
    {
        var rec = LatencyRecord.FromStamps(t0, t1, t2, t3);
        for (int i = 0; i < b; i++) _batch.Items[i].Latency = rec;
        _batch.Count = b;
        _batch.Latency = rec;
        Stats.Add(rec);
        return _batch;
    }

    /// <summary>Row <paramref name="row"/> of the logits → softmax → top-k into r (a feature extractor: the row only). Allocates nothing.</summary>
    void Postprocess(int row, ClassificationResult r)
    {
        int c = _backend.Classes;
        var logits = _logits.AsSpan(row * c, c);
        logits.CopyTo(r.Raw);
        if (!IsFeatureExtractor)
        {
            Softmax(logits, r.Probs);
            SelectTopK(r.Probs, r.Top, _labels);
        }
        r.Count = r.Top.Length;
        r.Taps = _backend.Taps;
        r.TapRow = row;
    }

    /// <summary>Numerically stable softmax (max subtracted first); SIMD through TensorPrimitives.</summary>
    internal static void Softmax(ReadOnlySpan<float> logits, Span<float> probs)
    {
        probs = probs[..logits.Length];
        float max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        System.Numerics.Tensors.TensorPrimitives.Subtract(logits, max, probs);
        System.Numerics.Tensors.TensorPrimitives.Exp(probs, probs);
        float sum = System.Numerics.Tensors.TensorPrimitives.Sum<float>(probs);
        System.Numerics.Tensors.TensorPrimitives.Multiply(probs, 1f / sum, probs);
    }

    /// <summary>Top-k by insertion into a k-sized sorted array: O(n·k), k small. Ties keep the lower index first.</summary>
    static void SelectTopK(ReadOnlySpan<float> probs, Prediction[] top, string[] labels)
    {
        int k = top.Length, filled = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            float p = probs[i];
            if (filled == k && !(p > top[k - 1].Probability)) continue;
            int j = filled < k ? filled++ : k - 1;
            while (j > 0 && p > top[j - 1].Probability) { top[j] = top[j - 1]; j--; }
            top[j] = new Prediction(i, labels[i], p);
        }
    }

    public void Dispose()
    {
        _glThread?.Check();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _backend.Dispose();
        }
    }
}
