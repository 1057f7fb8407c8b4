// TeachHead: a linear classifier over teach-mode features (Zhou et al.'s CAM applies to it as to any fc).
// logits = W·x + b, W [classes, features] row-major; probabilities = softmax(logits). Immutable once made, so the
// learner can build the next one on its background thread and swap the reference while frames read the old one.
//
// Two ways to make one from the taught samples (x = L2-normalised features, TeachFeatures):
//   FromMeans   nearest class mean as a linear rule: ‖x−μk‖² = const − 2x·μk + ‖μk‖², so logits_k =
//               s·(x·μk − ‖μk‖²/2) picks the nearest mean; s (Sharpness) only sets how confident it sounds.
//   Train       multinomial logistic regression, full-batch gradient descent from the FromMeans weights with an L2
//               penalty (a few hundred taught frames: every step sees all of them; no randomness, so the same
//               samples always give the same head).
#nullable enable
using System.Numerics.Tensors;

namespace ResNetRealtime.Runtime.Teach;

public sealed class TeachHead
{
    /// <summary>logit scale of the class-mean head: with unit features x·μ spans about ±1, 16 gives confident but not saturated softmaxes.</summary>
    internal const float Sharpness = 16f;

    internal TeachHead(float[] weight, float[] bias, int[] classIds, int features, string kind)
    {
        ArgumentNullException.ThrowIfNull(weight); ArgumentNullException.ThrowIfNull(bias); ArgumentNullException.ThrowIfNull(classIds);
        if (classIds.Length == 0) throw new ArgumentException("a head needs at least one class");
        if (weight.Length != classIds.Length * features || bias.Length != classIds.Length)
            throw new ArgumentException($"head of {classIds.Length} classes × {features} features needs {classIds.Length * features} weights and {classIds.Length} biases, got {weight.Length} and {bias.Length}");
        Weight = weight; Bias = bias; ClassIds = classIds; Features = features; Kind = kind;
    }

    /// <summary>[Classes, Features] row-major: also the CAM weight matrix over the pooled features.</summary>
    public float[] Weight { get; }
    public float[] Bias { get; }
    /// <summary>The taught class (0-based slot, key 1 = 0) each row stands for, ascending.</summary>
    public int[] ClassIds { get; }
    public int Classes => ClassIds.Length;
    public int Features { get; }
    /// <summary>"class means" or "softmax regression".</summary>
    public string Kind { get; }

    /// <summary>Softmax probabilities of <paramref name="x"/> (Features values) into <paramref name="probs"/> (Classes values). Allocates nothing.</summary>
    public void Predict(ReadOnlySpan<float> x, Span<float> probs)
    {
        if (x.Length != Features) throw new ArgumentException($"features have {x.Length} values, the head takes {Features}");
        if (probs.Length < Classes) throw new ArgumentException($"probs has room for {probs.Length}, the head has {Classes} classes");
        Logits(Weight, Bias, x, probs[..Classes]);
        Softmax(probs[..Classes]);
    }

    static void Logits(ReadOnlySpan<float> w, ReadOnlySpan<float> b, ReadOnlySpan<float> x, Span<float> z)
    {
        int d = x.Length;
        for (int k = 0; k < z.Length; k++) z[k] = b[k] + TensorPrimitives.Dot(w.Slice(k * d, d), x);
    }

    static void Softmax(Span<float> z) => Inference.Classifier.Softmax(z, z); // the runtime's one softmax, in place

    /// <summary>Nearest class mean (see the header). samples[k] are the feature vectors of class classIds[k].</summary>
    internal static TeachHead FromMeans(IReadOnlyList<float[]>[] samples, int[] classIds, int features)
    {
        Check(samples, classIds, features);
        int K = classIds.Length;
        var w = new float[K * features];
        var b = new float[K];
        for (int k = 0; k < K; k++)
        {
            var row = w.AsSpan(k * features, features);
            foreach (var s in samples[k]) TensorPrimitives.Add(row, s, row);
            TensorPrimitives.Multiply(row, 1f / samples[k].Count, row);
            b[k] = -0.5f * Sharpness * TensorPrimitives.Dot(row, row);
            TensorPrimitives.Multiply(row, Sharpness, row);
        }
        return new TeachHead(w, b, (int[])classIds.Clone(), features, "class means");
    }

    /// <summary>
    /// Softmax regression (see the header): <paramref name="steps"/> full-batch gradient steps of size
    /// <paramref name="learningRate"/> on mean cross-entropy + ½·<paramref name="l2"/>·‖W‖², starting from the class means.
    /// Classes are weighted equally whatever their sample counts (a long burst of one class does not drown the others).
    /// <paramref name="neutral"/>: samples of no class, taught towards the uniform distribution with total weight
    /// <paramref name="neutralWeight"/> (the classes' total is 1). Teach mode passes none: teaching the taught frames'
    /// outer ring of cells this way (the background as no class) gained nothing over 8 live scene seeds.
    /// </summary>
    internal static TeachHead Train(IReadOnlyList<float[]>[] samples, int[] classIds, int features, int steps = 300, float learningRate = 2f, float l2 = 1e-3f,
                                  IReadOnlyList<float[]>? neutral = null, float neutralWeight = 0)
    {
        var init = FromMeans(samples, classIds, features);
        int K = classIds.Length;
        if (K < 2) return init; // one class: nothing to separate, the mean head says "this class" with p = 1
        var w = (float[])init.Weight.Clone();
        var b = (float[])init.Bias.Clone();
        var gw = new float[w.Length];
        var gb = new float[K];
        var p = new float[K];
        for (int step = 0; step < steps; step++)
        {
            Array.Clear(gw); Array.Clear(gb);
            for (int k = 0; k < K; k++)
            {
                float weight = 1f / (K * samples[k].Count); // equal weight per class
                foreach (var x in samples[k])
                {
                    Logits(w, b, x, p);
                    Softmax(p);
                    p[k] -= 1;
                    for (int j = 0; j < K; j++)
                    {
                        float g = p[j] * weight;
                        if (g == 0) continue;
                        gb[j] += g;
                        var row = gw.AsSpan(j * features, features);
                        TensorPrimitives.MultiplyAdd(x, g, row, row);
                    }
                }
            }
            if (neutral != null && neutral.Count > 0 && neutralWeight > 0)
            {
                float weight = neutralWeight / neutral.Count;
                foreach (var x in neutral)
                {
                    Logits(w, b, x, p);
                    Softmax(p);
                    for (int j = 0; j < K; j++)
                    {
                        float g = (p[j] - 1f / K) * weight;
                        gb[j] += g;
                        var row = gw.AsSpan(j * features, features);
                        TensorPrimitives.MultiplyAdd(x, g, row, row);
                    }
                }
            }
            // W -= lr (gW + l2 W); b -= lr gb
            TensorPrimitives.MultiplyAdd(w, l2, gw, gw);
            TensorPrimitives.MultiplyAdd(gw, -learningRate, w, w);
            TensorPrimitives.MultiplyAdd(gb, -learningRate, b, b);
        }
        return new TeachHead(w, b, (int[])classIds.Clone(), features, "softmax regression");
    }

    static void Check(IReadOnlyList<float[]>[] samples, int[] classIds, int features)
    {
        ArgumentNullException.ThrowIfNull(samples); ArgumentNullException.ThrowIfNull(classIds);
        if (samples.Length != classIds.Length || classIds.Length == 0)
            throw new ArgumentException($"{samples.Length} sample lists for {classIds.Length} classes (need ≥ 1, one list per class)");
        for (int k = 0; k < samples.Length; k++)
        {
            if (samples[k].Count == 0) throw new ArgumentException($"class {classIds[k]} has no samples");
            foreach (var s in samples[k])
                if (s.Length != features) throw new ArgumentException($"class {classIds[k]}: a sample has {s.Length} features, expected {features}");
        }
    }
}
