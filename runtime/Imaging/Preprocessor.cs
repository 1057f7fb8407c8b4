using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResNetRealtime.Runtime.Imaging;

/// <summary>
/// Where a model's input crop lies in a source frame, torchvision style: Resize(shorter side → S)
/// then CenterCrop(H×W), with S = crop / <see cref="Preprocessor.CropRatio"/> (224/256 by default,
/// i.e. Resize(256)+CenterCrop(224)). Resized sizes truncate like torchvision's
/// <c>int(size * long / short)</c>; crop offsets round half to even like Python's <c>round</c>.
/// Sampling is bilinear with half-pixel centres (PyTorch <c>interpolate(align_corners=False)</c>,
/// OpenCV INTER_LINEAR), without antialiasing.
/// </summary>
internal readonly record struct CropGeometry(int ResizedWidth, int ResizedHeight, int Left, int Top, double ScaleX, double ScaleY)
{
    public static CropGeometry Compute(int srcW, int srcH, int dstH, int dstW, double cropRatio)
    {
        // The resized image must cover (dstW/ratio, dstH/ratio) with the source aspect kept.
        double s = Math.Max(dstW / cropRatio / srcW, dstH / cropRatio / srcH);
        // 1e-9: S/short*short must not truncate to S-1 through rounding.
        int rw = Math.Max(dstW, (int)Math.Floor(srcW * s + 1e-9));
        int rh = Math.Max(dstH, (int)Math.Floor(srcH * s + 1e-9));
        int left = (int)Math.Round((rw - dstW) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((rh - dstH) / 2.0, MidpointRounding.ToEven);
        return new CropGeometry(rw, rh, left, top, (double)srcW / rw, (double)srcH / rh);
    }

    /// <summary>Source coordinate (pixel-centre convention) of crop column x, clamped at 0 like PyTorch.</summary>
    public double SourceX(int x) => Math.Max(0.0, (x + Left + 0.5) * ScaleX - 0.5);
    public double SourceY(int y) => Math.Max(0.0, (y + Top + 0.5) * ScaleY - 0.5);
}

/// <summary>
/// Frame → model input: resize the shorter side and centre-crop (<see cref="CropGeometry"/>), bilinear,
/// then (v/255 − mean)/std per channel, written as planar CHW float32 into a caller-provided span
/// (RGB channel order; one luminance channel 0.299R+0.587G+0.114B for C = 1, as PIL's convert("L")).
///
/// Fast path: per (source size, pixel size) a table of source columns/rows and weights is built once
/// and cached; each output row blends its two source rows over the needed column span (SIMD, bytes
/// widened to float), then interpolates horizontally (AVX2 gathers, Vector128 or scalar) and normalises. All paths give
/// bit-identical output (same operations in the same order, no fused multiply-add).
/// No allocation per frame once a size has been seen. <see cref="RunReference"/> is the naive
/// per-pixel definition the fast path is tested against.
/// Not thread-safe (the table cache is shared): one instance per thread.
/// </summary>
internal sealed class Preprocessor
{
    public const double DefaultCropRatio = 224.0 / 256.0;
    public static readonly float[] ImageNetMean = Models.MetadataKeys.ImageNetMean;   // one table: MetadataKeys
    public static readonly float[] ImageNetStd = Models.MetadataKeys.ImageNetStd;

    readonly float[] _scale, _bias; // per channel: out = v*scale + bias = (v/255 − mean)/std
    readonly float[] _mean, _std;
    readonly Table[] _cache = new Table[4];
    int _next;

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public double CropRatio { get; }
    public int OutputLength => Channels * Height * Width;
    /// <summary>Use the SIMD paths where the CPU has them (tests switch this off to test the scalar one).</summary>
    public bool UseSimd { get => MaxPath != SimdPath.Scalar; set => MaxPath = value ? SimdPath.Avx512 : SimdPath.Scalar; }

    /// <summary>The widest path Run may take (tests and benchmarks pin one); <see cref="ActivePath"/> is the one it takes.</summary>
    internal SimdPath MaxPath { get; set; } = SimdPath.Avx512;

    /// <summary>The path Run takes: <see cref="MaxPath"/> capped by what the CPU has and, under NativeAOT, by what the
    /// compiled instruction set kept (Avx2/Avx512 checks fold to false below x86-64-v3; Vector128 is in every baseline).</summary>
    internal SimdPath ActivePath => (SimdPath)Math.Min((int)MaxPath, (int)BestPath);

    internal static SimdPath BestPath =>
        Avx512F.IsSupported && Avx2.IsSupported ? SimdPath.Avx512 : Avx2.IsSupported ? SimdPath.Avx2
        : Vector128.IsHardwareAccelerated ? SimdPath.Vector128 : SimdPath.Scalar;

    public Preprocessor(int channels, int height, int width, ReadOnlySpan<float> mean = default, ReadOnlySpan<float> std = default,
                        double cropRatio = DefaultCropRatio)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"preprocessing supports 1 or 3 channels, not {channels}");
        if (height < 1 || width < 1) throw new ArgumentException($"bad model input size {height}x{width}");
        if (!(cropRatio > 0 && cropRatio <= 1)) throw new ArgumentException($"crop ratio must be in (0, 1], got {cropRatio}");
        if (mean.IsEmpty) mean = Models.MetadataKeys.DefaultMean(channels);   // the one default table
        if (std.IsEmpty) std = Models.MetadataKeys.DefaultStd(channels);
        if (mean.Length != channels || std.Length != channels)
            throw new ArgumentException($"mean/std need {channels} values each (got {mean.Length} and {std.Length})");
        Channels = channels; Height = height; Width = width; CropRatio = cropRatio;
        _mean = mean.ToArray(); _std = std.ToArray();
        _scale = new float[channels]; _bias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            if (!(std[c] > 0)) throw new ArgumentException($"std[{c}] must be > 0, got {std[c]}");
            _scale[c] = 1f / (255f * std[c]);
            _bias[c] = -mean[c] / std[c];
            // Every output lies between bias (byte 0) and 255·scale + bias (byte 255). Both ends finite means the
            // output of any pixels is finite, which is what lets Classifier skip the backends' finiteness check.
            if (!float.IsFinite(mean[c]) || !float.IsFinite(std[c]) || !float.IsFinite(_bias[c]) || !float.IsFinite(255f * _scale[c] + _bias[c]))
                throw new ArgumentException(FormattableString.Invariant(
                    $"mean[{c}] = {mean[c]}, std[{c}] = {std[c]}: (v/255 - mean)/std must be finite for every byte v (finite mean, std not tiny)"));
        }
    }

    public ReadOnlySpan<float> Mean => _mean;
    public ReadOnlySpan<float> Std => _std;

    static void Validate(ReadOnlySpan<byte> pixels, int width, int height, int strideBytes, PixelFormat format, int outLen, int needed)
    {
        ValidateFrame(pixels.Length, width, height, strideBytes, format);
        if (outLen < needed) throw new ArgumentException($"output span has {outLen} floats; {needed} needed");
    }

    /// <summary>The frame checks of every pixel entry point (also the real-time API's Submit, before it copies).</summary>
    internal static void ValidateFrame(int pixelBytes, int width, int height, int strideBytes, PixelFormat format)
    {
        int bpp = format.BytesPerPixel();
        if (width < 1 || height < 1) throw new ArgumentException($"frame size {width}x{height} is empty");
        if (strideBytes < width * bpp) throw new ArgumentException($"row stride {strideBytes} bytes is less than width {width} × {bpp} bytes ({format})");
        long need = (long)(height - 1) * strideBytes + (long)width * bpp;
        if (pixelBytes < need)
            throw new ArgumentException($"pixel buffer has {pixelBytes} bytes; a {width}x{height} {format} frame with stride {strideBytes} needs {need}");
    }

    /// <summary>Naive reference: every output value computed from its definition, in double.</summary>
    public void RunReference(ReadOnlySpan<byte> pixels, int width, int height, int strideBytes, PixelFormat format, Span<float> output)
    {
        Validate(pixels, width, height, strideBytes, format, output.Length, OutputLength);
        int bpp = format.BytesPerPixel();
        var (ro, go, bo) = format.ChannelOffsets();
        var g = CropGeometry.Compute(width, height, Height, Width, CropRatio);
        for (int y = 0; y < Height; y++)
        {
            double sy = g.SourceY(y);
            int y0 = Math.Min((int)sy, height - 1), y1 = Math.Min(y0 + 1, height - 1);
            double wy = Math.Min(sy - y0, 1.0);
            for (int x = 0; x < Width; x++)
            {
                double sx = g.SourceX(x);
                int x0 = Math.Min((int)sx, width - 1), x1 = Math.Min(x0 + 1, width - 1);
                double wx = Math.Min(sx - x0, 1.0);
                double Sample(ReadOnlySpan<byte> px, int off)
                {
                    double p00 = px[y0 * strideBytes + x0 * bpp + off], p01 = px[y0 * strideBytes + x1 * bpp + off];
                    double p10 = px[y1 * strideBytes + x0 * bpp + off], p11 = px[y1 * strideBytes + x1 * bpp + off];
                    return (1 - wy) * ((1 - wx) * p00 + wx * p01) + wy * ((1 - wx) * p10 + wx * p11);
                }
                double r = Sample(pixels, ro), gg = Sample(pixels, go), b = Sample(pixels, bo);
                if (Channels == 1)
                    output[y * Width + x] = (float)((0.299 * r + 0.587 * gg + 0.114 * b) / 255.0 - _mean[0]) / _std[0];
                else
                {
                    int plane = Height * Width;
                    output[y * Width + x] = (float)((r / 255.0 - _mean[0]) / _std[0]);
                    output[plane + y * Width + x] = (float)((gg / 255.0 - _mean[1]) / _std[1]);
                    output[2 * plane + y * Width + x] = (float)((b / 255.0 - _mean[2]) / _std[2]);
                }
            }
        }
    }

    /// <summary>Per source size: where each output row/column samples, and the row scratch.</summary>
    sealed class Table
    {
        public int SrcW, SrcH, Bpp;
        public int SpanStartBytes, SpanBytes;  // source bytes [start, start+len) of each row are read
        public int[] X0, X1;                   // float index into the blended row (pixel*bpp, relative to span start)
        public float[] Wx;
        public int[] Y0, Y1;
        public float[] Wy;
        public float[] Row;                    // blended row, SpanBytes floats (+ padding for vector tails)
    }

    Table GetTable(int w, int h, int bpp)
    {
        foreach (var t in _cache)
            if (t != null && t.SrcW == w && t.SrcH == h && t.Bpp == bpp) return t;
        var g = CropGeometry.Compute(w, h, Height, Width, CropRatio);
        var tb = new Table { SrcW = w, SrcH = h, Bpp = bpp, X0 = new int[Width], X1 = new int[Width], Wx = new float[Width], Y0 = new int[Height], Y1 = new int[Height], Wy = new float[Height] };
        int xmin = int.MaxValue, xmax = 0;
        var x0s = new int[Width]; var x1s = new int[Width];
        for (int x = 0; x < Width; x++)
        {
            double sx = g.SourceX(x);
            int x0 = Math.Min((int)sx, w - 1), x1 = Math.Min(x0 + 1, w - 1);
            x0s[x] = x0; x1s[x] = x1;
            tb.Wx[x] = (float)Math.Min(sx - x0, 1.0);
            xmin = Math.Min(xmin, x0); xmax = Math.Max(xmax, x1);
        }
        for (int x = 0; x < Width; x++) { tb.X0[x] = (x0s[x] - xmin) * bpp; tb.X1[x] = (x1s[x] - xmin) * bpp; }
        for (int y = 0; y < Height; y++)
        {
            double sy = g.SourceY(y);
            int y0 = Math.Min((int)sy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            tb.Y0[y] = y0; tb.Y1[y] = y1;
            tb.Wy[y] = (float)Math.Min(sy - y0, 1.0);
        }
        tb.SpanStartBytes = xmin * bpp;
        tb.SpanBytes = (xmax - xmin + 1) * bpp;
        tb.Row = new float[tb.SpanBytes + 16];
        _cache[_next] = tb;
        _next = (_next + 1) % _cache.Length;
        return tb;
    }

    /// <summary>Preprocesses one frame into output[0 .. C*H*W). Allocates only the first time a frame size is seen.</summary>
    public unsafe void Run(ReadOnlySpan<byte> pixels, int width, int height, int strideBytes, PixelFormat format, Span<float> output)
    {
        Validate(pixels, width, height, strideBytes, format, output.Length, OutputLength);
        var t = GetTable(width, height, format.BytesPerPixel());
        var (ro, go, bo) = format.ChannelOffsets();
        int plane = Height * Width;
        var simd = ActivePath;
        fixed (byte* src = pixels)
        fixed (float* outp = output)
        fixed (float* row = t.Row)
        fixed (int* x0 = t.X0, x1 = t.X1)
        fixed (float* wx = t.Wx)
        {
            for (int y = 0; y < Height; y++)
            {
                byte* r0 = src + (long)t.Y0[y] * strideBytes + t.SpanStartBytes;
                byte* r1 = src + (long)t.Y1[y] * strideBytes + t.SpanStartBytes;
                BlendRows(r0, r1, t.Wy[y], row, t.SpanBytes, simd);
                float* o = outp + y * Width;
                if (Channels == 3)
                {
                    HorizontalRgb(row, x0, x1, wx, Width, ro, _scale[0], _bias[0], o, simd);
                    HorizontalRgb(row, x0, x1, wx, Width, go, _scale[1], _bias[1], o + plane, simd);
                    HorizontalRgb(row, x0, x1, wx, Width, bo, _scale[2], _bias[2], o + 2 * plane, simd);
                }
                else
                    HorizontalLuma(row, x0, x1, wx, Width, ro, go, bo, _scale[0], _bias[0], o);
            }
        }
    }

    /// <summary>dst[i] = r0[i] + w·(r1[i] − r0[i]) for n bytes: 16 lanes (AVX-512), 8 (AVX2) or 16 bytes as 4×4
    /// (Vector128: SSE2/SSE4.1 on x64, AdvSimd on arm64), scalar tail. Every path does the same float operations in the
    /// same order (subtract, multiply, add; no fused multiply-add, which rounds once instead of twice), so the output
    /// is bit-identical whichever path the CPU, the JIT or NativeAOT's instruction set picks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void BlendRows(byte* r0, byte* r1, float w, float* dst, int n, SimdPath path)
    {
        int i = 0;
        if (path >= SimdPath.Avx512 && Avx512F.IsSupported)
        {
            var vw = Vector512.Create(w);
            for (; i <= n - 16; i += 16)
            {
                var a = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(r0 + i)));
                var b = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(r1 + i)));
                Avx512F.Store(dst + i, a + vw * (b - a));
            }
        }
        if (path >= SimdPath.Avx2 && Avx2.IsSupported)
        {
            var vw = Vector256.Create(w);
            for (; i <= n - 8; i += 8)
            {
                var a = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(r0 + i));
                var b = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(r1 + i));
                Avx.Store(dst + i, a + vw * (b - a));
            }
        }
        if (path >= SimdPath.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var vw = Vector128.Create(w);
            for (; i <= n - 16; i += 16)
            {
                var (a0, a1, a2, a3) = Widen(Vector128.Load(r0 + i));
                var (b0, b1, b2, b3) = Widen(Vector128.Load(r1 + i));
                Vector128.Store(a0 + vw * (b0 - a0), dst + i);
                Vector128.Store(a1 + vw * (b1 - a1), dst + i + 4);
                Vector128.Store(a2 + vw * (b2 - a2), dst + i + 8);
                Vector128.Store(a3 + vw * (b3 - a3), dst + i + 12);
            }
        }
        for (; i < n; i++)
        {
            float a = r0[i];
            dst[i] = a + w * (r1[i] - a);
        }
    }

    /// <summary>16 bytes → 4×4 floats (values 0..255, exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector128<float>, Vector128<float>, Vector128<float>, Vector128<float>) Widen(Vector128<byte> v)
    {
        var (lo, hi) = Vector128.Widen(v);
        var (q0, q1) = Vector128.Widen(lo);
        var (q2, q3) = Vector128.Widen(hi);
        return (Vector128.ConvertToSingle(q0.AsInt32()), Vector128.ConvertToSingle(q1.AsInt32()),
                Vector128.ConvertToSingle(q2.AsInt32()), Vector128.ConvertToSingle(q3.AsInt32()));
    }

    /// <summary>One output channel of one row: lerp the blended row at (x0+off, x1+off), then scale+bias. AVX2 gathers
    /// 8 outputs a step; Vector128 (no gather below AVX2) loads its 4 pairs one by one and does the arithmetic 4-wide.
    /// Same operations and order on every path (see <see cref="BlendRows"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void HorizontalRgb(float* row, int* x0, int* x1, float* wx, int n, int off, float scale, float bias, float* o, SimdPath path)
    {
        int x = 0;
        float* rowOff = row + off;
        if (path >= SimdPath.Avx2 && Avx2.IsSupported)
        {
            // Gathers read row[x0[i] + off] (index scale 4 = sizeof(float)).
            var vs = Vector256.Create(scale); var vb = Vector256.Create(bias);
            for (; x <= n - 8; x += 8)
            {
                var a = Avx2.GatherVector256(rowOff, Avx.LoadVector256(x0 + x), 4);
                var b = Avx2.GatherVector256(rowOff, Avx.LoadVector256(x1 + x), 4);
                var v = a + Avx.LoadVector256(wx + x) * (b - a);
                Avx.Store(o + x, v * vs + vb);
            }
        }
        if (path >= SimdPath.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var vs = Vector128.Create(scale); var vb = Vector128.Create(bias);
            for (; x <= n - 4; x += 4)
            {
                var a = Vector128.Create(rowOff[x0[x]], rowOff[x0[x + 1]], rowOff[x0[x + 2]], rowOff[x0[x + 3]]);
                var b = Vector128.Create(rowOff[x1[x]], rowOff[x1[x + 1]], rowOff[x1[x + 2]], rowOff[x1[x + 3]]);
                var v = a + Vector128.Load(wx + x) * (b - a);
                Vector128.Store(v * vs + vb, o + x);
            }
        }
        for (; x < n; x++)
        {
            float a = rowOff[x0[x]], b = rowOff[x1[x]];
            o[x] = (a + wx[x] * (b - a)) * scale + bias;
        }
    }

    static unsafe void HorizontalLuma(float* row, int* x0, int* x1, float* wx, int n, int ro, int go, int bo, float scale, float bias, float* o)
    {
        for (int x = 0; x < n; x++)
        {
            float w = wx[x];
            int i0 = x0[x], i1 = x1[x];
            float r = row[i0 + ro] + w * (row[i1 + ro] - row[i0 + ro]);
            float g = row[i0 + go] + w * (row[i1 + go] - row[i0 + go]);
            float b = row[i0 + bo] + w * (row[i1 + bo] - row[i0 + bo]);
            o[x] = (0.299f * r + 0.587f * g + 0.114f * b) * scale + bias;
        }
    }
}

/// <summary>The preprocessor's kernels, narrowest first: each includes the ones below it for its tails.</summary>
internal enum SimdPath { Scalar, Vector128, Avx2, Avx512 }
