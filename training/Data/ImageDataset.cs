namespace ResNetRealtime.Training.Data;

/// <summary>
/// A labelled image set of 8-bit pixels. Every image has the same size and channel count and is read
/// as planar CHW bytes (channel 0's rows, then channel 1's, ...). Labels are in [0, Classes.Length):
/// readers check this when they load, so a sample never carries a label the model has no output for.
/// Implementations are safe for concurrent reads (the background batch producer reads while the
/// trainer runs).
/// </summary>
public abstract class ImageDataset
{
    protected ImageDataset(int count, int channels, int height, int width, string[] classes)
    {
        if (count < 0 || channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"bad dataset geometry: {count} images of {channels}x{height}x{width}");
        Count = count; Channels = channels; Height = height; Width = width;
        Classes = classes ?? throw new ArgumentNullException(nameof(classes));
    }

    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageBytes => Channels * Height * Width;
    public string[] Classes { get; }

    public abstract int Label(int index);

    /// <summary>Copies image <paramref name="index"/> as CHW bytes into <paramref name="chw"/> (ImageBytes long).</summary>
    public abstract void CopyImage(int index, Span<byte> chw);

    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"image {index} of a dataset of {Count}");
    }

    /// <summary>Per-channel mean and standard deviation of the pixels scaled to [0, 1] (population std,
    /// like the usual torchvision constants), over at most <paramref name="maxImages"/> evenly spaced images.</summary>
    public (float[] Mean, float[] Std) MeanStd(int maxImages = 20000)
    {
        int n = Math.Min(Count, maxImages);
        if (n == 0) throw new InvalidDataException("cannot compute mean/std of an empty dataset");
        var sum = new double[Channels];
        var sq = new double[Channels];
        var img = new byte[ImageBytes];
        int plane = Height * Width;
        for (int k = 0; k < n; k++)
        {
            CopyImage((int)((long)k * Count / n), img);
            for (int c = 0; c < Channels; c++)
            {
                long s = 0, s2 = 0;
                foreach (byte b in img.AsSpan(c * plane, plane)) { s += b; s2 += b * b; }
                sum[c] += s; sq[c] += s2;
            }
        }
        var mean = new float[Channels];
        var std = new float[Channels];
        double count = (double)n * plane;
        for (int c = 0; c < Channels; c++)
        {
            double m = sum[c] / count / 255.0;
            double v = sq[c] / count / (255.0 * 255.0) - m * m;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(v, 1e-12));
        }
        return (mean, std);
    }
}

/// <summary>Images held in one contiguous CHW byte array (IDX, CIFAR, decoded folders).</summary>
public sealed class ArrayDataset : ImageDataset
{
    readonly byte[] _pixels;
    readonly byte[] _labels;

    public ArrayDataset(byte[] pixelsChw, byte[] labels, int channels, int height, int width, string[] classes, string source)
        : base(labels.Length, channels, height, width, classes)
    {
        if (pixelsChw.LongLength != (long)labels.Length * ImageBytes)
            throw new InvalidDataException($"{source}: {pixelsChw.LongLength} pixel bytes for {labels.Length} images of {channels}x{height}x{width}");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classes.Length)
                throw new InvalidDataException($"{source}: label {labels[i]} of image {i} is out of range for {classes.Length} classes");
        _pixels = pixelsChw;
        _labels = labels;
    }

    public override int Label(int index) { CheckIndex(index); return _labels[index]; }

    public override void CopyImage(int index, Span<byte> chw)
    {
        CheckIndex(index);
        _pixels.AsSpan(index * ImageBytes, ImageBytes).CopyTo(chw);
    }
}

/// <summary>A view of some images of another dataset, in the given order (held-out splits, --limit).</summary>
public sealed class SubsetDataset : ImageDataset
{
    readonly ImageDataset _inner;
    readonly int[] _indices;

    public SubsetDataset(ImageDataset inner, int[] indices)
        : base(indices.Length, inner.Channels, inner.Height, inner.Width, inner.Classes)
    {
        foreach (var i in indices)
            if ((uint)i >= (uint)inner.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} outside a dataset of {inner.Count}");
        _inner = inner;
        _indices = indices;
    }

    public override int Label(int index) { CheckIndex(index); return _inner.Label(_indices[index]); }
    public override void CopyImage(int index, Span<byte> chw) { CheckIndex(index); _inner.CopyImage(_indices[index], chw); }

    /// <summary>The first <paramref name="limit"/> images (all when limit ≤ 0 or ≥ Count).</summary>
    public static ImageDataset Take(ImageDataset ds, int limit) =>
        limit <= 0 || limit >= ds.Count ? ds : new SubsetDataset(ds, Enumerable.Range(0, limit).ToArray());
}

/// <summary>A grey dataset seen as RGB: the one plane copied to three (Fashion-MNIST into an ImageNet backbone).</summary>
public sealed class GreyToRgbDataset : ImageDataset
{
    readonly ImageDataset _inner;

    public GreyToRgbDataset(ImageDataset inner) : base(inner.Count, 3, inner.Height, inner.Width, inner.Classes)
    {
        if (inner.Channels != 1) throw new ArgumentException($"grey to RGB needs a 1-channel dataset (got {inner.Channels} channels)");
        _inner = inner;
    }

    public override int Label(int index) => _inner.Label(index);

    public override void CopyImage(int index, Span<byte> chw)
    {
        int plane = Height * Width;
        _inner.CopyImage(index, chw[..plane]);
        chw[..plane].CopyTo(chw.Slice(plane, plane));
        chw[..plane].CopyTo(chw.Slice(2 * plane, plane));
    }
}

/// <summary>Another dataset resized (bilinear, align_corners=False like torchvision's tensor resize without antialias) to a new size.</summary>
public sealed class ResizedDataset : ImageDataset
{
    readonly ImageDataset _inner;

    public ResizedDataset(ImageDataset inner, int height, int width)
        : base(inner.Count, inner.Channels, height, width, inner.Classes)
    {
        _inner = inner;
    }

    public override int Label(int index) => _inner.Label(index);

    public override void CopyImage(int index, Span<byte> chw)
    {
        var src = new byte[_inner.ImageBytes];
        _inner.CopyImage(index, src);
        Bilinear(src, Channels, _inner.Height, _inner.Width, chw, Height, Width);
    }

    public static void Bilinear(ReadOnlySpan<byte> src, int c, int h, int w, Span<byte> dst, int oh, int ow)
    {
        float sy = (float)h / oh, sx = (float)w / ow;
        for (int ch = 0; ch < c; ch++)
        {
            var s = src.Slice(ch * h * w, h * w);
            var d = dst.Slice(ch * oh * ow, oh * ow);
            for (int y = 0; y < oh; y++)
            {
                float fy = Math.Clamp((y + 0.5f) * sy - 0.5f, 0, h - 1);
                int y0 = (int)fy, y1 = Math.Min(y0 + 1, h - 1);
                float wy = fy - y0;
                for (int x = 0; x < ow; x++)
                {
                    float fx = Math.Clamp((x + 0.5f) * sx - 0.5f, 0, w - 1);
                    int x0 = (int)fx, x1 = Math.Min(x0 + 1, w - 1);
                    float wx = fx - x0;
                    float top = s[y0 * w + x0] * (1 - wx) + s[y0 * w + x1] * wx;
                    float bot = s[y1 * w + x0] * (1 - wx) + s[y1 * w + x1] * wx;
                    d[y * ow + x] = (byte)Math.Clamp(MathF.Round(top * (1 - wy) + bot * wy), 0, 255);
                }
            }
        }
    }
}
