// TeachAugment: the ten variants of a taught frame that teach mode also teaches (TeachAugmenter runs them through
// the backbone). A burst of 20 frames shows one object in one colour on one background at one narrow range of
// poses; the head then learns the colour and the pose as much as the shape. Five other orders of the colour
// channels plus grey take the colour away as evidence, three quarter turns and a mirror image the pose. Measured
// over the live runs of 8 scene seeds (docs/experiments.md; experiments: teach-seeds): 64.6% → 69.9% of
// the frames after teaching classified right; the colour half alone gave 66.7%, the geometric half 66.7%.
// Pure pixel shuffles of RGB24 (no resampling, no randomness): the same frame always gives the same ten images.
namespace ResNetRealtime.Runtime.Teach;

internal static class TeachAugment
{
    /// <summary>The variants in the order they are taught: pABC = output channels (R,G,B) taken from input channels
    /// A, B, C; r90/r180/r270 = turned clockwise by that much; flip = mirrored left-right; grey = luma in all three.</summary>
    public static readonly string[] Names = ["p120", "p201", "p021", "p210", "p102", "r90", "r180", "r270", "flip", "grey"];

    public static int Count => Names.Length;

    /// <summary>Size of variant <paramref name="variant"/> of a <paramref name="width"/>×<paramref name="height"/> frame (quarter turns swap them).</summary>
    public static (int Width, int Height) Size(int variant, int width, int height) =>
        Names[variant] is "r90" or "r270" ? (height, width) : (width, height);

    /// <summary>
    /// Writes variant <paramref name="variant"/> of <paramref name="src"/> (RGB24, tight rows of <paramref name="width"/>
    /// pixels) into <paramref name="dst"/> (tight rows, <see cref="Size"/> of it). Allocates nothing.
    /// </summary>
    public static void Apply(int variant, ReadOnlySpan<byte> src, int width, int height, Span<byte> dst)
    {
        if ((uint)variant >= (uint)Names.Length) throw new ArgumentOutOfRangeException(nameof(variant), variant, $"variants are 0..{Names.Length - 1}");
        if (width < 1 || height < 1 || src.Length < width * height * 3)
            throw new ArgumentException($"a {width}x{height} RGB24 frame needs {width * height * 3} bytes, got {src.Length}");
        if (dst.Length < width * height * 3) throw new ArgumentException($"dst has {dst.Length} bytes, the variant needs {width * height * 3}");
        string name = Names[variant];
        var (w2, h2) = Size(variant, width, height);
        if (name[0] == 'p')
        {
            int c0 = name[1] - '0', c1 = name[2] - '0', c2 = name[3] - '0';
            for (int i = 0; i < width * height * 3; i += 3) { dst[i] = src[i + c0]; dst[i + 1] = src[i + c1]; dst[i + 2] = src[i + c2]; }
            return;
        }
        if (name == "grey")
        {
            // BT.601 luma in 8-bit fixed point (77 + 150 + 29 = 256)
            for (int i = 0; i < width * height * 3; i += 3)
                dst[i] = dst[i + 1] = dst[i + 2] = (byte)((src[i] * 77 + src[i + 1] * 150 + src[i + 2] * 29) >> 8);
            return;
        }
        for (int y = 0; y < h2; y++)
            for (int x = 0; x < w2; x++)
            {
                // (sx, sy): the source pixel that lands on output pixel (x, y)
                var (sx, sy) = name switch
                {
                    "r90" => (y, height - 1 - x),
                    "r180" => (width - 1 - x, height - 1 - y),
                    "r270" => (width - 1 - y, x),
                    _ => (width - 1 - x, y), // flip
                };
                int s = (sy * width + sx) * 3, d = (y * w2 + x) * 3;
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2];
            }
    }
}
