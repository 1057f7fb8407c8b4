namespace ResNetRealtime.Tests.Training;

/// <summary>
/// Float64 forward functions used only as the oracle for finite differences (written independently of
/// the engine's float32 ops, straight from the definitions).
/// </summary>
internal static class DoubleReference
{
    public static double[] Conv(double[] x, double[] w, double[] b, int n, int c, int h, int wd, int k, int r, int s, int stride, int pad, int groups)
    {
        int oh = (h + 2 * pad - r) / stride + 1, ow = (wd + 2 * pad - s) / stride + 1, cg = c / groups, kg = k / groups;
        var y = new double[n * k * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int ki = 0; ki < k; ki++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double acc = b != null ? b[ki] : 0;
                        int g = ki / kg;
                        for (int ci = 0; ci < cg; ci++)
                            for (int ri = 0; ri < r; ri++)
                                for (int si = 0; si < s; si++)
                                {
                                    int ih = i * stride - pad + ri, iw = j * stride - pad + si;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    acc += x[((ni * c + g * cg + ci) * h + ih) * wd + iw] * w[((ki * cg + ci) * r + ri) * s + si];
                                }
                        y[((ni * k + ki) * oh + i) * ow + j] = acc;
                    }
        return y;
    }

    /// <summary>Training-mode batch norm (biased batch variance).</summary>
    public static double[] BatchNormTrain(double[] x, double[] gamma, double[] beta, int n, int c, int hw, double eps)
    {
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) mean += x[(i * c + ch) * hw + j];
            mean /= n * hw;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) { double d = x[(i * c + ch) * hw + j] - mean; var += d * d; }
            var /= n * hw;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++)
            {
                int o = (i * c + ch) * hw + j;
                y[o] = (x[o] - mean) / Math.Sqrt(var + eps) * gamma[ch] + beta[ch];
            }
        }
        return y;
    }

    public static double[] MaxPool(double[] x, int n, int c, int h, int w, int k, int stride, int pad)
    {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        var y = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double best = double.NegativeInfinity;
                    for (int r = 0; r < k; r++)
                        for (int q = 0; q < k; q++)
                        {
                            int ih = i * stride - pad + r, iw = j * stride - pad + q;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w) best = Math.Max(best, x[(p * h + ih) * w + iw]);
                        }
                    y[(p * oh + i) * ow + j] = best;
                }
        return y;
    }

    public static double[] Linear(double[] x, double[] w, double[] b, int n, int inF, int outF)
    {
        var y = new double[n * outF];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outF; o++)
            {
                double s = b != null ? b[o] : 0;
                for (int k = 0; k < inF; k++) s += x[i * inF + k] * w[o * inF + k];
                y[i * outF + o] = s;
            }
        return y;
    }

    public static double CrossEntropy(double[] logits, int[] labels, int n, int k, double eps)
    {
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < k; j++) max = Math.Max(max, logits[i * k + j]);
            double z = 0;
            for (int j = 0; j < k; j++) z += Math.Exp(logits[i * k + j] - max);
            double lse = Math.Log(z) + max;
            for (int j = 0; j < k; j++)
            {
                double q = eps / k + (j == labels[i] ? 1 - eps : 0);
                total -= q * (logits[i * k + j] - lse);
            }
        }
        return total / n;
    }
}
