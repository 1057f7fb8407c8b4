using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Training.Layers;

/// <summary>
/// nn.CrossEntropyLoss(label_smoothing=ε), mean over the batch: logits [N, K], labels [N] → scalar.
/// Forward keeps the softmax; Backward returns ∂loss/∂logits (scaled by <paramref name="scale"/>) in a
/// tensor it owns.
/// </summary>
public sealed class CrossEntropyLoss
{
    private Tensor _probs, _grad;
    private int[] _labels = Array.Empty<int>();
    private int _n;

    public CrossEntropyLoss(float labelSmoothing = 0f)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new ArgumentException($"label smoothing {labelSmoothing} outside [0, 1)");
        LabelSmoothing = labelSmoothing;
    }

    public float LabelSmoothing { get; }
    /// <summary>Softmax of the last forward's logits [N, K].</summary>
    public Tensor Probabilities => _probs;

    public double Forward(Tensor logits, ReadOnlySpan<int> labels)
    {
        if (logits.Rank != 2) throw new ArgumentException($"cross entropy: expected logits [N,K], got {logits.ShapeString}");
        int n = logits.Shape[0], k = logits.Shape[1];
        Tensor.Ensure(ref _probs, n, k);
        double loss = LossOps.CrossEntropyForward(n, k, logits.Data, labels, LabelSmoothing, _probs.Data);
        if (_labels.Length < n) _labels = new int[n];
        labels.CopyTo(_labels);
        _n = n;
        return loss;
    }

    public Tensor Backward(float scale = 1f)
    {
        if (_probs == null) throw new InvalidOperationException("cross entropy: Backward before Forward");
        int k = _probs.Shape[1];
        Tensor.Ensure(ref _grad, _n, k).Clear();
        LossOps.CrossEntropyBackward(_n, k, _probs.Data, _labels.AsSpan(0, _n), LabelSmoothing, scale, _grad.Data);
        return _grad;
    }

    /// <summary>How many rows of the last forward have their arg-max equal to the label.</summary>
    public int CorrectCount()
    {
        if (_probs == null) return 0;
        int k = _probs.Shape[1], correct = 0;
        for (int i = 0; i < _n; i++)
        {
            var row = _probs.Data.AsSpan(i * k, k);
            int best = 0;
            for (int j = 1; j < k; j++) if (row[j] > row[best]) best = j;
            if (best == _labels[i]) correct++;
        }
        return correct;
    }
}
