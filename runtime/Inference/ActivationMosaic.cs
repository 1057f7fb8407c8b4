namespace ResNetRealtime.Runtime.Inference;

/// <summary>
/// The activation mosaic an overlay shows for one layer: channels 0..N-1 of a [C, H, W] feature map laid out
/// row-major on a grid of H×W tiles, each channel scaled to its own min..max (a flat channel is 0), tiles past
/// N are 0. One definition for both paths: this CPU reference (ONNX Runtime taps) and the gl backend's
/// tap.comp (<c>GlBackend.GetTapTexture</c>), which the tests hold to it.
/// </summary>
internal static class ActivationMosaic
{
    /// <summary>How many channels are shown and on what grid: a square-ish grid of min(C, maxChannels) tiles
    /// (maxChannels ≤ 0 = all C).</summary>
    public static (int Channels, int Cols, int Rows) Grid(int channels, int maxChannels)
    {
        if (channels < 1) throw new ArgumentException($"a mosaic needs at least one channel (got {channels})");
        int n = maxChannels > 0 ? Math.Min(channels, maxChannels) : channels;
        int cols = (int)Math.Ceiling(Math.Sqrt(n));
        return (n, cols, (n + cols - 1) / cols);
    }

    /// <summary>Renders the mosaic of <paramref name="features"/> ([C, H, W]) into <paramref name="image"/>
    /// (cols·W × rows·H, row 0 = top); returns the image size.</summary>
    public static (int Width, int Height) Render(ReadOnlySpan<float> features, int channels, int h, int w, int maxChannels, Span<float> image)
    {
        var (n, cols, rows) = Grid(channels, maxChannels);
        int W = cols * w, H = rows * h, hw = h * w;
        if (features.Length < channels * hw) throw new ArgumentException($"feature map has {features.Length} floats; [{channels}, {h}, {w}] needs {channels * hw}");
        if (image.Length < W * H) throw new ArgumentException($"mosaic image has {image.Length} floats; {W}x{H} needs {W * H}");
        image[..(W * H)].Clear();
        for (int c = 0; c < n; c++)
        {
            var f = features.Slice(c * hw, hw);
            float lo = float.MaxValue, hi = float.MinValue;
            foreach (var v in f) { if (v < lo) lo = v; if (v > hi) hi = v; }
            float s = hi > lo ? 1 / (hi - lo) : 0;
            int ox = (c % cols) * w, oy = (c / cols) * h;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    image[(oy + y) * W + ox + x] = (f[y * w + x] - lo) * s;
        }
        return (W, H);
    }
}
