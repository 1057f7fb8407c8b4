using System.Runtime.CompilerServices;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Training.Ops;

/// <summary>
/// Pooling over x [N, C, H, W]:
///   MaxPool (k×k, stride, pad; padding never wins): y [N, C, OH, OW], OH = (H + 2·pad − k)/stride + 1.
///     argmax [N·C·OH·OW] keeps the winning input index within its plane; backward dx[argmax] += dy.
///     Ties pick the first maximum in row-major window order (PyTorch's CPU kernel does the same).
///   GlobalAvgPool: y [N, C] = mean over H·W; backward dx += dy / (H·W).
/// </summary>
public static class PoolOps
{
    public static int OutSize(int size, int k, int stride, int pad) => (size + 2 * pad - k) / stride + 1;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolForward(int n, int c, int h, int w, int k, int stride, int pad, float[] x, float[] y, int[] argmax)
    {
        if (k < 1 || stride < 1 || pad < 0 || pad * 2 > k) throw new ArgumentException($"maxpool: bad kernel {k} stride {stride} pad {pad} (pad must be <= kernel/2)");
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
        if (oh < 1 || ow < 1) throw new ArgumentException($"maxpool: input {h}x{w} too small for kernel {k} pad {pad}");
        if (x.Length != n * c * h * w || y.Length != n * c * oh * ow || argmax.Length != y.Length)
            throw new ArgumentException($"maxpool: lengths x {x.Length} y {y.Length} argmax {argmax.Length} for N={n} C={c} {h}x{w} -> {oh}x{ow}");
        int planes = n * c;
        int parts = Math.Min(Workers.Threads, planes);
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (p0, p1) = Workers.Chunk(planes, part, parts);
            for (int pl = p0; pl < p1; pl++)
            {
                int xo = pl * h * w, yo = pl * oh * ow;
                for (int i = 0; i < oh; i++)
                {
                    int r0 = Math.Max(0, i * stride - pad), r1 = Math.Min(h, i * stride - pad + k);
                    for (int j = 0; j < ow; j++)
                    {
                        int q0 = Math.Max(0, j * stride - pad), q1 = Math.Min(w, j * stride - pad + k);
                        float best = float.NegativeInfinity;
                        int bi = r0 * w + q0;
                        for (int r = r0; r < r1; r++)
                            for (int q = q0; q < q1; q++)
                            {
                                float v = x[xo + r * w + q];
                                // NaN propagates like PyTorch: a NaN beats everything.
                                if (v > best || float.IsNaN(v)) { best = v; bi = r * w + q; if (float.IsNaN(v)) goto done; }
                            }
                        done:
                        y[yo + i * ow + j] = x[xo + bi];
                        argmax[yo + i * ow + j] = bi;
                    }
                }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolBackward(int n, int c, int h, int w, int oh, int ow, int[] argmax, float[] dy, float[] dx)
    {
        if (dy.Length != n * c * oh * ow || dx.Length != n * c * h * w)
            throw new ArgumentException($"maxpool backward: lengths dy {dy.Length} dx {dx.Length} for N={n} C={c} {h}x{w} -> {oh}x{ow}");
        int planes = n * c;
        int parts = Math.Min(Workers.Threads, planes);
        Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (p0, p1) = Workers.Chunk(planes, part, parts);
            for (int pl = p0; pl < p1; pl++)
            {
                int xo = pl * h * w, yo = pl * oh * ow;
                for (int i = 0; i < oh * ow; i++) dx[xo + argmax[yo + i]] += dy[yo + i];
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAvgPoolForward(int n, int c, int hw, float[] x, float[] y)
    {
        if (x.Length != n * c * hw || y.Length != n * c) throw new ArgumentException($"global avg pool: lengths x {x.Length} y {y.Length} for N={n} C={c} HW={hw}");
        for (int pl = 0; pl < n * c; pl++)
        {
            double s = 0;
            int o = pl * hw;
            for (int i = 0; i < hw; i++) s += x[o + i];
            y[pl] = (float)(s / hw);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAvgPoolBackward(int n, int c, int hw, float[] dy, float[] dx)
    {
        if (dx.Length != n * c * hw || dy.Length != n * c) throw new ArgumentException($"global avg pool backward: lengths dy {dy.Length} dx {dx.Length} for N={n} C={c} HW={hw}");
        float inv = 1f / hw;
        for (int pl = 0; pl < n * c; pl++)
        {
            float g = dy[pl] * inv;
            int o = pl * hw;
            for (int i = 0; i < hw; i++) dx[o + i] += g;
        }
    }
}
