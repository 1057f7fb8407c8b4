// EvalScores: what `rr eval` reports, counted from labels and predictions alone — top-1 and top-k
// accuracy, per-class accuracy (recall), the confusion matrix and, given a reference model's top-1,
// the agreement with it. Pure arithmetic on int arrays, so the tests check it on hand-built cases.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Evaluation;
namespace ResNetRealtime.Tools.Evaluation;

public sealed class EvalScores
{
    public int Count { get; private init; }
    public int Classes { get; private init; }
    /// <summary>k of TopKAccuracy: min(5, classes) as predicted.</summary>
    public int K { get; private init; }
    public int Top1Correct { get; private init; }
    public int TopKCorrect { get; private init; }
    /// <summary>[true class, predicted class] → images.</summary>
    public int[,] Confusion { get; private init; }
    /// <summary>Images of each true class.</summary>
    public int[] ClassCount { get; private init; }
    /// <summary>Images whose top-1 equals the reference's; -1 without a reference.</summary>
    public int Agreements { get; private init; } = -1;

    public double Accuracy => Top1Correct / (double)Count;
    public double TopKAccuracy => TopKCorrect / (double)Count;
    public double Agreement => Agreements < 0 ? double.NaN : Agreements / (double)Count;
    /// <summary>Correct / images of class c; NaN for a class with no images.</summary>
    public double ClassAccuracy(int c) => ClassCount[c] == 0 ? double.NaN : Confusion[c, c] / (double)ClassCount[c];

    /// <param name="labels">True class of each image, in [0, classes).</param>
    /// <param name="topK">labels.Length·k predictions, best first per image (Predictor.TopK).</param>
    /// <param name="reference">The reference model's top-1 per image, or null.</param>
    public static EvalScores Tally(int[] labels, int[] topK, int k, int classes, int[] reference = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(topK);
        int n = labels.Length;
        if (n == 0) throw new ArgumentException("no images to score: the evaluation set is empty");
        if (k < 1 || topK.Length != (long)n * k) throw new ArgumentException($"{topK.Length} predictions for {n} images at k={k} ({(long)n * k} expected)");
        if (reference != null && reference.Length != n) throw new ArgumentException($"{reference.Length} reference predictions for {n} images");
        var confusion = new int[classes, classes];
        var counts = new int[classes];
        int top1 = 0, topk = 0, agree = 0;
        for (int i = 0; i < n; i++)
        {
            int y = labels[i], p = topK[i * k];
            if ((uint)y >= (uint)classes) throw new ArgumentException($"label {y} of image {i} is outside the model's {classes} classes");
            if ((uint)p >= (uint)classes) throw new ArgumentException($"prediction {p} of image {i} is outside {classes} classes");
            confusion[y, p]++;
            counts[y]++;
            if (p == y) top1++;
            if (topK.AsSpan(i * k, k).Contains(y)) topk++;
            if (reference != null && reference[i] == p) agree++;
        }
        return new EvalScores
        {
            Count = n, Classes = classes, K = k, Top1Correct = top1, TopKCorrect = topk, Confusion = confusion, ClassCount = counts,
            Agreements = reference == null ? -1 : agree,
        };
    }
}
