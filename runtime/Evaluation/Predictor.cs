// Predictor: the k best classes of every image, in order, through any IInferenceBackend — what
// `rr eval` scores and what the int8-vs-float32 agreement is counted on. One argmax/top-k owner
// (TopIndices) shared with Quantization.Top1.
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Quantization;

namespace ResNetRealtime.Runtime.Evaluation;

internal static class Predictor
{
    /// <summary>
    /// Runs every image of <paramref name="batches"/> (NCHW, normalised) through <paramref name="backend"/> in
    /// runs of at most MaxBatch images. Returns n·k class indices, image i's best first at [i·k, i·k+k);
    /// k is min(<paramref name="k"/>, the backend's class count).
    /// </summary>
    public static int[] TopK(IInferenceBackend backend, IEnumerable<CalibrationBatch> batches, int k, out int kUsed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be ≥ 1");
        kUsed = Math.Min(k, backend.Classes);
        int classes = backend.Classes, step = backend.MaxBatch, imageLen = backend.Channels * backend.Height * backend.Width;
        var logits = new float[step * classes];
        var result = new List<int>();
        var row = new int[kUsed];
        int index = 0;
        foreach (var b in batches)
        {
            if (b.Channels != backend.Channels || b.Height != backend.Height || b.Width != backend.Width)
                throw new ArgumentException($"batch {index} is {b.Channels}x{b.Height}x{b.Width} (CxHxW) but the model takes {backend.Channels}x{backend.Height}x{backend.Width}");
            for (int start = 0; start < b.Count; start += step)
            {
                int n = Math.Min(step, b.Count - start);
                backend.Run(b.Data.AsSpan(start * imageLen, n * imageLen), n, logits);
                for (int i = 0; i < n; i++)
                {
                    TopIndices(logits.AsSpan(i * classes, classes), row);
                    result.AddRange(row);
                }
            }
            index++;
        }
        return [.. result];
    }

    /// <summary>
    /// The indices of the dst.Length largest values of <paramref name="values"/>, largest first; ties go to the
    /// lower index (as argmax does). Partial insertion sort: k is small (1 or 5) next to the class count.
    /// </summary>
    public static void TopIndices(ReadOnlySpan<float> values, Span<int> dst)
    {
        int k = dst.Length;
        if (k > values.Length) throw new ArgumentException($"top-{k} of {values.Length} values");
        int filled = 0;
        for (int c = 0; c < values.Length; c++)
        {
            float v = values[c];
            if (filled == k && !(v > values[dst[k - 1]])) continue;
            int pos = filled < k ? filled++ : k - 1;
            while (pos > 0 && v > values[dst[pos - 1]]) { dst[pos] = dst[pos - 1]; pos--; }
            dst[pos] = c;
        }
    }
}
