#nullable enable
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// One frame for <see cref="RealtimeClassifier.Submit"/>: either CPU pixels (any <see cref="PixelFormat"/> and row
/// stride; copied by Submit, so the caller may reuse its buffer at once) or a GL_TEXTURE_2D of the host's context
/// (gl only; read on the GPU, no CPU round trip). A ref struct: it only borrows the caller's span for the call.
/// </summary>
public readonly ref struct FrameInput
{
    public readonly ReadOnlySpan<byte> Pixels;
    public readonly int Width, Height, StrideBytes;
    public readonly PixelFormat Format;
    /// <summary>The texture name; 0 for a pixel frame.</summary>
    public readonly uint Texture;
    /// <summary>Texture frames: row 0 is the bottom of the picture (GL render targets).</summary>
    public readonly bool FlipY;

    FrameInput(ReadOnlySpan<byte> pixels, int width, int height, int stride, PixelFormat format, uint texture, bool flipY)
    {
        Pixels = pixels; Width = width; Height = height; StrideBytes = stride; Format = format; Texture = texture; FlipY = flipY;
    }

    public bool IsTexture => Texture != 0;

    public static FrameInput FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int strideBytes, PixelFormat format) =>
        new(pixels, width, height, strideBytes, format, 0, false);

    /// <summary>A runtime <see cref="Frame"/> (the batch API's pixel view) as a real-time frame.</summary>
    public static FrameInput FromFrame(in Frame frame) =>
        FromPixels(frame.Pixels.Span, frame.Width, frame.Height, frame.StrideBytes, frame.Format);

    public static FrameInput FromTexture(uint texture, int width, int height, bool flipY = true)
    {
        if (texture == 0) throw new ArgumentException("texture 0 is not a texture", nameof(texture));
        return new(default, width, height, 0, PixelFormat.Rgba32, texture, flipY);
    }

    /// <summary>The one set of pixel-frame checks (the preprocessor's), run before anything is copied.</summary>
    internal void ValidatePixels() => Preprocessor.ValidateFrame(Pixels.Length, Width, Height, StrideBytes, Format);
}
