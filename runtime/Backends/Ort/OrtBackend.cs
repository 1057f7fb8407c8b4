using Microsoft.ML.OnnxRuntime;

namespace ResNetRealtime.Runtime.Backends.Ort;

/// <summary>
/// <see cref="IInferenceBackend"/> on ONNX Runtime: CPU, DirectML or CUDA execution provider.
///
/// Zero-allocation Run: the input and every output live in pinned managed arrays created once; for
/// each batch size b the model accepts (1..MaxBatch when the batch is dynamic, only the model's
/// batch when it is fixed) an <see cref="OrtIoBinding"/> is created once with OrtValues viewing the
/// first b rows of those arrays. Run copies the input in, calls RunWithBinding on binding[b] (no name
/// marshalling, no output allocation) and copies the logits out. Fixed-batch models run with the
/// unused rows zeroed.
///
/// Not thread-safe: one Run at a time (see <see cref="IInferenceBackend"/>).
/// </summary>
internal sealed class OrtBackend : IInferenceBackend
{
    /// <summary>"ort-cpu", the reference backend's name in messages.</summary>
    internal static readonly string Cpu = Backend.OrtCpu.ToName();

    readonly InferenceSession _session;
    readonly SessionOptions _sessionOptions;
    readonly RunOptions _runOptions;
    readonly float[] _input;
    readonly float[] _logits;
    readonly int _imageLen, _classes;
    readonly bool _fixedBatch;
    readonly OrtIoBinding[] _bindings;        // index b-1 → binding for batch b (null where not allowed)
    readonly List<OrtValue> _values = new();
    readonly TapTensor[] _taps;
    bool _disposed;

    public Backend Kind { get; }
    public string Name => Kind.ToName();
    public BackendCapabilities Capabilities => BackendCapabilities.Taps | BackendCapabilities.Batch;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Classes => _classes;
    public int MaxBatch { get; }
    public IReadOnlyList<TapTensor> Taps => _taps;
    /// <summary>Name of the model input that is bound.</summary>
    public string InputName { get; }
    /// <summary>The model's own (first) output, holding the logits.</summary>
    public string OutputName { get; }
    /// <summary>Test seam: sees the provider and options of every session options made (the device id an API caller
    /// asked for must arrive here). Never set outside tests.</summary>
    internal static Action<Backend, BackendOptions> SessionOptionsForTests;

    /// <summary>The session options used, so a comparison session can be made with the same ones.</summary>
    public static SessionOptions MakeSessionOptions(Backend provider, BackendOptions options)
    {
        SessionOptionsForTests?.Invoke(provider, options);
        OrtLog.EnsureEnvironment();
        var so = new SessionOptions
        {
            LogSeverityLevel = OrtLog.Level,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = 1,
        };
        try
        {
            if (options.Threads > 0) so.IntraOpNumThreads = options.Threads;
            // No busy-waiting: by default each session's intra-op workers spin (~2^20 pause instructions, tens of ms) after
            // every parallel section, waiting for more work. This plugin shares the CPU with its host (render thread,
            // capture) and often with its own other sessions (depth switching, teach mode's variant backbone, a bench's
            // bare session), and an idle session's spinning workers take the cores from the one that runs. Measured with
            // `rr bench --depths 18,50 --precision fp32,int8 --frames 100 --repeat 5` (2 cores, AVX-512 VNNI, load ~3):
            // spinning, ResNet-18 int8 inference p50 7.6–10.8 ms, total/bare segments 0.82–1.40; not spinning, 4.1–4.7 ms,
            // segment medians 1.06–1.12 (the 0.3 ms of preprocessing; docs/int8.md).
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            switch (provider)
            {
                case Backend.OrtCpu: break;
                case Backend.OrtDml:
                    OrtProviders.Require(Backend.OrtDml);
                    // The DirectML EP requires these two: it cannot run with memory patterns or parallel execution.
                    so.EnableMemoryPattern = false;
                    so.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
                    so.AppendExecutionProvider_DML(options.DeviceId);
                    break;
                case Backend.OrtCuda:
                    OrtProviders.Require(Backend.OrtCuda);
                    so.AppendExecutionProvider_CUDA(options.DeviceId);
                    break;
                default:
                    throw new ArgumentException($"{provider.ToName()} is not an ONNX Runtime backend; one of: {Backend.OrtCpu.ToName()}, {Backend.OrtDml.ToName()}, {Backend.OrtCuda.ToName()}");
            }
            return so;
        }
        catch (OnnxRuntimeException e)
        {
            so.Dispose();
            throw new NotSupportedException($"{provider.ToName()}: the execution provider failed to start: {OrtLog.Short(e.Message)}", e);
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    /// <param name="modelBytes">ONNX model, taps already added as graph outputs.</param>
    /// <param name="tapNames">User-facing tap names, in order.</param>
    /// <param name="tapOutputs">Graph output names holding those taps (same order).</param>
    /// <param name="inputSizeHint">C,H,W used where the model's input dims are symbolic (from metadata); may be null.</param>
    public OrtBackend(Backend provider, byte[] modelBytes, BackendOptions options, IReadOnlyList<string> tapNames = null,
                      IReadOnlyList<string> tapOutputs = null, int[] inputSizeHint = null)
    {
        options ??= new BackendOptions();
        tapNames ??= Array.Empty<string>();
        tapOutputs ??= tapNames;
        if (tapNames.Count != tapOutputs.Count) throw new ArgumentException("tap names and outputs differ in count");
        if (options.MaxBatch < 1) throw new ArgumentException($"MaxBatch must be ≥ 1, got {options.MaxBatch}");
        Kind = provider;
        _sessionOptions = MakeSessionOptions(provider, options);
        try
        {
            try { _session = new InferenceSession(modelBytes, _sessionOptions); }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException($"ONNX Runtime could not load the model: {OrtLog.Short(e.Message)}", e);
            }
            _runOptions = new RunOptions();

            // Input: the single graph input that is not an initializer.
            if (_session.InputMetadata.Count != 1)
                throw new InvalidDataException($"the model has {_session.InputMetadata.Count} inputs ({string.Join(", ", _session.InputMetadata.Keys)}); one image input is expected");
            var (inName, inMeta) = _session.InputMetadata.First();
            InputName = inName;
            if (inMeta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                throw new InvalidDataException($"model input '{inName}' is {inMeta.ElementDataType}; float32 is expected");
            var dims = inMeta.Dimensions;
            if (dims.Length != 4)
                throw new InvalidDataException($"model input '{inName}' has shape [{string.Join(",", dims)}]; NCHW (4 dimensions) is expected");
            int Dim(int i) => dims[i] > 0 ? dims[i]
                : inputSizeHint != null ? inputSizeHint[i - 1]
                : throw new InvalidDataException($"model input '{inName}' has shape [{string.Join(",", dims)}] with a symbolic dimension {i} and no input size in the metadata");
            Channels = Dim(1); Height = Dim(2); Width = Dim(3);
            _fixedBatch = dims[0] > 0;
            if (_fixedBatch && options.MaxBatch > dims[0])
                throw new ArgumentException($"the model has a fixed batch of {dims[0]}; MaxBatch {options.MaxBatch} is larger (export it with a dynamic batch axis)");
            MaxBatch = _fixedBatch ? dims[0] : options.MaxBatch;
            _imageLen = Channels * Height * Width;

            // The model's own output: the first graph output that is not a tap; when every output is tapped (a feature
            // extractor's `pool` tap is its output), the first one — Taps.AddOutputs keeps the model's outputs ahead of
            // the taps it appends.
            if (_session.OutputNames.Count == 0) throw new InvalidDataException("the model has no output");
            OutputName = _session.OutputNames.FirstOrDefault(n => !tapOutputs.Contains(n)) ?? _session.OutputNames[0];
            // Each distinct output is bound once: ORT fills one buffer per bound name, so a tensor tapped twice (a stage
            // alias and its node-output name, a tap that is also the CAM's feature map, or the model's output itself)
            // binding a second buffer under the same name left one of them empty. Taps of the same tensor share its array
            // (read-only to callers).
            var outNames = new List<string> { OutputName };
            var tapOut = new int[tapOutputs.Count];   // tap i → index in outNames
            for (int i = 0; i < tapOutputs.Count; i++)
            {
                tapOut[i] = outNames.IndexOf(tapOutputs[i]);
                if (tapOut[i] < 0) { tapOut[i] = outNames.Count; outNames.Add(tapOutputs[i]); }
            }

            // Per-image shapes of every output; symbolic non-batch dims are found by one run at batch 1.
            var perImage = new int[outNames.Count][];
            bool unknown = false;
            for (int i = 0; i < outNames.Count; i++)
            {
                if (!_session.OutputMetadata.TryGetValue(outNames[i], out var m))
                    throw new ArgumentException($"tap '{tapNames[Array.IndexOf(tapOut, i)]}' (output '{outNames[i]}') is not an output of the model");
                perImage[i] = m.Dimensions.Length == 0 ? Array.Empty<int>() : m.Dimensions[1..];
                if (perImage[i].Any(d => d <= 0)) unknown = true;
            }
            if (unknown) perImage = ProbeOutputShapes(outNames);

            _classes = perImage[0].Aggregate(1, (a, b) => a * b);
            _input = GC.AllocateArray<float>(MaxBatch * _imageLen, pinned: true);
            var outArrays = new float[outNames.Count][];
            for (int i = 0; i < outNames.Count; i++)
                outArrays[i] = GC.AllocateArray<float>(MaxBatch * perImage[i].Aggregate(1, (a, b) => a * b), pinned: true);
            _logits = outArrays[0];

            _bindings = new OrtIoBinding[MaxBatch];
            for (int b = _fixedBatch ? MaxBatch : 1; b <= MaxBatch; b++)
            {
                var binding = _session.CreateIoBinding();
                _bindings[b - 1] = binding;
                binding.BindInput(InputName, View(_input, b, new[] { Channels, Height, Width }));
                for (int i = 0; i < outNames.Count; i++)
                    binding.BindOutput(outNames[i], View(outArrays[i], b, perImage[i]));
            }
            _taps = new TapTensor[tapNames.Count];
            for (int i = 0; i < tapNames.Count; i++)
                _taps[i] = new TapTensor(tapNames[i], new[] { MaxBatch }.Concat(perImage[tapOut[i]]).ToArray(), outArrays[tapOut[i]]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    OrtValue View(float[] array, int batch, int[] perImage)
    {
        long[] shape = new long[perImage.Length + 1];
        shape[0] = batch;
        int len = batch;
        for (int i = 0; i < perImage.Length; i++) { shape[i + 1] = perImage[i]; len *= perImage[i]; }
        var v = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(array, 0, len), shape);
        _values.Add(v);
        return v;
    }

    int[][] ProbeOutputShapes(List<string> outNames)
    {
        int b = _fixedBatch ? MaxBatch : 1;
        var probe = new float[b * _imageLen];
        using var input = OrtValue.CreateTensorValueFromMemory(probe, new long[] { b, Channels, Height, Width });
        using var results = _session.Run(_runOptions, new[] { InputName }, new[] { input }, outNames);
        return results.Select(r => r.GetTensorTypeAndShape().Shape.Skip(1).Select(d => (int)d).ToArray()).ToArray();
    }

    public void Run(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits, check: true);

    void IInferenceBackend.RunFinite(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits, check: false);

    /// <summary>
    /// The copy into ORT's pinned input: with <paramref name="check"/>, fused with the finiteness check (one pass);
    /// without, the plain copy the pixel path pays. Internal so experiments/Costs/FiniteCheckCost times exactly this.
    /// </summary>
    internal static void CopyInput(ReadOnlySpan<float> input, Span<float> pinned, bool check)
    {
        if (check) Tensors.Finite.CopyRequire(input, pinned);
        else input.CopyTo(pinned);
    }

    void Run(ReadOnlySpan<float> input, int batch, Span<float> logits, bool check)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in [1, {MaxBatch}]");
        if (input.Length != batch * _imageLen)
            throw new ArgumentException($"input has {input.Length} floats; batch {batch} of {Channels}x{Height}x{Width} needs {batch * _imageLen}");
        if (logits.Length < batch * _classes)
            throw new ArgumentException($"logits span has {logits.Length} floats; {batch * _classes} needed");
        CopyInput(input, _input, check);   // the copy ORT needs anyway, checked in the same pass
        int bound = batch;
        if (_fixedBatch && batch < MaxBatch)
        {
            _input.AsSpan(batch * _imageLen).Clear();
            bound = MaxBatch;
        }
        try { _session.RunWithBinding(_runOptions, _bindings[bound - 1]); }
        catch (OnnxRuntimeException e)
        {
            // e.g. a Conv whose weight channels do not match its input, found by ORT only when it runs.
            throw new InvalidDataException($"ONNX Runtime could not run the model: {OrtLog.Short(e.Message)}", e);
        }
        _logits.AsSpan(0, batch * _classes).CopyTo(logits);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_bindings != null) foreach (var b in _bindings) b?.Dispose();
        foreach (var v in _values) v.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
        _sessionOptions?.Dispose();
    }
}
