#nullable enable
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// What one frame cost, in milliseconds. Queue: Submit → the inference started (waiting for the busy backend).
/// Preprocess / Inference: CPU time on the CPU backends; GPU time (timestamp queries) on gl, NaN where the
/// context has no timer queries. Postprocess: softmax/top-k, taps and CAM (CPU), or the readback (gl).
/// SubmitToResult: wall time from Submit to the result being published (what a frame loop sees).
/// </summary>
public readonly record struct RealtimeLatency(double QueueMs, double PreprocessMs, double InferenceMs, double PostprocessMs, double SubmitToResultMs)
{
    public override string ToString() => FormattableString.Invariant(
        $"queue {QueueMs:F2} ms, preprocess {PreprocessMs:F2} ms, inference {InferenceMs:F2} ms, postprocess {PostprocessMs:F2} ms, submit→result {SubmitToResultMs:F2} ms");
}

/// <summary>One requested tap of one frame: its values (row 0 of the batch, [C,H,W] or [features]) and, on gl,
/// a mosaic texture of its first <see cref="RealtimeOptions.TapTextureChannels"/> channels.</summary>
public sealed class RealtimeTap
{
    internal RealtimeTap(string name, int[] shape)
    {
        Name = name; Shape = shape;
        long n = 1;
        for (int i = 1; i < shape.Length; i++) n *= shape[i];
        Data = new float[n];
    }
    public string Name { get; }
    /// <summary>The backend's shape (dimension 0 = batch; this tap holds one image).</summary>
    public int[] Shape { get; }
    public float[] Data { get; }
    /// <summary>gl only (0 elsewhere): r32f mosaic texture in the host's context, values 0..1, owned by the classifier.</summary>
    public uint Texture { get; internal set; }
    public int TextureWidth { get; internal set; }
    public int TextureHeight { get; internal set; }
}

/// <summary>
/// The result of one frame. Made by <see cref="RealtimeClassifier.CreateResult"/> and swapped, never copied:
/// <see cref="RealtimeClassifier.TryGetLatest"/> hands the caller the newest result and takes the caller's object
/// as its spare, so nothing is allocated per frame and what the caller holds is never written behind its back.
/// </summary>
public sealed class RealtimeResult
{
    internal readonly object Owner;
    internal readonly Prediction[] Top;
    internal int Count;
    internal readonly RealtimeTap[] TapArray;
    internal readonly float[] CamData;

    /// <param name="camOnCpu">true: the CAM is computed into <see cref="Cam"/>; false: it is a texture (gl) or absent.</param>
    internal RealtimeResult(object owner, int k, IReadOnlyList<(string Name, int[] Shape)> taps, int camW, int camH, bool camOnCpu)
    {
        Owner = owner;
        Top = new Prediction[k];
        TapArray = new RealtimeTap[taps.Count];
        for (int i = 0; i < TapArray.Length; i++) TapArray[i] = new RealtimeTap(taps[i].Name, taps[i].Shape);
        CamData = camOnCpu ? new float[camW * camH] : Array.Empty<float>();
        CamWidth = camW; CamHeight = camH;
    }

    /// <summary>The id (or timestamp) passed to Submit with the frame this result is for.</summary>
    public long FrameId { get; internal set; } = -1;
    /// <summary>Best classes first; probabilities from a softmax over the logits.</summary>
    public ReadOnlySpan<Prediction> TopK => Top.AsSpan(0, Count);
    public IReadOnlyList<RealtimeTap> Taps => TapArray;
    /// <summary>CPU backends: the class-activation map of the top-1 class, row-major, 0..1, row 0 = top (empty without Cam).</summary>
    public ReadOnlySpan<float> Cam => CamData;
    public int CamWidth { get; internal set; }
    public int CamHeight { get; internal set; }
    /// <summary>gl: the CAM as an r32f texture of the host's context (0 elsewhere or without Cam), row 0 = top.</summary>
    public uint CamTexture { get; internal set; }
    public RealtimeLatency Latency { get; internal set; }
    /// <summary>gl: how many <see cref="RealtimeClassifier.Update"/> calls encoded this result's layers (1 = the whole
    /// network in one frame; more when RealtimeOptions.FrameBudget spreads it); 0 on the CPU backends (worker thread).</summary>
    public int Updates { get; internal set; }
}
