using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ResNetRealtime.Training.Kernels;

/// <summary>
/// Single-precision matrix multiply, row-major with leading dimensions:
///   C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n]
/// where op(A) = A (stored m×k, A[i,p] = a[i*lda + p]) or Aᵀ (stored k×m, a[p*lda + i]); likewise B.
///
/// <see cref="Reference"/> is the naive triple loop (float64 accumulation) kept as the oracle.
/// <see cref="Multiply"/> is the fast single-threaded path (callers parallelise over images/groups):
/// BLIS-style blocking — for each k-block of <see cref="KC"/> and row-block of <see cref="MC"/>, A is
/// packed into MR-row panels, then each NR-column strip of B is packed (kc×NR, stays in L1) and swept
/// by an MR×NR register-tile microkernel:
///   AVX-512: MR=8, NR=32 (two Vector512 per row, 16 accumulators);
///   AVX2:    MR=6, NR=16 (two Vector256 per row, 12 accumulators — AVX2 has only 16 registers).
/// Edge tiles are zero-padded in the packed buffers and written back through a small local tile,
/// so the microkernel itself has no tails. Without Vector256 hardware it falls back to the reference.
/// </summary>
public static unsafe class Sgemm
{
    public const int KC = 256;
    public const int MC = 192;

    /// <summary>Tests set this to exercise the Vector256 kernel on an AVX-512 machine.</summary>
    internal static bool ForceVector256;

    internal static bool UseWide => Vector512.IsHardwareAccelerated && !ForceVector256;

    [ThreadStatic] private static float[] t_apack;
    [ThreadStatic] private static float[] t_bpack;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reference(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? c[i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += (double)av * bv;
                }
                c[i * ldc + j] = (float)s;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        fixed (float* pa = a, pb = b, pc = c)
            Multiply(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        if (!Vector256.IsHardwareAccelerated)
        {
            ReferenceRaw(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        bool wide = UseWide;
        if (wide && !transA && transB)
        {
            MultiplyNT(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        int mr = wide ? 8 : 6, nr = wide ? 32 : 16;
        int mcMax = Math.Min(MC, RoundUp(m, mr));
        var apackArr = Scratch(ref t_apack, mcMax * KC + 64);
        var bpackArr = Scratch(ref t_bpack, nr * KC + 64);
        float* tile = stackalloc float[8 * 32];
        fixed (float* apack = apackArr, bpack = bpackArr)
        {
            for (int p0 = 0; p0 < k; p0 += KC)
            {
                int kc = Math.Min(KC, k - p0);
                bool acc = accumulate || p0 > 0;
                for (int i0 = 0; i0 < m; i0 += MC)
                {
                    int mc = Math.Min(MC, m - i0);
                    PackA(transA, a, lda, i0, mc, p0, kc, mr, apack);
                    for (int j0 = 0; j0 < n; j0 += nr)
                    {
                        int nc = Math.Min(nr, n - j0);
                        PackB(transB, b, ldb, j0, nc, p0, kc, nr, bpack);
                        for (int ii = 0; ii < mc; ii += mr)
                        {
                            int mrr = Math.Min(mr, mc - ii);
                            float* ap = apack + (long)ii * kc;
                            float* cp = c + (long)(i0 + ii) * ldc + j0;
                            if (mrr == mr && nc == nr)
                            {
                                if (wide) Kernel8x32(kc, ap, bpack, cp, ldc, acc);
                                else Kernel6x16(kc, ap, bpack, cp, ldc, acc);
                            }
                            else
                            {
                                // Edge tile: full-size kernel into a local tile, then copy the valid corner.
                                if (wide) Kernel8x32(kc, ap, bpack, tile, nr, false);
                                else Kernel6x16(kc, ap, bpack, tile, nr, false);
                                for (int r = 0; r < mrr; r++)
                                {
                                    float* dst = cp + (long)r * ldc;
                                    float* src = tile + r * nr;
                                    if (acc) for (int q = 0; q < nc; q++) dst[q] += src[q];
                                    else for (int q = 0; q < nc; q++) dst[q] = src[q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C (+)= A · Bᵀ with both operands k-contiguous (A m×k, B n×k) — the weight-gradient shape
    /// (dW = dY · colᵀ, reduction over pixels). Packing would need a transposing copy whose strided reads
    /// thrash L1 when rows are 4 KB apart, so instead 4×4 tiles of C are dot products vectorised along k:
    /// 16 Vector512 accumulators, 8 row streams, one horizontal sum per C element at the end.
    /// k is blocked by <see cref="KDot"/> so a tile's 4 A rows stay in L1 while B rows stream from L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyNT(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        for (int p0 = 0; p0 < k; p0 += KDot)
        {
            int kc = Math.Min(KDot, k - p0);
            bool acc = accumulate || p0 > 0;
            int m4 = m & ~3, n4 = n & ~3;
            if (n > m)
            {
                // Wide B (conv weight gradients: n = C·R·S rows of im2col, m = output channels): B's 4-row
                // block stays in L1 while A's m rows (small) stream from L2, so each B row is read once per k-block.
                for (int j = 0; j < n4; j += 4)
                    for (int i = 0; i < m4; i += 4)
                        Dot4x4(kc, a + (long)i * lda + p0, lda, b + (long)j * ldb + p0, ldb, c + (long)i * ldc + j, ldc, acc);
            }
            else
            {
                for (int i = 0; i < m4; i += 4)
                    for (int j = 0; j < n4; j += 4)
                        Dot4x4(kc, a + (long)i * lda + p0, lda, b + (long)j * ldb + p0, ldb, c + (long)i * ldc + j, ldc, acc);
            }
            // Edges: the last n % 4 columns of the full row blocks, then the last m % 4 rows.
            for (int i = 0; i < m4; i++)
                for (int j = n4; j < n; j++)
                    DotStore(kc, a + (long)i * lda + p0, b + (long)j * ldb + p0, c + (long)i * ldc + j, acc);
            for (int i = m4; i < m; i++)
                for (int j = 0; j < n; j++)
                    DotStore(kc, a + (long)i * lda + p0, b + (long)j * ldb + p0, c + (long)i * ldc + j, acc);
        }
    }

    internal const int KDot = 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4(int kc, float* a, int lda, float* b, int ldb, float* c, int ldc, bool acc) =>
        Dot4x4(kc, a, lda, b, b + ldb, b + 2 * ldb, b + 3 * ldb, c, ldc, acc);

    /// <summary>c[r*ldc + s] (+)= Σ_{p&lt;kc} a[r*lda + p] · b_s[p] for r, s in 0..3: four k-contiguous A rows
    /// against four B rows given by pointer (conv weight gradients use shifted views of one padded plane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dot4x4(int kc, float* a, int lda, float* b, float* b1, float* b2, float* b3, float* c, int ldc, bool acc)
    {
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        int p = 0;
        for (; p + 16 <= kc; p += 16)
        {
            var x0 = Vector512.Load(a + p); var x1 = Vector512.Load(a1 + p); var x2 = Vector512.Load(a2 + p); var x3 = Vector512.Load(a3 + p);
            var y = Vector512.Load(b + p);
            s00 = Vector512.FusedMultiplyAdd(x0, y, s00); s10 = Vector512.FusedMultiplyAdd(x1, y, s10); s20 = Vector512.FusedMultiplyAdd(x2, y, s20); s30 = Vector512.FusedMultiplyAdd(x3, y, s30);
            y = Vector512.Load(b1 + p);
            s01 = Vector512.FusedMultiplyAdd(x0, y, s01); s11 = Vector512.FusedMultiplyAdd(x1, y, s11); s21 = Vector512.FusedMultiplyAdd(x2, y, s21); s31 = Vector512.FusedMultiplyAdd(x3, y, s31);
            y = Vector512.Load(b2 + p);
            s02 = Vector512.FusedMultiplyAdd(x0, y, s02); s12 = Vector512.FusedMultiplyAdd(x1, y, s12); s22 = Vector512.FusedMultiplyAdd(x2, y, s22); s32 = Vector512.FusedMultiplyAdd(x3, y, s32);
            y = Vector512.Load(b3 + p);
            s03 = Vector512.FusedMultiplyAdd(x0, y, s03); s13 = Vector512.FusedMultiplyAdd(x1, y, s13); s23 = Vector512.FusedMultiplyAdd(x2, y, s23); s33 = Vector512.FusedMultiplyAdd(x3, y, s33);
        }
        // Scalar tail of k (k not a multiple of 16), added to the horizontal sums.
        float* t = stackalloc float[16];
        for (int q = 0; q < 16; q++) t[q] = 0f;
        for (; p < kc; p++)
        {
            float v0 = a[p], v1 = a1[p], v2 = a2[p], v3 = a3[p], w0 = b[p], w1 = b1[p], w2 = b2[p], w3 = b3[p];
            t[0] += v0 * w0; t[1] += v0 * w1; t[2] += v0 * w2; t[3] += v0 * w3;
            t[4] += v1 * w0; t[5] += v1 * w1; t[6] += v1 * w2; t[7] += v1 * w3;
            t[8] += v2 * w0; t[9] += v2 * w1; t[10] += v2 * w2; t[11] += v2 * w3;
            t[12] += v3 * w0; t[13] += v3 * w1; t[14] += v3 * w2; t[15] += v3 * w3;
        }
        Put4(c, Vector512.Sum(s00) + t[0], Vector512.Sum(s01) + t[1], Vector512.Sum(s02) + t[2], Vector512.Sum(s03) + t[3], acc); c += ldc;
        Put4(c, Vector512.Sum(s10) + t[4], Vector512.Sum(s11) + t[5], Vector512.Sum(s12) + t[6], Vector512.Sum(s13) + t[7], acc); c += ldc;
        Put4(c, Vector512.Sum(s20) + t[8], Vector512.Sum(s21) + t[9], Vector512.Sum(s22) + t[10], Vector512.Sum(s23) + t[11], acc); c += ldc;
        Put4(c, Vector512.Sum(s30) + t[12], Vector512.Sum(s31) + t[13], Vector512.Sum(s32) + t[14], Vector512.Sum(s33) + t[15], acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put4(float* c, float v0, float v1, float v2, float v3, bool acc)
    {
        if (acc) { c[0] += v0; c[1] += v1; c[2] += v2; c[3] += v3; }
        else { c[0] = v0; c[1] = v1; c[2] = v2; c[3] = v3; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DotStore(int kc, float* a, float* b, float* c, bool acc)
    {
        var s = Vector512<float>.Zero;
        int p = 0;
        for (; p + 16 <= kc; p += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), s);
        float r = Vector512.Sum(s);
        for (; p < kc; p++) r += a[p] * b[p];
        if (acc) *c += r; else *c = r;
    }

    private static void ReferenceRaw(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = accumulate ? c[(long)i * ldc + j] : 0f;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[(long)p * lda + i] : a[(long)i * lda + p]) * (transB ? b[(long)j * ldb + p] : b[(long)p * ldb + j]);
                c[(long)i * ldc + j] = s;
            }
    }

    internal static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float[] Scratch(ref float[] slot, int length)
    {
        if (slot == null || slot.Length < length) slot = GC.AllocateUninitializedArray<float>(length, pinned: true);
        return slot;
    }

    /// <summary>Packs rows [i0, i0+mc) × k-range [p0, p0+kc) of op(A) into MR-row panels:
    /// panel q holds dst[q*MR*kc + p*MR + r] = op(A)[i0 + q*MR + r, p0 + p]; rows past mc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int q = 0; q < mc; q += mr)
        {
            int rows = Math.Min(mr, mc - q);
            float* panel = dst + (long)q * kc;
            if (transA)
            {
                // op(A)[i,p] = a[p*lda + i]: each p is a contiguous run of rows.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(p0 + p) * lda + i0 + q;
                    float* d = panel + p * mr;
                    int r = 0;
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(i0 + q + r) * lda + p0;
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = src[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
            }
        }
    }

    /// <summary>Packs columns [j0, j0+nc) × k-range of op(B): dst[p*NR + j] = op(B)[p0+p, j0+j]; columns past nc are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(bool transB, float* b, int ldb, int j0, int nc, int p0, int kc, int nr, float* dst)
    {
        if (!transB)
        {
            if (nc == nr)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0;
                    float* d = dst + p * nr;
                    if (nr == 32)
                    {
                        Vector512.Store(Vector512.Load(src), d);
                        Vector512.Store(Vector512.Load(src + 16), d + 16);
                    }
                    else
                    {
                        Vector256.Store(Vector256.Load(src), d);
                        Vector256.Store(Vector256.Load(src + 8), d + 8);
                    }
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0;
                    float* d = dst + p * nr;
                    int j = 0;
                    for (; j < nc; j++) d[j] = src[j];
                    for (; j < nr; j++) d[j] = 0f;
                }
            }
        }
        else
        {
            // op(B)[p,j] = b[j*ldb + p]: a transposing copy. p outer, j inner keeps the writes sequential; the
            // nc source rows each stay in L1 for 16 consecutive p (one cache line).
            float** rows = stackalloc float*[32];
            for (int j = 0; j < nc; j++) rows[j] = b + (long)(j0 + j) * ldb + p0;
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + p * nr;
                int j = 0;
                for (; j < nc; j++) d[j] = rows[j][p];
                for (; j < nr; j++) d[j] = 0f;
            }
        }
    }

    /// <summary>C[8×32] (+)= Apanel[kc×8]ᵀ · Bstrip[kc×32]. Lanes: row r of C lives in (c{r}0, c{r}1) = columns 0..15, 16..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel8x32(int kc, float* ap, float* bp, float* c, int ldc, bool acc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            Vector512<float> a;
            a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            ap += 8;
            bp += 32;
        }
        Store2(c, c00, c01, acc); c += ldc;
        Store2(c, c10, c11, acc); c += ldc;
        Store2(c, c20, c21, acc); c += ldc;
        Store2(c, c30, c31, acc); c += ldc;
        Store2(c, c40, c41, acc); c += ldc;
        Store2(c, c50, c51, acc); c += ldc;
        Store2(c, c60, c61, acc); c += ldc;
        Store2(c, c70, c71, acc);
    }

    /// <summary><see cref="Kernel8x32Rows(int, float*, float*, float*, int*, float*, int, bool)"/> for strips made of
    /// four runs of 8 (8-wide output rows): each B vector is two 256-bit loads joined.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel8x32Rows(int kc, float* ap, float* q0, float* q1, float* q2, float* q3, int* offs, float* c, int ldc, bool acc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            int o = offs[p];
            var b0 = Vector512.Create(Vector256.Load(q0 + o), Vector256.Load(q1 + o));
            var b1 = Vector512.Create(Vector256.Load(q2 + o), Vector256.Load(q3 + o));
            Vector512<float> a;
            a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            ap += 8;
        }
        Store2(c, c00, c01, acc); c += ldc;
        Store2(c, c10, c11, acc); c += ldc;
        Store2(c, c20, c21, acc); c += ldc;
        Store2(c, c30, c31, acc); c += ldc;
        Store2(c, c40, c41, acc); c += ldc;
        Store2(c, c50, c51, acc); c += ldc;
        Store2(c, c60, c61, acc); c += ldc;
        Store2(c, c70, c71, acc);
    }

    /// <summary><see cref="Kernel8x32"/> with B read in place instead of from a packed strip: row p of B is
    /// b0[offs[p]..+16] ‖ b1[offs[p]..+16] (a convolution's input plane at the tap's shift), so no packing copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel8x32Rows(int kc, float* ap, float* b0p, float* b1p, int* offs, float* c, int ldc, bool acc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            int o = offs[p];
            var b0 = Vector512.Load(b0p + o);
            var b1 = Vector512.Load(b1p + o);
            Vector512<float> a;
            a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            ap += 8;
        }
        Store2(c, c00, c01, acc); c += ldc;
        Store2(c, c10, c11, acc); c += ldc;
        Store2(c, c20, c21, acc); c += ldc;
        Store2(c, c30, c31, acc); c += ldc;
        Store2(c, c40, c41, acc); c += ldc;
        Store2(c, c50, c51, acc); c += ldc;
        Store2(c, c60, c61, acc); c += ldc;
        Store2(c, c70, c71, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> v0, Vector512<float> v1, bool acc)
    {
        if (acc) { v0 += Vector512.Load(c); v1 += Vector512.Load(c + 16); }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }

    /// <summary>C[6×16] (+)= Apanel[kc×6]ᵀ · Bstrip[kc×16] with Vector256 (12 accumulators + 3 temporaries fit AVX2's 16 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel6x16(int kc, float* ap, float* bp, float* c, int ldc, bool acc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            Vector256<float> a;
            a = Vector256.Create(ap[0]); c00 = Vector256.FusedMultiplyAdd(a, b0, c00); c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(ap[1]); c10 = Vector256.FusedMultiplyAdd(a, b0, c10); c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(ap[2]); c20 = Vector256.FusedMultiplyAdd(a, b0, c20); c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(ap[3]); c30 = Vector256.FusedMultiplyAdd(a, b0, c30); c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(ap[4]); c40 = Vector256.FusedMultiplyAdd(a, b0, c40); c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(ap[5]); c50 = Vector256.FusedMultiplyAdd(a, b0, c50); c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            ap += 6;
            bp += 16;
        }
        Store2(c, c00, c01, acc); c += ldc;
        Store2(c, c10, c11, acc); c += ldc;
        Store2(c, c20, c21, acc); c += ldc;
        Store2(c, c30, c31, acc); c += ldc;
        Store2(c, c40, c41, acc); c += ldc;
        Store2(c, c50, c51, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector256<float> v0, Vector256<float> v1, bool acc)
    {
        if (acc) { v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}
