#nullable enable
namespace ResNetRealtime.Runtime.Backends;

/// <summary>What a backend can do beyond the basic contract. Callers test flags, never backend types.</summary>
[Flags]
internal enum BackendCapabilities
{
    None = 0,
    /// <summary>Intermediate tensors ("taps") can be returned alongside the logits.</summary>
    Taps = 1 << 0,
    /// <summary>More than one image per Run.</summary>
    Batch = 1 << 1,
    /// <summary>Accepts a GL texture as input with no CPU round trip.</summary>
    TextureInput = 1 << 2,
    /// <summary>Activations stay on the GPU (taps/CAM as textures).</summary>
    GpuResident = 1 << 3,
    /// <summary>Logits can be read back asynchronously (fence + buffer).</summary>
    AsyncReadback = 1 << 4,
}

/// <summary>One intermediate tensor returned by a backend. Data is owned by the backend and
/// overwritten by the next Run; copy it if you keep it.</summary>
public sealed class TapTensor
{
    internal TapTensor(string name, int[] shape, float[] data) { Name = name; Shape = shape; Data = data; }
    public string Name { get; }
    /// <summary>NCHW (or N×features) with N = the backend's MaxBatch; the last Run filled the first batch rows.</summary>
    public int[] Shape { get; }
    public float[] Data { get; }
}

/// <summary>
/// The small contract every backend implements: one loaded model, NCHW float32 in, logits out.
/// A backend pre-allocates everything at creation; Run allocates nothing in steady state.
/// Not thread-safe: one Run at a time per instance (the Classifier serialises calls).
/// </summary>
internal interface IInferenceBackend : IDisposable
{
    /// <summary>Which backend this is (never <see cref="Backend.Auto"/>).</summary>
    Backend Kind { get; }
    /// <summary>"ort-cpu", "ort-dml", "ort-cuda" or "gl" (<see cref="InferenceNames.ToName(Backend)"/> of <see cref="Kind"/>).</summary>
    string Name { get; }
    BackendCapabilities Capabilities { get; }
    /// <summary>Input of one image: channels, height, width.</summary>
    int Channels { get; }
    int Height { get; }
    int Width { get; }
    int Classes { get; }
    int MaxBatch { get; }
    /// <summary>Runs <paramref name="batch"/> images: input.Length == batch*C*H*W, logits.Length ≥ batch*Classes.</summary>
    void Run(ReadOnlySpan<float> input, int batch, Span<float> logits);
    /// <summary>
    /// <see cref="Run"/> for input the caller vouches is finite: the Preprocessor's output from pixels (bytes
    /// cannot be NaN or ±Inf, and mean/std are checked finite with std &gt; 0 when it is made), so the
    /// finiteness check every float input pays in Run is skipped. Internal: only the runtime's pixel path
    /// (Classifier) may vouch; a backend without a cheaper path runs the checked one.
    /// </summary>
    internal void RunFinite(ReadOnlySpan<float> input, int batch, Span<float> logits) => Run(input, batch, logits);
    /// <summary>Tap tensors filled by the last Run, in the order they were requested.</summary>
    IReadOnlyList<TapTensor> Taps { get; }
}
