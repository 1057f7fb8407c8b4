namespace ResNetRealtime.Demo.App;

/// <summary>
/// Class-activation maps on the CPU (Zhou et al. 2016): for a network ending in global average pooling
/// and one linear layer, CAM_k(y,x) = Σ_c W[k,c] · F[c,y,x] over the last feature map F [C,h,w].
/// Output is min-max scaled to [0,1] so it can be shown as a heatmap. Also the activation mosaic:
/// the first channels of a layer, each min-max scaled, tiled into a grid.
/// </summary>
public static class Cam
{
    /// <summary>features: [C,h,w] (one image); weight: [classes, C]. Writes h*w values to <paramref name="map"/>.</summary>
    public static void Compute(ReadOnlySpan<float> features, int channels, int h, int w, ReadOnlySpan<float> weight, int classIndex, Span<float> map)
    {
        int hw = h * w;
        if (features.Length < channels * hw) throw new ArgumentException($"feature map has {features.Length} values < {channels}x{h}x{w}");
        if (weight.Length < (classIndex + 1) * channels) throw new ArgumentException($"fc weight has {weight.Length} values; class {classIndex} needs {(classIndex + 1) * channels}");
        map = map[..hw];
        map.Clear();
        var wk = weight.Slice(classIndex * channels, channels);
        for (int c = 0; c < channels; c++)
        {
            float a = wk[c];
            var f = features.Slice(c * hw, hw);
            for (int i = 0; i < hw; i++) map[i] += a * f[i];
        }
        // Min-max scaling (not ReLU then /max): an untrained or unsure model can give an all-negative map,
        // which would otherwise show as nothing at all.
        float lo = float.MaxValue, hi = float.MinValue;
        for (int i = 0; i < hw; i++) { if (map[i] < lo) lo = map[i]; if (map[i] > hi) hi = map[i]; }
        float s = hi > lo ? 1 / (hi - lo) : 0;
        for (int i = 0; i < hw; i++) map[i] = (map[i] - lo) * s;
    }

    /// <summary>Tiles up to cols*rows channels of [C,h,w] into a (cols*w)×(rows*h) image, each channel scaled to [0,1].</summary>
    public static void Mosaic(ReadOnlySpan<float> features, int channels, int h, int w, int cols, int rows, Span<float> image)
    {
        int W = cols * w;
        image[..(W * rows * h)].Clear();
        int n = Math.Min(channels, cols * rows), hw = h * w;
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
    }
}
