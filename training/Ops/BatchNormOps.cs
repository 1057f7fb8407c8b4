using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Training.Ops;

/// <summary>
/// BatchNorm2d over x [N, C, H, W] with per-channel gamma, beta, running mean/var [C] (PyTorch semantics):
///   train: mean, var = biased batch statistics over N·H·W; y = (x − mean)·invstd·gamma + beta,
///          invstd = 1/sqrt(var + eps); running = (1 − momentum)·running + momentum·stat, where the running
///          variance takes the UNBIASED batch variance (var·M/(M−1), M = N·H·W).
///          saveMean/saveInvStd [C] keep what backward needs.
///   eval:  y = (x − runningMean)/sqrt(runningVar + eps)·gamma + beta.
///   backward (train statistics), accumulating:
///          dbeta += Σ dy, dgamma += Σ dy·x̂, dx += gamma·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)).
/// Fast path: parallel over channels, Vector512/256 over each H·W plane with a scalar tail.
/// </summary>
public static class BatchNormOps
{
    // ---------------------------------------------------------------- reference (float64)

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardTrainReference(int n, int c, int hw, float[] x, float[] gamma, float[] beta,
        float[] runningMean, float[] runningVar, float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd)
    {
        long m = (long)n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) sum += x[(i * c + ch) * hw + j];
            double mean = sum / m, sq = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) { double d = x[(i * c + ch) * hw + j] - mean; sq += d * d; }
            double var = sq / m, inv = 1.0 / Math.Sqrt(var + eps);
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++)
            {
                int o = (i * c + ch) * hw + j;
                y[o] = (float)((x[o] - mean) * inv * gamma[ch] + beta[ch]);
            }
            saveMean[ch] = (float)mean;
            saveInvStd[ch] = (float)inv;
            UpdateRunning(ch, mean, var, m, momentum, runningMean, runningVar);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardReference(int n, int c, int hw, float[] x, float[] dy, float[] gamma,
        float[] saveMean, float[] saveInvStd, float[] dx, float[] dgamma, float[] dbeta)
    {
        long m = (long)n * hw;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = saveMean[ch], inv = saveInvStd[ch], sdy = 0, sdyx = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++)
            {
                int o = (i * c + ch) * hw + j;
                sdy += dy[o];
                sdyx += dy[o] * (x[o] - mean) * inv;
            }
            if (dgamma != null) dgamma[ch] += (float)sdyx;
            if (dbeta != null) dbeta[ch] += (float)sdy;
            if (dx == null) continue;
            double k = gamma[ch] * inv / m;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++)
            {
                int o = (i * c + ch) * hw + j;
                dx[o] += (float)(k * (m * dy[o] - sdy - (x[o] - mean) * inv * sdyx));
            }
        }
    }

    // ---------------------------------------------------------------- fast path

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardTrain(int n, int c, int hw, float[] x, float[] gamma, float[] beta,
        float[] runningMean, float[] runningVar, float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd)
    {
        CheckLengths(n, c, hw, x, y, gamma, beta);
        long m = (long)n * hw;
        int parts = Workers.Parts(c);
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (c0, c1) = Workers.Chunk(c, part, parts);
            for (int ch = c0; ch < c1; ch++)
            {
                // One pass for both moments, shifted by the channel's first value so that E[(x−K)²] − E[x−K]²
                // does not cancel when |mean| ≫ std (K is a sample of the channel, so within a few std of its mean).
                float shiftK = x[ch * hw];
                double sum = 0, sq = 0;
                for (int i = 0; i < n; i++)
                {
                    var (sa, sb) = ShiftedMoments(x.AsSpan((i * c + ch) * hw, hw), shiftK);
                    sum += sa; sq += sb;
                }
                double dmean = sum / m;
                double mean = shiftK + dmean, var = Math.Max(0.0, sq / m - dmean * dmean), inv = 1.0 / Math.Sqrt(var + eps);
                float scale = (float)(gamma[ch] * inv), shift = (float)(beta[ch] - mean * inv * gamma[ch]);
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * hw;
                    ScaleShift(x.AsSpan(o, hw), y.AsSpan(o, hw), scale, shift);
                }
                saveMean[ch] = (float)mean;
                saveInvStd[ch] = (float)inv;
                UpdateRunning(ch, mean, var, m, momentum, runningMean, runningVar);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardEval(int n, int c, int hw, float[] x, float[] gamma, float[] beta,
        float[] runningMean, float[] runningVar, float eps, float[] y)
    {
        CheckLengths(n, c, hw, x, y, gamma, beta);
        int parts = Workers.Parts(c);
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (c0, c1) = Workers.Chunk(c, part, parts);
            for (int ch = c0; ch < c1; ch++)
            {
                double inv = 1.0 / Math.Sqrt(runningVar[ch] + (double)eps);
                float scale = (float)(gamma[ch] * inv), shift = (float)(beta[ch] - runningMean[ch] * inv * gamma[ch]);
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * hw;
                    ScaleShift(x.AsSpan(o, hw), y.AsSpan(o, hw), scale, shift);
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(int n, int c, int hw, float[] x, float[] dy, float[] gamma,
        float[] saveMean, float[] saveInvStd, float[] dx, float[] dgamma, float[] dbeta) =>
        Backward(n, c, hw, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, true);

    /// <summary>The public Backward with <paramref name="accumulateDx"/> false: dx is overwritten, so a
    /// layer that owns its dx needs no clearing pass over it first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Backward(int n, int c, int hw, float[] x, float[] dy, float[] gamma,
        float[] saveMean, float[] saveInvStd, float[] dx, float[] dgamma, float[] dbeta, bool accumulateDx)
    {
        CheckLengths(n, c, hw, x, dy, gamma, gamma);
        long m = (long)n * hw;
        int parts = Workers.Parts(c);
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (c0, c1) = Workers.Chunk(c, part, parts);
            for (int ch = c0; ch < c1; ch++)
            {
                float mean = saveMean[ch], inv = saveInvStd[ch];
                double sdy = 0, sdyxc = 0;
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * hw;
                    var (a, b) = SumAndDot(dy.AsSpan(o, hw), x.AsSpan(o, hw), mean);
                    sdy += a;
                    sdyxc += b;
                }
                double sdyx = sdyxc * inv; // Σ dy·x̂
                if (dgamma != null) dgamma[ch] += (float)sdyx;
                if (dbeta != null) dbeta[ch] += (float)sdy;
                if (dx == null) continue;
                // dx += k·dy + kx·(x − mean) + k0, with k = gamma·invstd, kx = −k·invstd·Σ(dy·x̂)/M, k0 = −k·Σdy/M.
                double k = gamma[ch] * (double)inv;
                float fk = (float)k, fkx = (float)(-k * inv * sdyx / m), fk0 = (float)(-k * sdy / m);
                for (int i = 0; i < n; i++)
                {
                    int o = (i * c + ch) * hw;
                    BackwardPlane(dy.AsSpan(o, hw), x.AsSpan(o, hw), dx.AsSpan(o, hw), fk, fkx, fk0, mean, accumulateDx);
                }
            }
        });
    }

    /// <summary>Backward of the eval-mode transform (statistics are constants): dx += dy·gamma·invstd,
    /// dgamma += Σ dy·x̂, dbeta += Σ dy, with x̂ from the running statistics. Used when fine-tuning with frozen BN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardEval(int n, int c, int hw, float[] x, float[] dy, float[] gamma,
        float[] runningMean, float[] runningVar, float eps, float[] dx, float[] dgamma, float[] dbeta)
    {
        CheckLengths(n, c, hw, x, dy, gamma, gamma);
        for (int ch = 0; ch < c; ch++)
        {
            double inv = 1.0 / Math.Sqrt(runningVar[ch] + (double)eps), mean = runningMean[ch], sdy = 0, sdyx = 0;
            float k = (float)(gamma[ch] * inv);
            for (int i = 0; i < n; i++)
            {
                int o = (i * c + ch) * hw;
                for (int j = 0; j < hw; j++)
                {
                    sdy += dy[o + j];
                    sdyx += dy[o + j] * (x[o + j] - mean) * inv;
                    if (dx != null) dx[o + j] += dy[o + j] * k;
                }
            }
            if (dgamma != null) dgamma[ch] += (float)sdyx;
            if (dbeta != null) dbeta[ch] += (float)sdy;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateRunning(int ch, double mean, double var, long m, float momentum, float[] runningMean, float[] runningVar)
    {
        if (runningMean == null) return;
        double unbiased = m > 1 ? var * m / (m - 1) : var;
        runningMean[ch] = (float)((1 - momentum) * runningMean[ch] + momentum * mean);
        runningVar[ch] = (float)((1 - momentum) * runningVar[ch] + momentum * unbiased);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CheckLengths(int n, int c, int hw, float[] x, float[] y, float[] gamma, float[] beta)
    {
        long len = (long)n * c * hw;
        if (x.Length != len || y.Length != len)
            throw new ArgumentException($"batchnorm2d: tensors of length {x.Length}/{y.Length} for N={n} C={c} HW={hw} (expected {len})");
        if (gamma.Length != c || beta.Length != c)
            throw new ArgumentException($"batchnorm2d: gamma/beta lengths {gamma.Length}/{beta.Length} != channels {c}");
    }

    // ---------------------------------------------------------------- SIMD plane helpers (512 → 256 → scalar tail)

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Sum(ReadOnlySpan<float> v)
    {
        int i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && v.Length >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= v.Length - 16; i += 16) acc += Vector512.Create(v.Slice(i, 16));
            s += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && v.Length - i >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= v.Length - 8; i += 8) acc += Vector256.Create(v.Slice(i, 8));
            s += Vector256.Sum(acc);
        }
        for (; i < v.Length; i++) s += v[i];
        return s;
    }

    /// <summary>(Σ (v − k), Σ (v − k)²): float vector lanes per plane, double across planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double, double) ShiftedMoments(ReadOnlySpan<float> v, float k)
    {
        int i = 0;
        double s = 0, q = 0;
        if (Vector512.IsHardwareAccelerated && v.Length >= 16)
        {
            var a = Vector512<float>.Zero; var b = Vector512<float>.Zero; var kv = Vector512.Create(k);
            for (; i <= v.Length - 16; i += 16) { var d = Vector512.Create(v.Slice(i, 16)) - kv; a += d; b = Vector512.FusedMultiplyAdd(d, d, b); }
            s += Vector512.Sum(a); q += Vector512.Sum(b);
        }
        if (Vector256.IsHardwareAccelerated && v.Length - i >= 8)
        {
            var a = Vector256<float>.Zero; var b = Vector256<float>.Zero; var kv = Vector256.Create(k);
            for (; i <= v.Length - 8; i += 8) { var d = Vector256.Create(v.Slice(i, 8)) - kv; a += d; b = Vector256.FusedMultiplyAdd(d, d, b); }
            s += Vector256.Sum(a); q += Vector256.Sum(b);
        }
        for (; i < v.Length; i++) { double d = v[i] - k; s += d; q += d * d; }
        return (s, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumSquaredDeviation(ReadOnlySpan<float> v, float mean)
    {
        int i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && v.Length >= 16)
        {
            var acc = Vector512<float>.Zero;
            var mv = Vector512.Create(mean);
            for (; i <= v.Length - 16; i += 16) { var d = Vector512.Create(v.Slice(i, 16)) - mv; acc = Vector512.FusedMultiplyAdd(d, d, acc); }
            s += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && v.Length - i >= 8)
        {
            var acc = Vector256<float>.Zero;
            var mv = Vector256.Create(mean);
            for (; i <= v.Length - 8; i += 8) { var d = Vector256.Create(v.Slice(i, 8)) - mv; acc = Vector256.FusedMultiplyAdd(d, d, acc); }
            s += Vector256.Sum(acc);
        }
        for (; i < v.Length; i++) { double d = v[i] - mean; s += d * d; }
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleShift(ReadOnlySpan<float> x, Span<float> y, float scale, float shift)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(scale); var bv = Vector512.Create(shift);
            for (; i <= x.Length - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)), sv, bv).CopyTo(y.Slice(i, 16));
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(scale); var bv = Vector256.Create(shift);
            for (; i <= x.Length - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(i, 8)), sv, bv).CopyTo(y.Slice(i, 8));
        }
        for (; i < x.Length; i++) y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
    }

    /// <summary>(Σ dy, Σ dy·(x − mean)) over one plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double, double) SumAndDot(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean)
    {
        int i = 0;
        double s = 0, d = 0;
        if (Vector512.IsHardwareAccelerated && dy.Length >= 16)
        {
            var a = Vector512<float>.Zero; var b = Vector512<float>.Zero; var mv = Vector512.Create(mean);
            for (; i <= dy.Length - 16; i += 16)
            {
                var g = Vector512.Create(dy.Slice(i, 16));
                a += g;
                b = Vector512.FusedMultiplyAdd(g, Vector512.Create(x.Slice(i, 16)) - mv, b);
            }
            s += Vector512.Sum(a); d += Vector512.Sum(b);
        }
        if (Vector256.IsHardwareAccelerated && dy.Length - i >= 8)
        {
            var a = Vector256<float>.Zero; var b = Vector256<float>.Zero; var mv = Vector256.Create(mean);
            for (; i <= dy.Length - 8; i += 8)
            {
                var g = Vector256.Create(dy.Slice(i, 8));
                a += g;
                b = Vector256.FusedMultiplyAdd(g, Vector256.Create(x.Slice(i, 8)) - mv, b);
            }
            s += Vector256.Sum(a); d += Vector256.Sum(b);
        }
        for (; i < dy.Length; i++) { s += dy[i]; d += dy[i] * (double)(x[i] - mean); }
        return (s, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardPlane(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx, float k, float kx, float k0, float mean, bool accumulate)
    {
        int i = 0;
        if (!accumulate)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var vk = Vector512.Create(k); var vkx = Vector512.Create(kx); var vk0 = Vector512.Create(k0); var vm = Vector512.Create(mean);
                for (; i <= dy.Length - 16; i += 16)
                {
                    var r = Vector512.FusedMultiplyAdd(Vector512.Create(dy.Slice(i, 16)), vk, vk0);
                    r = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)) - vm, vkx, r);
                    r.CopyTo(dx.Slice(i, 16));
                }
            }
            for (; i < dy.Length; i++) dx[i] = dy[i] * k + (x[i] - mean) * kx + k0;
            return;
        }
        if (Vector512.IsHardwareAccelerated)
        {
            var vk = Vector512.Create(k); var vkx = Vector512.Create(kx); var vk0 = Vector512.Create(k0); var vm = Vector512.Create(mean);
            for (; i <= dy.Length - 16; i += 16)
            {
                var r = Vector512.Create(dx.Slice(i, 16)) + vk0;
                r = Vector512.FusedMultiplyAdd(Vector512.Create(dy.Slice(i, 16)), vk, r);
                r = Vector512.FusedMultiplyAdd(Vector512.Create(x.Slice(i, 16)) - vm, vkx, r);
                r.CopyTo(dx.Slice(i, 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vk = Vector256.Create(k); var vkx = Vector256.Create(kx); var vk0 = Vector256.Create(k0); var vm = Vector256.Create(mean);
            for (; i <= dy.Length - 8; i += 8)
            {
                var r = Vector256.Create(dx.Slice(i, 8)) + vk0;
                r = Vector256.FusedMultiplyAdd(Vector256.Create(dy.Slice(i, 8)), vk, r);
                r = Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(i, 8)) - vm, vkx, r);
                r.CopyTo(dx.Slice(i, 8));
            }
        }
        for (; i < dy.Length; i++) dx[i] += dy[i] * k + (x[i] - mean) * kx + k0;
    }
}
