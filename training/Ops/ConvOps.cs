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
/// </summary>
public static unsafe class ConvOps
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

    // ---------------------------------------------------------------- stride-1 direct path

    [ThreadStatic] private static float[] t_padded;
    [ThreadStatic] private static int[] t_offs;

    /// <summary>Tests and the profiler set this to force the packed-strip forward where B could be read in place.</summary>
    internal static bool DisableInPlaceB;

    private static int[] ScratchInt(ref int[] slot, int length)
    {
        if (slot == null || slot.Length < length) slot = GC.AllocateUninitializedArray<int>(length, pinned: true);
        return slot;
    }
    [ThreadStatic] private static float[] t_strip;
    [ThreadStatic] private static float[] t_virtualY;
    [ThreadStatic] private static float[] t_col;
    [ThreadStatic] private static float[] t_dyRows;

    /// <summary>
    /// y (+)= conv(x, w) (+ bias) for stride 1 (and stride 2 with AVX-512: strip rows are then gathered
    /// with a two-register permute), any kernel, padding and groups. One copy instead of two:
    /// each image's group planes are copied once into a zero-bordered buffer, and the GEMM's B strips
    /// (kc rows of C·R·S × NR output pixels) are packed straight from it — every strip row is a few
    /// contiguous runs, no edge tests. The weights are packed into MR-row panels once per call (not once
    /// per image) and shared by the workers. Strips of NR pixels may span output rows (8×8 images: four
    /// rows per strip), so the register tile stays full even when OH·OW is small.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardStride1(in ConvShape s, float[] x, float[] w, float[] bias, float[] y, bool accumulate)
    {
        bool wide = Sgemm.UseWide;
        int mr = wide ? 8 : 6;
        int crs = s.Crs, kg = s.Kg;
        int groupA = Sgemm.RoundUp(kg, mr) * crs;
        float[] apack = ArrayPool<float>.Shared.Rent(s.Groups * groupA);
        try
        {
            fixed (float* pw = w, pa = apack)
                for (int g = 0; g < s.Groups; g++)
                    Sgemm.PackA(false, pw + (long)g * kg * crs, crs, 0, kg, 0, crs, mr, pa + (long)g * groupA);
            var job = new DirectJob { S = s, X = x, APack = apack, Bias = bias, Y = y, Accumulate = accumulate, GroupA = groupA };
            int items = s.N * s.Groups;
            job.Parts = Workers.Parts(items);
            Workers.For(job.Parts, job.Run);
        }
        finally { ArrayPool<float>.Shared.Return(apack); }
    }

    /// <summary>State of one <see cref="ForwardStride1"/> call (a class so the worker delegate is a method
    /// group on it: one small object per call instead of a closure plus display class).</summary>
    private sealed class DirectJob
    {
        public ConvShape S;
        public float[] X, APack, Bias, Y;
        public bool Accumulate;
        public int GroupA, Parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int part)
        {
            var s = S;
            var (i0, i1) = Workers.Chunk(s.N * s.Groups, part, Parts);
            bool wide = Sgemm.UseWide;
            int mr = wide ? 8 : 6, nr = wide ? 32 : 16;
            int oh = s.OH, ow = s.OW, p = oh * ow, crs = s.Crs, kg = s.Kg, cg = s.Cg, rs = s.R * s.S;
            int hp = s.H + 2 * s.Pad, wp = s.W + 2 * s.Pad, plane = hp * wp;
            int st = s.Stride;
            // In-place B (no strip packing) for stride 1 when a strip is one run of 32 pixels, two runs of 16
            // or four of 8 (OW a multiple of 32, 16 or 8) and the out channels fill whole 8-row tiles: offs[t] is im2col
            // row t's shift in the bordered planes.
            bool inPlace = wide && st == 1 && kg % mr == 0 && (ow % 32 == 0 || ow == 16 || ow == 8) && !DisableInPlaceB;
            // Other widths (28, 14, 7: MNIST-sized inputs) read B in place too, over "virtual" pixels v = oy·Wp + ox
            // of the bordered plane: a strip is then always one run of 32, and the Wp − OW columns past each row's
            // end are computed and dropped (7% more work at 28, 14% at 14) instead of packing every strip.
            // Results go to a scratch of virtual rows, then the real columns are copied out.
            int pv = Sgemm.RoundUp(oh * wp, 32);
            bool virtualRows = wide && st == 1 && kg % mr == 0 && !inPlace && !DisableInPlaceB && pv <= 1.35 * p;
            // Stride 2 always works from the copy: its 16-wide gathers read one float past the last one used.
            // Virtual rows read up to S − 1 + 31 floats past the last plane: the copy has that slack.
            bool copy = s.Pad > 0 || st != 1 || virtualRows;
            float[] padArr = copy ? Sgemm.Scratch(ref t_padded, cg * plane + 64) : null;
            float[] yvArr = virtualRows ? Sgemm.Scratch(ref t_virtualY, kg * pv) : null;
            // The slack feeds only dropped columns, but stale floats there could be denormals (slow FMAs): zero it.
            if (virtualRows) Array.Clear(padArr, cg * plane, 64);
            float[] stripArr = Sgemm.Scratch(ref t_strip, Sgemm.KC * nr + 64);
            int* segDst = stackalloc int[32];
            int* segSrc = stackalloc int[32];
            int* segLen = stackalloc int[32];
            float* tile = stackalloc float[8 * 32];
            // Both in-place paths pack nothing, so k-blocks only bound the A panel (8·kc floats, in L1): split
            // C·R·S evenly into blocks of ≤ 1152 (3×3×128) — no short last block reloading the C tile.
            int kblocks = (crs + 1151) / 1152, kstep = (crs + kblocks - 1) / kblocks;
            int[] offsArr = inPlace || virtualRows ? ScratchInt(ref t_offs, crs) : null;
            if (inPlace || virtualRows)
                for (int t = 0; t < crs; t++)
                {
                    int c = t / rs, rem = t - c * rs, r = rem / s.S;
                    offsArr[t] = c * plane + r * wp + (rem - r * s.S);
                }
            fixed (float* px = X, pa = APack, py = Y, ppad = padArr, bp = stripArr, yv = yvArr)
            fixed (int* offs = offsArr)
            {
                for (int it = i0; it < i1; it++)
                {
                    int n = it / s.Groups, g = it % s.Groups;
                    float* xg = px + ((long)n * s.C + g * cg) * s.H * s.W;
                    float* src0 = xg;
                    if (copy) { PadPlanes(xg, cg, s.H, s.W, s.Pad, ppad); src0 = ppad; }
                    float* yg = py + ((long)n * s.K + g * kg) * p;
                    float* ag = pa + (long)g * GroupA;
                    if (virtualRows)
                    {
                        for (int v0 = 0; v0 < pv; v0 += nr)
                            for (int p0 = 0; p0 < crs; p0 += kstep)
                            {
                                int kc = Math.Min(kstep, crs - p0);
                                for (int ii = 0; ii < kg; ii += mr)
                                    Sgemm.Kernel8x32Rows(kc, ag + (long)ii * crs + (long)p0 * mr, src0 + v0, src0 + v0 + 16, offs + p0,
                                                         yv + (long)ii * pv + v0, pv, p0 > 0);
                            }
                        for (int k = 0; k < kg; k++)
                            for (int oy = 0; oy < oh; oy++)
                            {
                                float* from = yv + (long)k * pv + oy * wp, to = yg + (long)k * p + oy * ow;
                                if (Accumulate) for (int e = 0; e < ow; e++) to[e] += from[e];
                                else CopyRun(from, to, ow);
                            }
                        AddBias(yg, g, kg, p);
                        continue;
                    }
                    for (int j0 = 0; j0 < p; j0 += nr)
                    {
                        int nc = Math.Min(nr, p - j0);
                        // The strip's pixels as runs within output rows: (offset in strip, offset in the padded plane, length).
                        int nseg = 0;
                        for (int j = j0; j < j0 + nc;)
                        {
                            int r0 = j / ow, c0 = j - r0 * ow, len = Math.Min(ow - c0, j0 + nc - j);
                            segDst[nseg] = j - j0; segSrc[nseg] = r0 * st * wp + c0 * st; segLen[nseg] = len; nseg++;
                            j += len;
                        }
                        if (inPlace && nc == nr)
                        {
                            float* b0 = src0 + segSrc[0], b1 = nseg == 1 ? b0 + 16 : src0 + segSrc[1];
                            float* b2 = nseg == 4 ? src0 + segSrc[2] : null, b3 = nseg == 4 ? src0 + segSrc[3] : null;
                            for (int p0 = 0; p0 < crs; p0 += kstep)
                            {
                                int kc = Math.Min(kstep, crs - p0);
                                bool acc = Accumulate || p0 > 0;
                                for (int ii = 0; ii < kg; ii += mr)
                                {
                                    float* ap = ag + (long)ii * crs + (long)p0 * mr, cp = yg + (long)ii * p + j0;
                                    if (nseg == 4) Sgemm.Kernel8x32Rows(kc, ap, b0, b1, b2, b3, offs + p0, cp, p, acc);
                                    else Sgemm.Kernel8x32Rows(kc, ap, b0, b1, offs + p0, cp, p, acc);
                                }
                            }
                            continue;
                        }
                        bool oneRun = nseg == 1 && nc == nr && st == 1;
                        for (int p0 = 0; p0 < crs; p0 += Sgemm.KC)
                        {
                            int kc = Math.Min(Sgemm.KC, crs - p0);
                            int c = p0 / rs, rem = p0 - c * rs, r = rem / s.S, q = rem - r * s.S;
                            for (int t = 0; t < kc; t++)
                            {
                                float* src = src0 + (long)c * plane + r * wp + q;
                                float* d = bp + t * nr;
                                if (oneRun)
                                {
                                    if (wide) { Vector512.Store(Vector512.Load(src + segSrc[0]), d); Vector512.Store(Vector512.Load(src + segSrc[0] + 16), d + 16); }
                                    else { Vector256.Store(Vector256.Load(src + segSrc[0]), d); Vector256.Store(Vector256.Load(src + segSrc[0] + 8), d + 8); }
                                }
                                else
                                {
                                    if (st == 1) for (int e = 0; e < nseg; e++) CopyRun(src + segSrc[e], d + segDst[e], segLen[e]);
                                    else for (int e = 0; e < nseg; e++) CopyRunStride2(src + segSrc[e], d + segDst[e], segLen[e]);
                                    for (int e = nc; e < nr; e++) d[e] = 0f;
                                }
                                if (++q == s.S) { q = 0; if (++r == s.R) { r = 0; c++; } }
                            }
                            bool acc = Accumulate || p0 > 0;
                            for (int ii = 0; ii < kg; ii += mr)
                            {
                                int mrr = Math.Min(mr, kg - ii);
                                float* ap = ag + (long)ii * crs + (long)p0 * mr;
                                float* cp = yg + (long)ii * p + j0;
                                if (mrr == mr && nc == nr)
                                {
                                    if (wide) Sgemm.Kernel8x32(kc, ap, bp, cp, p, acc);
                                    else Sgemm.Kernel6x16(kc, ap, bp, cp, p, acc);
                                }
                                else
                                {
                                    if (wide) Sgemm.Kernel8x32(kc, ap, bp, tile, nr, false);
                                    else Sgemm.Kernel6x16(kc, ap, bp, tile, nr, false);
                                    for (int rr = 0; rr < mrr; rr++)
                                    {
                                        float* dst = cp + (long)rr * p;
                                        float* srcT = tile + rr * nr;
                                        if (acc) for (int e = 0; e < nc; e++) dst[e] += srcT[e];
                                        else for (int e = 0; e < nc; e++) dst[e] = srcT[e];
                                    }
                                }
                            }
                        }
                    }
                    AddBias(yg, g, kg, p);
                }
            }
        }

        void AddBias(float* yg, int g, int kg, int p)
        {
            if (Bias == null) return;
            for (int k = 0; k < kg; k++)
            {
                float bv = Bias[g * kg + k];
                float* row = yg + (long)k * p;
                for (int e = 0; e < p; e++) row[e] += bv;
            }
        }
    }

    /// <summary>dst[c, pad + i, pad + j] = x[c, i, j], zero in the border.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadPlanes(float* x, int planes, int h, int w, int pad, float* dst)
    {
        int wp = w + 2 * pad, hp = h + 2 * pad;
        for (int c = 0; c < planes; c++)
        {
            float* d = dst + (long)c * hp * wp;
            float* src = x + (long)c * h * w;
            new Span<float>(d, pad * wp + pad).Clear();
            for (int i = 0; i < h; i++)
            {
                float* row = d + (long)(pad + i) * wp + pad;
                CopyRun(src + (long)i * w, row, w);
                // Right border of this row and left border of the next.
                new Span<float>(row + w, 2 * pad).Clear();
            }
            new Span<float>(d + (long)(pad + h) * wp + pad, pad * wp - pad).Clear();
        }
    }

    /// <summary>dst[0..len) = src[0..len) with vector moves (runs are short: 8–32 floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(float* src, float* dst, int len)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= len; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        for (; i + 8 <= len; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < len; i++) dst[i] = src[i];
    }

    /// <summary>dst[i] = src[2i] for i &lt; len: 16 at a time from two loads and one vpermt2ps (8 at a time from
    /// one load); reads up to src[2·len]. AVX-512 only (the caller checks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRunStride2(float* src, float* dst, int len)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        int i = 0;
        for (; i + 16 <= len; i += 16)
            Vector512.Store(Avx512F.PermuteVar16x32x2(Vector512.Load(src + 2 * i), even, Vector512.Load(src + 2 * i + 16)), dst + i);
        for (; i + 8 <= len; i += 8)
            Vector256.Store(Avx512F.PermuteVar16x32(Vector512.Load(src + 2 * i), even).GetLower(), dst + i);
        for (; i < len; i++) dst[i] = src[2 * i];
    }

    /// <summary>Stride 1 with a square kernel and pad ≤ R − 1: ∂L/∂x is itself a stride-1 convolution of dy
    /// with the spatially flipped, in/out-transposed weights and padding R − 1 − pad.</summary>
    private static bool CanTransposeForDx(in ConvShape s) =>
        s.Stride == 1 && s.R == s.S && s.Pad <= s.R - 1 && Vector256.IsHardwareAccelerated;

    /// <summary>dx (+)= conv(dy, flip(w)ᵀ) — the data gradient through the fast forward kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardDataTransposed(in ConvShape s, float[] w, float[] dy, float[] dx, bool accumulate)
    {
        var t = new ConvShape(s.N, s.K, s.OH, s.OW, s.C, s.R, s.S, 1, s.R - 1 - s.Pad, s.Groups);
        float[] wt = ArrayPool<float>.Shared.Rent(s.WeightLength);
        try
        {
            // wt[g·Cg + c, k, R−1−r, S−1−q] = w[g·Kg + k, c, r, q]   (t's weight is [C, Kg, R, S]).
            int cg = s.Cg, kg = s.Kg, rs = s.R * s.S;
            for (int g = 0; g < s.Groups; g++)
                for (int k = 0; k < kg; k++)
                    for (int c = 0; c < cg; c++)
                    {
                        int src = ((g * kg + k) * cg + c) * rs, dst = ((g * cg + c) * kg + k) * rs;
                        for (int e = 0; e < rs; e++) wt[dst + rs - 1 - e] = w[src + e];
                    }
            // Rent may hand back a longer array; ForwardStride1 reads only t.WeightLength of it.
            ForwardStride1(t, dy, wt, null, dx, accumulate);
        }
        finally { ArrayPool<float>.Shared.Return(wt); }
    }

    [ThreadStatic] private static float[] t_xPlanes;

    /// <summary>Tests and the profiler set this to exercise (or time) the im2col-batched weight gradient on stride-1 shapes.</summary>
    internal static bool DisableShiftedWeightGrad;
    /// <summary>Tests set this to exercise the shifted-view weight gradient on shapes where it does not pay.</summary>
    internal static bool ForceShiftedWeightGrad;
    /// <summary>Pixels per shifted-view dot (images batched until this long) and the longest k-block. Longer dots
    /// spread the 16 horizontal sums of a 4×4 tile over more work; measured (2 threads, batch 128): 1024/2048 →
    /// 4096/4096 takes 16×32×32 6.5 → 5.8 ms, 64×8×8 8.0 → 6.0 ms; 512 is 35–60% slower. Internal so the profiler can vary them.</summary>
    internal static int ShiftedTargetLen = 4096, ShiftedMaxBlock = 4096;

    /// <summary>
    /// Stride-1 weight gradient with no im2col at all. With x zero-bordered (<see cref="ShiftedLayout"/>: rows
    /// of Wp) and dy widened to rows of Wp (zeros past OW, and zero rows past OH), and both flattened,
    ///   dw[k, c, r, q] += Σ_J dyp[k, J] · xp[c, J + r·Wp + q]
    /// — a dot product of a dy row with a SHIFTED VIEW of the padded x plane (the wrapped-around reads
    /// meet dy's zeros). Images are laid side by side in batches so the dots run over ~4096 values; the work wasted on the zeros is plane / (OH·OW) − 1 (6% at 32×32, 27% at 8×8),
    /// far less than im2col's R·S-fold copy. Tiles of 4 dy rows × 4 shifted views, 16 Vector512 sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWeightShifted(in ConvShape s, float[] x, float[] dy, float[] dw)
    {
        var sh = s;
        int parts = Workers.Parts(s.N, 2);
        var partials = parts > 1 ? new float[parts - 1][] : null;
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (n0, n1) = Workers.Chunk(sh.N, part, parts);
            if (n1 <= n0) return;
            int oh = sh.OH, ow = sh.OW, p = oh * ow, cg = sh.Cg, kg = sh.Kg, rs = sh.R * sh.S, crs = sh.Crs;
            var (wp, plane) = ShiftedLayout(sh);
            int batch = Math.Clamp((ShiftedTargetLen + plane - 1) / plane, 1, n1 - n0);
            // Reads run up to (R−1)·Wp + S − 1 past the last image: keep that slack zero.
            int slack = (sh.R - 1) * wp + sh.S + 16;
            int ld = batch * plane + slack;
            float[] xArr = Sgemm.Scratch(ref t_xPlanes, sh.C * ld);
            float[] dyArr = Sgemm.Scratch(ref t_dyRows, sh.K * ld);
            float[] dwPart = dw;
            if (part > 0)
            {
                dwPart = ArrayPool<float>.Shared.Rent(dw.Length);
                Array.Clear(dwPart, 0, dw.Length);
                partials[part - 1] = dwPart;
            }
            fixed (float* px = x, pdy = dy, pdw = dwPart, xp = xArr, dyp = dyArr)
                for (int nb = n0; nb < n1; nb += batch)
                {
                    int cnt = Math.Min(batch, n1 - nb), len = cnt * plane;
                    for (int c = 0; c < sh.C; c++) new Span<float>(xp + (long)c * ld, len + slack).Clear();
                    for (int k = 0; k < sh.K; k++) new Span<float>(dyp + (long)k * ld, len).Clear();
                    for (int b = 0; b < cnt; b++)
                    {
                        int n = nb + b;
                        float* xn = px + (long)n * sh.C * sh.H * sh.W;
                        // x[b, c, i, j] at b·plane + (i + pad)·Wp + j + pad; the gaps between rows and images are zero.
                        for (int c = 0; c < sh.C; c++)
                        {
                            float* dst = xp + (long)c * ld + b * plane + sh.Pad * wp + sh.Pad;
                            float* src = xn + (long)c * sh.H * sh.W;
                            for (int i = 0; i < sh.H; i++) CopyRun(src + i * sh.W, dst + i * wp, sh.W);
                        }
                        float* dyn = pdy + (long)n * sh.K * p;
                        for (int k = 0; k < sh.K; k++)
                        {
                            float* dst = dyp + (long)k * ld + b * plane;
                            float* src = dyn + (long)k * p;
                            for (int i = 0; i < oh; i++) CopyRun(src + i * ow, dst + i * wp, ow);
                        }
                    }
                    for (int g = 0; g < sh.Groups; g++)
                    {
                        float* a = dyp + (long)g * kg * ld;
                        float* xg = xp + (long)g * cg * ld;
                        float* cgw = pdw + (long)g * kg * crs;
                        int m4 = kg & ~3, n4 = crs & ~3;
                        // Blocks of ≤ ShiftedMaxBlock split evenly: no short last block of horizontal sums.
                        int blocks = (len + ShiftedMaxBlock - 1) / ShiftedMaxBlock, step = (len + blocks - 1) / blocks;
                        for (int p0 = 0; p0 < len; p0 += step)
                        {
                            int kc = Math.Min(step, len - p0);
                            // Every dot accumulates into dw (part 0 owns dw itself, which holds earlier gradients).
                            for (int t = 0; t < crs; t++)
                            {
                                if (t >= n4)
                                {
                                    float* bt = View(xg, t, rs, sh.S, ld, wp) + p0;
                                    for (int k = 0; k < kg; k++) Sgemm.DotStore(kc, a + (long)k * ld + p0, bt, cgw + (long)k * crs + t, true);
                                    continue;
                                }
                                if ((t & 3) != 0) continue;
                                float* b0 = View(xg, t, rs, sh.S, ld, wp) + p0, b1 = View(xg, t + 1, rs, sh.S, ld, wp) + p0;
                                float* b2 = View(xg, t + 2, rs, sh.S, ld, wp) + p0, b3 = View(xg, t + 3, rs, sh.S, ld, wp) + p0;
                                for (int k = 0; k < m4; k += 4)
                                    Sgemm.Dot4x4(kc, a + (long)k * ld + p0, ld, b0, b1, b2, b3, cgw + (long)k * crs + t, crs, true);
                                for (int k = m4; k < kg; k++)
                                {
                                    float* ak = a + (long)k * ld + p0;
                                    float* ck = cgw + (long)k * crs + t;
                                    Sgemm.DotStore(kc, ak, b0, ck, true); Sgemm.DotStore(kc, ak, b1, ck + 1, true);
                                    Sgemm.DotStore(kc, ak, b2, ck + 2, true); Sgemm.DotStore(kc, ak, b3, ck + 3, true);
                                }
                            }
                        }
                    }
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

    /// <summary>
    /// The shifted-view layout shares borders: one zero gap of G = max(pad, R−1−pad) columns serves as the
    /// right border of a row and the left border of the next (the flattened views wrap into it), and G rows
    /// between images likewise — rows of W + G, images of (H + G)·(W + G) floats (3×3 pad 1 at 8×8: 81
    /// floats per 64 outputs instead of 100). Needs pad ≤ R − 1 and ≤ S − 1 so that OH ≤ H + G, OW ≤ W + G.
    /// </summary>
    private static (int wp, int plane) ShiftedLayout(in ConvShape s)
    {
        int gh = Math.Max(s.Pad, s.R - 1 - s.Pad), gw = Math.Max(s.Pad, s.S - 1 - s.Pad);
        int wp = s.W + gw;
        return (wp, (s.H + gh) * wp);
    }

    /// <summary>Start of the shifted view for im2col row t = (c·R + r)·S + q: plane c, offset r·Wp + q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* View(float* planes, int t, int rs, int S, int ld, int wp)
    {
        int c = t / rs, rem = t - c * rs, r = rem / S;
        return planes + (long)c * ld + r * wp + (rem - r * S);
    }

    /// <summary>
    /// dw += Σₙ dy[n] · col[n]ᵀ with the reduction over pixels made long: the workers' images are taken in
    /// batches of ⌈1024 / (OH·OW)⌉ whose im2col matrices sit side by side (row length batch·OH·OW) next to
    /// their dy rows, so each A·Bᵀ dot product runs over ~1024 values (8×8 images alone would give 64,
    /// and a horizontal sum per 64 multiply-adds). Groups 1 only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWeightBatched(in ConvShape s, float[] x, float[] dy, float[] dw)
    {
        var sh = s;
        int p = s.OH * s.OW, crs = s.Crs, k = s.K;
        int parts = Workers.Parts(s.N, 2);
        var partials = parts > 1 ? new float[parts - 1][] : null;
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (n0, n1) = Workers.Chunk(sh.N, part, parts);
            if (n1 <= n0) return;
            int batch = Math.Clamp((1024 + p - 1) / p, 1, n1 - n0);
            int ld = batch * p;
            float[] colArr = Sgemm.Scratch(ref t_col, crs * ld + 16);
            float[] dyArr = Sgemm.Scratch(ref t_dyRows, k * ld + 16);
            float[] dwPart = dw;
            if (part > 0)
            {
                dwPart = ArrayPool<float>.Shared.Rent(dw.Length);
                Array.Clear(dwPart, 0, dw.Length);
                partials[part - 1] = dwPart;
            }
            fixed (float* px = x, pdy = dy, pdw = dwPart, pcol = colArr, pdr = dyArr)
                for (int nb = n0; nb < n1; nb += batch)
                {
                    int cnt = Math.Min(batch, n1 - nb);
                    for (int b = 0; b < cnt; b++)
                    {
                        int n = nb + b;
                        float* xn = px + (long)n * sh.C * sh.H * sh.W;
                        if (sh.IsPointwise)
                            for (int c = 0; c < crs; c++) CopyRun(xn + (long)c * p, pcol + (long)c * ld + b * p, p);
                        else Im2Col(sh, xn, pcol + b * p, ld);
                        float* dyn = pdy + (long)n * k * p;
                        for (int kk = 0; kk < k; kk++) CopyRun(dyn + (long)kk * p, pdr + (long)kk * ld + b * p, p);
                    }
                    Sgemm.Multiply(false, true, k, crs, cnt * p, pdr, ld, pcol, ld, pdw, crs, true);
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
