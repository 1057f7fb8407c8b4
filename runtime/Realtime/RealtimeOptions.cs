#nullable enable
using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>How a <see cref="RealtimeClassifier"/> is created (MediaPipe's LIVE_STREAM options object, one per classifier):
/// the shared <see cref="InferenceOptions"/> plus what a frame loop needs. With <see cref="Runtime.Backend.Auto"/> (the
/// default), gl is tried only on <see cref="GlContext"/>: without one, auto is ort-cpu (ort-dml first on Windows).</summary>
public sealed class RealtimeOptions : InferenceOptions
{
    public RealtimeOptions() { }

    /// <summary>The shared fields of <paramref name="from"/>; the real-time ones at their defaults.</summary>
    public RealtimeOptions(InferenceOptions from) : base(from) { }

    /// <summary>Class-activation map of the top-1 class in every result (needs global average pooling → one linear layer).</summary>
    public bool Cam { get; init; }
    /// <summary>gl: the host's context (<see cref="GlContext.FromGl"/> / <see cref="GlContext.FromCurrent"/>), current on the
    /// calling thread, which becomes the only thread the classifier may be used from. null = an own headless context.</summary>
    public GlContext? GlContext { get; init; }
    /// <summary>gl: CPU time <see cref="RealtimeClassifier.Update"/> may spend encoding layers per call
    /// (<c>GlBackend.StepFor</c>, measured with the stopwatch); zero = a whole inference per call.</summary>
    public TimeSpan FrameBudget { get; init; }
    /// <summary>gl: channels of each tap's mosaic texture (<see cref="Inference.ActivationMosaic"/>); 0 = all.</summary>
    public int TapTextureChannels { get; init; } = 16;
}
