using System.Runtime.CompilerServices;
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Training.Ops;

/// <summary>
/// Geometry of a 2-D convolution (dilation 1, square stride and padding, any R×S kernel, groups).
///   x [N, C, H, W] · w [K, C/G, R, S] (+ bias [K]) → y [N, K, OH, OW],
///   OH = (H + 2·Pad − R) / Stride + 1, OW likewise.
/// </summary>
public readonly struct ConvShape
{
    public ConvShape(int n, int c, int h, int w, int k, int r, int s, int stride, int pad, int groups)
    {
        if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1 || stride < 1 || pad < 0 || groups < 1)
            throw new ArgumentException($"conv2d: bad geometry N={n} C={c} H={h} W={w} K={k} R={r} S={s} stride={stride} pad={pad} groups={groups}");
        if (c % groups != 0 || k % groups != 0)
            throw new ArgumentException($"conv2d: channels in {c} and out {k} must both divide by groups {groups}");
        if (h + 2 * pad < r || w + 2 * pad < s)
            throw new ArgumentException($"conv2d: kernel {r}x{s} larger than padded input {h + 2 * pad}x{w + 2 * pad}");
        N = n; C = c; H = h; W = w; K = k; R = r; S = s; Stride = stride; Pad = pad; Groups = groups;
    }

    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int K { get; }
    public int R { get; }
    public int S { get; }
    public int Stride { get; }
    public int Pad { get; }
    public int Groups { get; }
    public int OH => (H + 2 * Pad - R) / Stride + 1;
    public int OW => (W + 2 * Pad - S) / Stride + 1;
    public int Cg => C / Groups;
    public int Kg => K / Groups;
    /// <summary>Rows of the im2col matrix of one group: Cg·R·S.</summary>
    public int Crs => Cg * R * S;
    public int InputLength => N * C * H * W;
    public int OutputLength => N * K * OH * OW;
    public int WeightLength => K * Cg * R * S;
    /// <summary>1×1, stride 1, no padding: the input plane already is the im2col matrix.</summary>
    public bool IsPointwise => R == 1 && S == 1 && Stride == 1 && Pad == 0;
    public override string ToString() => $"conv N={N} C={C} {H}x{W} -> K={K} {R}x{S}/{Stride} pad {Pad} groups {Groups}";
}

/// <summary>
/// Convolution forward and backward. Backward ACCUMULATES: dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b;
/// pass null for a gradient that is not wanted.
///
/// Fast path: per (image, group), im2col (skipped for pointwise convs) and <see cref="Sgemm"/>:
///   forward   y[n,g]  (Kg×P)    = w[g] (Kg×Crs) · col (Crs×P)
///   backward  dw[g]   (Kg×Crs) += dy[n,g] · colᵀ        (per-worker partial sums, reduced at the end)
///             dcol    (Crs×P)   = w[g]ᵀ · dy[n,g];  dx += col2im(dcol)
/// (P = OH·OW). Work is split over images×groups in contiguous chunks, one per worker.
/// This file: the reference, the dispatching fast path and im2col; ConvOps.Direct.cs the stride-1 direct
/// forward (and the data gradient through it); ConvOps.WeightGrad.cs the fast weight gradients.
/// </summary>
public static unsafe partial class ConvOps
{
    // ---------------------------------------------------------------- reference (float64 accumulation)

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardReference(in ConvShape s, float[] x, float[] w, float[] bias, float[] y)
    {
        Check(s, x, w, bias, y, "x", "y");
        int oh = s.OH, ow = s.OW, cg = s.Cg, kg = s.Kg;
        for (int n = 0; n < s.N; n++)
            for (int k = 0; k < s.K; k++)
            {
                int g = k / kg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = bias != null ? bias[k] : 0.0;
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < s.R; r++)
                            {
                                int ih = i * s.Stride - s.Pad + r;
                                if ((uint)ih >= (uint)s.H) continue;
                                for (int q = 0; q < s.S; q++)
                                {
                                    int iw = j * s.Stride - s.Pad + q;
                                    if ((uint)iw >= (uint)s.W) continue;
                                    acc += (double)x[((n * s.C + g * cg + c) * s.H + ih) * s.W + iw] * w[((k * cg + c) * s.R + r) * s.S + q];
                                }
                            }
                        y[((n * s.K + k) * oh + i) * ow + j] = (float)acc;
                    }
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardReference(in ConvShape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db)
    {
        Check(s, x, w, null, dy, "x", "dy");
        int oh = s.OH, ow = s.OW, cg = s.Cg, kg = s.Kg;
        // dw and db as float64 sums, then one += each, so the reference is as exact as it can be.
        var dwAcc = dw != null ? new double[dw.Length] : null;
        var dxAcc = dx != null ? new double[dx.Length] : null;
        for (int n = 0; n < s.N; n++)
            for (int k = 0; k < s.K; k++)
            {
                int g = k / kg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double d = dy[((n * s.K + k) * oh + i) * ow + j];
                        if (db != null) db[k] += (float)d;
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < s.R; r++)
                            {
                                int ih = i * s.Stride - s.Pad + r;
                                if ((uint)ih >= (uint)s.H) continue;
                                for (int q = 0; q < s.S; q++)
                                {
                                    int iw = j * s.Stride - s.Pad + q;
                                    if ((uint)iw >= (uint)s.W) continue;
                                    int xi = ((n * s.C + g * cg + c) * s.H + ih) * s.W + iw;
                                    int wi = ((k * cg + c) * s.R + r) * s.S + q;
                                    if (dwAcc != null) dwAcc[wi] += d * x[xi];
                                    if (dxAcc != null) dxAcc[xi] += d * w[wi];
                                }
                            }
                    }
            }
        if (dw != null) for (int i = 0; i < dw.Length; i++) dw[i] += (float)dwAcc[i];
        if (dx != null) for (int i = 0; i < dx.Length; i++) dx[i] += (float)dxAcc[i];
    }

    // ---------------------------------------------------------------- fast path

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in ConvShape s, float[] x, float[] w, float[] bias, float[] y)
    {
        Check(s, x, w, bias, y, "x", "y");
        if ((s.Stride == 1 && Vector256.IsHardwareAccelerated) || (s.Stride == 2 && Avx512F.IsSupported && Sgemm.UseWide))
        {
            ForwardStride1(s, x, w, bias, y, false);
            return;
        }
        var sh = s;
        int items = s.N * s.Groups;
        int parts = Math.Min(Workers.Threads, items);
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (i0, i1) = Workers.Chunk(items, part, parts);
            int p = sh.OH * sh.OW, crs = sh.Crs;
            float[] col = sh.IsPointwise ? null : ArrayPool<float>.Shared.Rent(crs * p);
            try
            {
                fixed (float* px = x, pw = w, py = y, pcol = col)
                    for (int it = i0; it < i1; it++)
                    {
                        int n = it / sh.Groups, g = it % sh.Groups;
                        float* xg = px + ((long)n * sh.C + g * sh.Cg) * sh.H * sh.W;
                        float* yg = py + ((long)n * sh.K + g * sh.Kg) * p;
                        float* b = xg;
                        if (!sh.IsPointwise) { Im2Col(sh, xg, pcol); b = pcol; }
                        Sgemm.Multiply(false, false, sh.Kg, p, crs, pw + (long)g * sh.Kg * crs, crs, b, p, yg, p, false);
                        if (bias != null)
                            for (int k = 0; k < sh.Kg; k++)
                            {
                                float bv = bias[g * sh.Kg + k];
                                float* row = yg + (long)k * p;
                                for (int q = 0; q < p; q++) row[q] += bv;
                            }
                    }
            }
            finally { if (col != null) ArrayPool<float>.Shared.Return(col); }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in ConvShape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db) =>
        Backward(s, x, w, dy, dx, dw, db, true);

    /// <summary>The public Backward with <paramref name="accumulateDx"/> false: dx is overwritten (dw and db still
    /// accumulate), so a layer that owns its dx needs no clearing pass — the transposed-conv path writes it directly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Backward(in ConvShape s, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db, bool accumulateDx)
    {
        Check(s, x, w, null, dy, "x", "dy");
        if (dx != null && dx.Length != s.InputLength) throw new ArgumentException($"conv2d backward: dx length {dx.Length} != {s.InputLength} for {s}");
        if (dw != null && dw.Length != s.WeightLength) throw new ArgumentException($"conv2d backward: dw length {dw.Length} != {s.WeightLength} for {s}");
        if (db != null && db.Length != s.K) throw new ArgumentException($"conv2d backward: db length {db.Length} != {s.K}");
        var sh = s;
        int p = s.OH * s.OW, crs = s.Crs;
        if (db != null)
            for (int n = 0; n < s.N; n++)
                for (int k = 0; k < s.K; k++)
                {
                    double acc = 0;
                    int o = (n * s.K + k) * p;
                    for (int q = 0; q < p; q++) acc += dy[o + q];
                    db[k] += (float)acc;
                }
        if (dx != null && CanTransposeForDx(s))
        {
            BackwardDataTransposed(s, w, dy, dx, accumulateDx);
            dx = null;
        }
        else if (dx != null && !accumulateDx) Array.Clear(dx);
        // The shifted-view path wastes plane/(OH·OW) − 1 of its work on zeros (ShiftedLayout); past ~40% the
        // im2col-batched path is faster (measured with unshared borders: 8×8 at 56% waste 10.7 vs 4.9 ms).
        bool shiftedFits = s.Stride == 1 && s.Pad <= s.R - 1 && s.Pad <= s.S - 1;
        bool shiftedPays = shiftedFits && ShiftedLayout(s).plane <= 1.4 * s.OH * s.OW;
        if (dw != null && shiftedFits && (shiftedPays || ForceShiftedWeightGrad) && !DisableShiftedWeightGrad && Vector512.IsHardwareAccelerated && !Sgemm.ForceVector256)
        {
            BackwardWeightShifted(s, x, dy, dw);
            dw = null;
        }
        if (dw != null && s.Groups == 1 && Vector512.IsHardwareAccelerated && !Sgemm.ForceVector256)
        {
            BackwardWeightBatched(s, x, dy, dw);
            dw = null;
        }
        if (dx == null && dw == null) return;
        int items = s.N * s.Groups;
        int parts = Math.Min(Workers.Threads, items);
        // Per-worker partial weight gradients: part 0 accumulates straight into dw, others into scratch.
        var partials = dw != null && parts > 1 ? new float[parts - 1][] : null;
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (i0, i1) = Workers.Chunk(items, part, parts);
            float[] col = sh.IsPointwise ? null : ArrayPool<float>.Shared.Rent(crs * p);
            float[] dcol = sh.IsPointwise || dx == null ? null : ArrayPool<float>.Shared.Rent(crs * p);
            float[] dwPart = dw;
            if (dw != null && part > 0)
            {
                dwPart = ArrayPool<float>.Shared.Rent(dw.Length);
                Array.Clear(dwPart, 0, dw.Length);
                partials[part - 1] = dwPart;
            }
            try
            {
                fixed (float* px = x, pw = w, pdy = dy, pdx = dx, pdw = dwPart, pcol = col, pdcol = dcol)
                    for (int it = i0; it < i1; it++)
                    {
                        int n = it / sh.Groups, g = it % sh.Groups;
                        long xOff = ((long)n * sh.C + g * sh.Cg) * sh.H * sh.W;
                        float* dyg = pdy + ((long)n * sh.K + g * sh.Kg) * p;
                        float* wg = pw + (long)g * sh.Kg * crs;
                        if (dw != null)
                        {
                            float* b = px + xOff;
                            if (!sh.IsPointwise) { Im2Col(sh, px + xOff, pcol); b = pcol; }
                            Sgemm.Multiply(false, true, sh.Kg, crs, p, dyg, p, b, p, pdw + (long)g * sh.Kg * crs, crs, true);
                        }
                        if (dx != null)
                        {
                            if (sh.IsPointwise)
                                Sgemm.Multiply(true, false, crs, p, sh.Kg, wg, crs, dyg, p, pdx + xOff, p, true);
                            else
                            {
                                Sgemm.Multiply(true, false, crs, p, sh.Kg, wg, crs, dyg, p, pdcol, p, false);
                                Col2ImAdd(sh, pdcol, pdx + xOff);
                            }
                        }
                    }
            }
            finally
            {
                if (col != null) ArrayPool<float>.Shared.Return(col);
                if (dcol != null) ArrayPool<float>.Shared.Return(dcol);
            }
        });
        if (partials != null)
            foreach (var part in partials)
            {
                if (part == null) continue;
                for (int i = 0; i < dw.Length; i++) dw[i] += part[i];
                ArrayPool<float>.Shared.Return(part);
            }
    }

    /// <summary>col[(c·R + r)·S + q, oh·OW + ow] = x[c, oh·stride − pad + r, ow·stride − pad + q] (0 outside) for one group's Cg planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Im2Col(in ConvShape s, float* x, float* col) => Im2Col(s, x, col, s.OH * s.OW);

    /// <summary><see cref="Im2Col"/> with row stride <paramref name="ld"/> (≥ OH·OW) in col.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Im2Col(in ConvShape s, float* x, float* col, int ld)
    {
        int oh = s.OH, ow = s.OW, hw = s.H * s.W;
        int row = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            float* plane = x + (long)c * hw;
            for (int r = 0; r < s.R; r++)
                for (int q = 0; q < s.S; q++, row++)
                {
                    float* dst = col + (long)row * ld;
                    // Valid output columns: 0 <= ow·stride − pad + q < W.
                    int lo = Math.Max(0, CeilDiv(s.Pad - q, s.Stride));
                    int hi = Math.Min(ow, CeilDiv(s.W + s.Pad - q, s.Stride));
                    if (hi < lo) hi = lo;
                    for (int i = 0; i < oh; i++, dst += ow)
                    {
                        int ih = i * s.Stride - s.Pad + r;
                        if ((uint)ih >= (uint)s.H) { new Span<float>(dst, ow).Clear(); continue; }
                        float* src = plane + (long)ih * s.W - s.Pad + q;
                        for (int j = 0; j < lo; j++) dst[j] = 0f;
                        if (s.Stride == 1) CopyRun(src + lo, dst + lo, hi - lo);
                        else for (int j = lo; j < hi; j++) dst[j] = src[j * s.Stride];
                        for (int j = hi; j < ow; j++) dst[j] = 0f;
                    }
                }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: x[c, ih, iw] += every col entry that was read from it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Col2ImAdd(in ConvShape s, float* col, float* x)
    {
        int oh = s.OH, ow = s.OW, hw = s.H * s.W;
        int row = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            float* plane = x + (long)c * hw;
            for (int r = 0; r < s.R; r++)
                for (int q = 0; q < s.S; q++, row++)
                {
                    float* src = col + (long)row * oh * ow;
                    int lo = Math.Max(0, CeilDiv(s.Pad - q, s.Stride));
                    int hi = Math.Min(ow, CeilDiv(s.W + s.Pad - q, s.Stride));
                    for (int i = 0; i < oh; i++, src += ow)
                    {
                        int ih = i * s.Stride - s.Pad + r;
                        if ((uint)ih >= (uint)s.H) continue;
                        float* dst = plane + (long)ih * s.W - s.Pad + q;
                        if (s.Stride == 1) for (int j = lo; j < hi; j++) dst[j] += src[j];
                        else for (int j = lo; j < hi; j++) dst[j * s.Stride] += src[j];
                    }
                }
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -((-a) / b);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Check(in ConvShape s, float[] x, float[] w, float[] bias, float[] y, string xName, string yName)
    {
        if (x == null || x.Length != s.InputLength) throw new ArgumentException($"conv2d: {xName} length {x?.Length} != {s.InputLength} for {s}");
        if (w == null || w.Length != s.WeightLength) throw new ArgumentException($"conv2d: weight length {w?.Length} != {s.WeightLength} for {s}");
        if (bias != null && bias.Length != s.K) throw new ArgumentException($"conv2d: bias length {bias.Length} != {s.K}");
        if (y == null || y.Length != s.OutputLength) throw new ArgumentException($"conv2d: {yName} length {y?.Length} != {s.OutputLength} for {s}");
    }
}
