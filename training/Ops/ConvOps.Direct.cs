using System.Runtime.CompilerServices;
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Training.Ops;

// The stride-1 direct convolution (packed strips read straight from zero-bordered planes) and the data gradient
// it also serves: dx of a stride-1 square conv is a forward conv of dy with flipped, transposed weights.
// Contract: same semantics as ConvOps.ForwardReference/BackwardReference (ConvOps.cs), which the tests hold
// these paths to; Forward/Backward there choose when these apply.
public static unsafe partial class ConvOps
{
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
}
