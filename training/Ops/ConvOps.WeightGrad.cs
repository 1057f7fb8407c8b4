using System.Runtime.CompilerServices;
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Training.Ops;

// The weight gradient's fast paths: the shifted-view one (stride 1, no im2col) and the im2col-batched one
// (long pixel reductions). Contract: dw ACCUMULATES Σₙ dy[n] · col[n]ᵀ as ConvOps.BackwardReference does;
// ConvOps.Backward (ConvOps.cs) chooses between them.
public static unsafe partial class ConvOps
{
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
}
