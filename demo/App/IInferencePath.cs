using ResNetRealtime.Runtime.Inference;
using Frame = ResNetRealtime.Demo.Sources.Frame;

namespace ResNetRealtime.Demo.App;

/// <summary>The frame as a GL texture in the demo's context: what the in-context GPU path reads (no CPU copy).
/// <see cref="FlipY"/>: row 0 is the bottom of the picture (render targets).</summary>
public readonly record struct FrameTexture(uint Texture, int Width, int Height, bool FlipY);

/// <summary>
/// One way of classifying the demo's frames, driven by the render loop: <see cref="InferenceWorker"/>
/// (ONNX Runtime on its own thread, reads the frame's pixels) or <see cref="GpuInference"/> (the GL
/// backend inside the demo's own context, reads the frame's texture). Neither ever blocks the render
/// loop unless asked to wait (headless lock-step).
/// </summary>
public interface IInferencePath : IDisposable
{
    string Backend { get; }
    int Depth { get; }
    string ModelDescription { get; }
    bool RandomWeights { get; }
    /// <summary>A line for the HUD while loading or after a fallback; null when nothing to say.</summary>
    string Status { get; }
    string Error { get; }
    bool Ready { get; }
    /// <summary>Inference time per result (what --budget-ms compares).</summary>
    LatencyStats InferenceStats { get; }
    /// <summary>Index into the model's stages for the mosaic (wraps).</summary>
    int MosaicLayer { get; set; }
    /// <summary>True when <see cref="TryOffer"/> reads <see cref="Frame.Pixels"/> (the caller must fill them).</summary>
    bool NeedsPixels { get; }
    bool WaitReady(int timeoutMs);
    void RequestSwitch(int depth, string backend);
    /// <summary>Starts inference of this frame if the path has room; false = skipped (busy).</summary>
    bool TryOffer(Frame frame, in FrameTexture texture);
    /// <summary>The newest finished result into <paramref name="into"/>; waits up to <paramref name="timeoutMs"/>.</summary>
    bool TryGetResult(ref ResultSnapshot into, int timeoutMs = 0);
}
