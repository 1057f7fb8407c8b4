using System.Runtime.CompilerServices;
namespace ResNetRealtime.Training.Ops;

/// <summary>
/// Cross-entropy with label smoothing ε over logits [N, K] and labels [N] (PyTorch's
/// F.cross_entropy(logits, labels, label_smoothing=ε), reduction "mean"):
///   q = (1 − ε)·onehot(label) + ε/K,   loss = (1/N) Σₙ Σₖ −qₖ · log softmax(logits)ₖ
///   dlogits += scale · (softmax − q) / N
/// Computed in float64 with the max subtracted, so large logits cannot overflow.
/// </summary>
public static class LossOps
{
    /// <summary>Returns the mean loss and writes softmax probabilities into <paramref name="probs"/> [N, K] for backward.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double CrossEntropyForward(int n, int k, float[] logits, ReadOnlySpan<int> labels, float smoothing, float[] probs)
    {
        Check(n, k, logits, labels, smoothing);
        if (probs.Length != n * k) throw new ArgumentException($"cross entropy: probs length {probs.Length} != {n}x{k}");
        double total = 0, eps = smoothing;
        for (int i = 0; i < n; i++)
        {
            int o = i * k;
            double max = double.NegativeInfinity;
            for (int j = 0; j < k; j++) max = Math.Max(max, logits[o + j]);
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.Exp(logits[o + j] - max);
            double logSum = Math.Log(sum) + max;
            double sumLogP = 0;
            for (int j = 0; j < k; j++)
            {
                double logp = logits[o + j] - logSum;
                probs[o + j] = (float)Math.Exp(logp);
                sumLogP += logp;
            }
            double nll = -(logits[o + labels[i]] - logSum);
            total += (1 - eps) * nll - eps / k * sumLogP;
        }
        return total / n;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CrossEntropyBackward(int n, int k, float[] probs, ReadOnlySpan<int> labels, float smoothing, float scale, float[] dlogits)
    {
        Check(n, k, probs, labels, smoothing);
        if (dlogits.Length != n * k) throw new ArgumentException($"cross entropy backward: dlogits length {dlogits.Length} != {n}x{k}");
        double inv = (double)scale / n, off = smoothing / (double)k;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
            {
                double q = off + (j == labels[i] ? 1 - (double)smoothing : 0);
                dlogits[i * k + j] += (float)((probs[i * k + j] - q) * inv);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Check(int n, int k, float[] logits, ReadOnlySpan<int> labels, float smoothing)
    {
        if (n < 1 || k < 1 || logits.Length != n * k) throw new ArgumentException($"cross entropy: logits length {logits.Length} for N={n} K={k}");
        if (labels.Length != n) throw new ArgumentException($"cross entropy: {labels.Length} labels for a batch of {n}");
        if (!(smoothing >= 0 && smoothing < 1)) throw new ArgumentException($"cross entropy: label smoothing {smoothing} outside [0, 1)");
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)k) throw new ArgumentException($"cross entropy: label {labels[i]} at batch index {i} outside [0, {k})");
    }
}
