using System.Runtime.CompilerServices;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Training.Ops;

/// <summary>
/// Fully connected layer, PyTorch layout: x [N, I] · weight [O, I]ᵀ + bias [O] → y [N, O].
/// Backward accumulates: dx [N, I] += dy · weight; dweight [O, I] += dyᵀ · x; dbias [O] += Σₙ dy.
/// Small in a ResNet (one per model), so one thread and the SGEMM kernel.
/// </summary>
public static class LinearOps
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardReference(int n, int inF, int outF, float[] x, float[] weight, float[] bias, float[] y)
    {
        Check(n, inF, outF, x, weight, bias, y);
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outF; o++)
            {
                double s = bias != null ? bias[o] : 0;
                for (int k = 0; k < inF; k++) s += (double)x[i * inF + k] * weight[o * inF + k];
                y[i * outF + o] = (float)s;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(int n, int inF, int outF, float[] x, float[] weight, float[] bias, float[] y)
    {
        Check(n, inF, outF, x, weight, bias, y);
        Sgemm.Multiply(false, true, n, outF, inF, x, inF, weight, inF, y, outF, false);
        if (bias != null)
            for (int i = 0; i < n; i++)
                for (int o = 0; o < outF; o++) y[i * outF + o] += bias[o];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(int n, int inF, int outF, float[] x, float[] weight, float[] dy, float[] dx, float[] dweight, float[] dbias)
    {
        Check(n, inF, outF, x, weight, dbias, dy);
        if (dx != null) Sgemm.Multiply(false, false, n, inF, outF, dy, outF, weight, inF, dx, inF, true);
        if (dweight != null) Sgemm.Multiply(true, false, outF, inF, n, dy, outF, x, inF, dweight, inF, true);
        if (dbias != null)
            for (int o = 0; o < outF; o++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += dy[i * outF + o];
                dbias[o] += (float)s;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardReference(int n, int inF, int outF, float[] x, float[] weight, float[] dy, float[] dx, float[] dweight, float[] dbias)
    {
        Check(n, inF, outF, x, weight, dbias, dy);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < inF; k++)
            {
                double s = 0;
                for (int o = 0; o < outF; o++) s += (double)dy[i * outF + o] * weight[o * inF + k];
                if (dx != null) dx[i * inF + k] += (float)s;
            }
        for (int o = 0; o < outF; o++)
        {
            double sb = 0;
            for (int i = 0; i < n; i++) sb += dy[i * outF + o];
            if (dbias != null) dbias[o] += (float)sb;
            for (int k = 0; k < inF; k++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += (double)dy[i * outF + o] * x[i * inF + k];
                if (dweight != null) dweight[o * inF + k] += (float)s;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Check(int n, int inF, int outF, float[] x, float[] weight, float[] bias, float[] y)
    {
        if (x.Length != n * inF) throw new ArgumentException($"linear: input length {x.Length} != N {n} x in {inF}");
        if (weight.Length != outF * inF) throw new ArgumentException($"linear: weight length {weight.Length} != out {outF} x in {inF}");
        if (bias != null && bias.Length != outF) throw new ArgumentException($"linear: bias length {bias.Length} != out {outF}");
        if (y.Length != n * outF) throw new ArgumentException($"linear: output length {y.Length} != N {n} x out {outF}");
    }
}
