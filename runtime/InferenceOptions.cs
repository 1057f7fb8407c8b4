#nullable enable
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Imaging;

namespace ResNetRealtime.Runtime;

/// <summary>
/// What every classifier is created with, whichever API: <see cref="Inference.ClassifierOptions"/> (frames on the
/// caller's thread, batches) and <see cref="Realtime.RealtimeOptions"/> (a host's frame loop) add their own fields to
/// these. Per classifier, fixed at creation (like ONNX Runtime's SessionOptions); defaults are the same in both APIs.
/// </summary>
public abstract class InferenceOptions
{
    private protected InferenceOptions() { }

    /// <summary>Copies the shared fields of <paramref name="from"/> (so a classifier made on behalf of another gets all of them).</summary>
    private protected InferenceOptions(InferenceOptions from)
    {
        ArgumentNullException.ThrowIfNull(from);
        Backend = from.Backend; DeviceId = from.DeviceId; Threads = from.Threads; Precision = from.Precision;
        Taps = from.Taps; TopK = from.TopK; CropRatio = from.CropRatio; SelfCheck = from.SelfCheck;
    }

    /// <summary>Default <see cref="Runtime.Backend.Auto"/>: on Windows ort-dml, then gl on a hardware OpenGL 4.3 context, then
    /// ort-cpu; elsewhere gl on hardware, then ort-cpu, each only when it starts and passes its self-check
    /// (<see cref="Realtime.BackendChoice"/> decides, and the classifier's Choice says what ran and why). The GL context
    /// judged is <see cref="Realtime.RealtimeOptions.GlContext"/> for a RealtimeClassifier (none given: gl is not tried)
    /// and a probe context of its own for a Classifier; on a machine without a GPU, or with a software renderer
    /// (llvmpipe), auto is ort-cpu. With <see cref="Runtime.Precision.Int8"/>, auto is ort-cpu.</summary>
    public Backend Backend { get; init; } = Backend.Auto;
    /// <summary>GPU adapter (ort-dml) or CUDA device (ort-cuda); 0 = the first. gl runs on the context's GPU.</summary>
    public int DeviceId { get; init; }
    /// <summary>Inference threads of the CPU backends; 0 = the backend's default (all cores for ort-cpu).</summary>
    public int Threads { get; init; }
    /// <summary>Default <see cref="Runtime.Precision.Fp32"/>. Int8 runs on ort-cpu only (other backends are refused).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Intermediate tensors each result carries: stage names ("stem", "layer1".."layer4", "pool") or node
    /// output names.</summary>
    public IReadOnlyList<string> Taps { get; init; } = Array.Empty<string>();
    /// <summary>Predictions per result (clamped to the class count); at least 1.</summary>
    public int TopK { get; init; } = 5;
    /// <summary>Crop size / resize size (torchvision's 224/256); 1 = resize the whole frame to the input.</summary>
    public double CropRatio { get; init; } = Preprocessor.DefaultCropRatio;
    /// <summary>gl, ort-dml, ort-cuda: run one probe through the new session and compare it with ort-cpu before trusting it
    /// (<see cref="BackendSelfCheck"/>: about one inference on each, once per model and device in this process). A
    /// backend that disagrees is refused (<see cref="SelfCheckException"/> naming the first diverging tensor; auto moves
    /// on to the next). false: trust it unchecked (a host that cannot spend the time, or checks some other way).</summary>
    public bool SelfCheck { get; init; } = true;

    /// <summary>Images per backend run the buffers are sized for (<see cref="Inference.ClassifierOptions.MaxBatch"/>).</summary>
    private protected virtual int BatchSize => 1;

    /// <summary>The one place a backend's creation options come from.</summary>
    internal BackendOptions ToBackendOptions() => new()
    {
        Threads = Threads, Taps = Taps ?? Array.Empty<string>(), MaxBatch = BatchSize, DeviceId = DeviceId,
    };
}
