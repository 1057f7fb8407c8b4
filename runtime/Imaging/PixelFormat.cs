#nullable enable
namespace ResNetRealtime.Runtime.Imaging;

/// <summary>Interleaved 8-bit pixel layouts a frame may arrive in. Alpha is ignored.</summary>
public enum PixelFormat
{
    Rgb24,
    Bgr24,
    Rgba32,
    Bgra32,
}

internal static class PixelFormatInfo
{
    public static int BytesPerPixel(this PixelFormat f) => f switch
    {
        PixelFormat.Rgb24 or PixelFormat.Bgr24 => 3,
        PixelFormat.Rgba32 or PixelFormat.Bgra32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "unknown pixel format"),
    };

    /// <summary>Byte offsets of R, G and B inside one pixel.</summary>
    public static (int R, int G, int B) ChannelOffsets(this PixelFormat f) => f switch
    {
        PixelFormat.Rgb24 or PixelFormat.Rgba32 => (0, 1, 2),
        PixelFormat.Bgr24 or PixelFormat.Bgra32 => (2, 1, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "unknown pixel format"),
    };

    public static bool TryParse(string s, out PixelFormat f) => Enum.TryParse(s, ignoreCase: true, out f);
}
