using System.Diagnostics;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Demo.Sources;

/// <summary>
/// One captured picture (a source's pooled buffer; the runtime's <see cref="Frame"/> is a view of pixels, see <see cref="View"/>): RGB24 interleaved, rows top to bottom, plus when it was captured
/// (Stopwatch ticks, for capture-to-display latency) and, for the rendered scene, its true class.
/// Frames are pooled by <see cref="LatestFrameSlot"/>: the pixel array is reused, never reallocated.
/// </summary>
public sealed class CapturedFrame
{
    public CapturedFrame(int width, int height)
    {
        Width = width; Height = height;
        Pixels = new byte[width * height * 3];
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }
    public int Stride => Width * 3;
    /// <summary>These pixels as the runtime sees a frame (RGB24, tight rows): a view, nothing copied or allocated.</summary>
    public Frame View => new(Pixels, Width, Height, Stride, PixelFormat.Rgb24);
    /// <summary>Running number assigned by the source (0, 1, 2, ...); gaps mean frames were dropped.</summary>
    public long Sequence { get; set; }
    /// <summary>Stopwatch.GetTimestamp() when the frame's bytes were complete.</summary>
    public long CaptureTimestamp { get; set; }
    /// <summary>Time spent acquiring the frame (reading the pipe / rendering), milliseconds.</summary>
    public double CaptureMs { get; set; }
    /// <summary>True class index for rendered scene frames, -1 when unknown (camera, video).</summary>
    public int Label { get; set; } = -1;

    public void CopyFrom(CapturedFrame other)
    {
        if (other.Width != Width || other.Height != Height) throw new ArgumentException($"frame size {other.Width}x{other.Height} != {Width}x{Height}");
        other.Pixels.AsSpan().CopyTo(Pixels);
        Sequence = other.Sequence; CaptureTimestamp = other.CaptureTimestamp; CaptureMs = other.CaptureMs; Label = other.Label;
    }

    public static double MsSince(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds;
}
