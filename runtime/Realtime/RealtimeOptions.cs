using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>How a <see cref="RealtimeClassifier"/> is created (MediaPipe's LIVE_STREAM options object, one per classifier).</summary>
public sealed class RealtimeOptions
{
    /// <summary>"auto" (default), "ort-cpu", "ort-dml", "ort-cuda" or "gl". auto = gl when <see cref="GlContext"/> is a
    /// hardware context with OpenGL 4.3 compute, ort-cpu otherwise (<see cref="BackendChoice"/> decides and says why).</summary>
    public string Backend { get; init; } = "auto";
    /// <summary>Inference threads of the CPU backends; 0 = the backend's default.</summary>
    public int Threads { get; init; }
    /// <summary>Predictions per result (clamped to the class count).</summary>
    public int TopK { get; init; } = 5;
    /// <summary>Intermediate tensors each result carries: stage names ("layer1".."layer4") or node output names.</summary>
    public IReadOnlyList<string> Taps { get; init; } = Array.Empty<string>();
    /// <summary>Class-activation map of the top-1 class in every result (needs global average pooling → one linear layer).</summary>
    public bool Cam { get; init; }
    /// <summary>gl: the host's context (<see cref="GlContext.FromGl"/> / <see cref="GlContext.FromCurrent"/>), current on the
    /// calling thread, which becomes the only thread the classifier may be used from. null = an own headless context.</summary>
    public GlContext GlContext { get; init; }
    /// <summary>gl: CPU time <see cref="RealtimeClassifier.Update"/> may spend encoding layers per call
    /// (<c>GlBackend.StepFor</c>, measured with the stopwatch); zero = a whole inference per call.</summary>
    public TimeSpan FrameBudget { get; init; }
    /// <summary>gl: channels of each tap's mosaic texture (<see cref="Inference.ActivationMosaic"/>); 0 = all.</summary>
    public int TapTextureChannels { get; init; } = 16;
    /// <summary>"fp32" (default) or "int8" (CPU backends only; <see cref="Quantization.Int8Cache"/>: quantized on first use, cached).</summary>
    public string Precision { get; init; } = Quantization.Int8Cache.Fp32;
    /// <summary>Crop size / resize size (torchvision's 224/256); 1 = resize the whole frame to the input.</summary>
    public double CropRatio { get; init; } = Preprocessor.DefaultCropRatio;
    /// <summary>gl, ort-dml, ort-cuda: run one probe through the new session and compare it with ort-cpu before trusting it
    /// (<see cref="Backends.BackendSelfCheck"/>: about one inference on each, once per model and device in this process).
    /// A backend that disagrees is refused ("auto" moves on to the next). false: trust it unchecked (a host that cannot
    /// spend the time, or checks some other way).</summary>
    public bool SelfCheck { get; init; } = true;
}
