// Range calibrators: each sees every value of one activation tensor over the calibration set and
// says which [min, max] its uint8 quantization should cover. The caller feeds values batch by
// batch (Observe), then asks once (Range). Methods:
//   minmax     — the exact extremes seen (no clipping: best for small, clean calibration sets);
//   percentile — clip |x| at a percentile (e.g. 99.99) of its distribution, as ORT's quantize_static;
//   entropy    — the clip threshold that minimises the KL divergence between the float histogram and
//                its quantized image (TensorRT's calibration, MXNet/ORT's formulation, with the zero
//                bin flattened as NVIDIA's pytorch-quantization does: without that, the ReLU zeros
//                pulled scene-resnet's agreement down to 91.5%; with it 99.8%).
// Clipping is symmetric in |x| and never widens the observed range: [max(min, -T), min(max, T)];
// a tensor that is never negative (after ReLU) gets [0, T].
namespace ResNetRealtime.Runtime.Quantization;

internal enum CalibrationMethod { MinMax, Percentile, Entropy }

internal interface IRangeCalibrator
{
    /// <summary>Adds values (any order, any count). Non-finite values are an error: they would poison the range.</summary>
    void Observe(ReadOnlySpan<float> values);
    /// <summary>The range to quantize; InvalidOperationException when nothing was observed.</summary>
    (float Min, float Max) Range();
}

internal static class RangeCalibrators
{
    /// <summary>Names as the command line spells them.</summary>
    public static readonly string[] Names = ["minmax", "percentile", "entropy"];

    public static CalibrationMethod Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "minmax" => CalibrationMethod.MinMax,
        "percentile" => CalibrationMethod.Percentile,
        "entropy" => CalibrationMethod.Entropy,
        _ => throw new ArgumentException($"unknown calibration method '{name}'; one of: {string.Join(", ", Names)}"),
    };

    public static string Name(CalibrationMethod m) => Names[(int)m];

    public static IRangeCalibrator Create(CalibrationMethod method, double percentile = 99.99) => method switch
    {
        CalibrationMethod.MinMax => new MinMaxCalibrator(),
        CalibrationMethod.Percentile => new PercentileCalibrator(percentile),
        CalibrationMethod.Entropy => new EntropyCalibrator(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown calibration method"),
    };
}

internal sealed class MinMaxCalibrator : IRangeCalibrator
{
    float _min = float.PositiveInfinity, _max = float.NegativeInfinity;
    long _count;

    public void Observe(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) throw new InvalidDataException($"calibration saw a non-finite activation value ({v})");
            if (v < _min) _min = v;
            if (v > _max) _max = v;
        }
        _count += values.Length;
    }

    public (float Min, float Max) Range() =>
        _count > 0 ? (_min, _max) : throw new InvalidOperationException("minmax calibrator: no values observed");
}

internal sealed class PercentileCalibrator : IRangeCalibrator
{
    readonly AbsHistogram _h = new(4096);
    public double Percentile { get; }

    public PercentileCalibrator(double percentile = 99.99)
    {
        if (!(percentile > 0 && percentile <= 100)) throw new ArgumentException($"percentile must be in (0, 100], got {percentile}");
        Percentile = percentile;
    }

    public void Observe(ReadOnlySpan<float> values) => _h.Observe(values);

    public (float Min, float Max) Range() => _h.Clip(_h.Quantile(Percentile / 100.0));
}

internal sealed class EntropyCalibrator : IRangeCalibrator
{
    /// <summary>TensorRT's histogram: 2048 bins over [0, max|x|].</summary>
    public const int Bins = 2048;
    // Collected 8× finer, then merged into exactly Bins bins over [0, max|x|] at the end, so that the
    // growing histogram's slack and doublings do not coarsen the bins the KL search sees.
    readonly AbsHistogram _h = new(Bins * 8);

    public void Observe(ReadOnlySpan<float> values) => _h.Observe(values);

    public (float Min, float Max) Range()
    {
        if (_h.Count == 0) throw new InvalidOperationException("entropy calibrator: no values observed");
        if (_h.BinWidth == 0) return (0, 0);
        double absMax = Math.Max(Math.Abs(_h.Min), Math.Abs(_h.Max));
        var counts = _h.Rebin(Bins, absMax);
        // The spike of exact zeros after a ReLU would dominate P and pull the threshold down; like
        // NVIDIA's pytorch-quantization (bins[0] = bins[1]) it is flattened to its neighbour's height.
        counts[0] = counts[1];
        // A never-negative tensor uses all 256 uint8 levels on [0, T]; a signed one about half of them per side.
        int levels = _h.Min >= 0 ? 256 : 128;
        int best = KlThresholdBin(counts, levels);
        return _h.Clip(best * absMax / Bins);
    }

    /// <summary>
    /// The number of histogram bins i (levels ≤ i ≤ bins) whose clip threshold i·width minimises
    /// KL(P‖Q): P = counts[0..i) with the outliers beyond added to its last bin, Q = counts[0..i)
    /// merged into <paramref name="levels"/> groups and spread back evenly over each group's non-empty bins.
    /// </summary>
    internal static int KlThresholdBin(long[] counts, int levels)
    {
        int n = counts.Length;
        if (levels >= n) return n;
        var suffix = new double[n + 1];
        for (int i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + counts[i];
        var p = new double[n];
        var q = new double[n];
        double bestKl = double.PositiveInfinity;
        int best = n;
        for (int i = levels; i <= n; i++)
        {
            for (int k = 0; k < i; k++) p[k] = counts[k];
            p[i - 1] += suffix[i];
            // Merge counts[0..i) into `levels` groups of i/levels bins (the last takes the remainder).
            int per = i / levels;
            for (int j = 0; j < levels; j++)
            {
                int lo = j * per, hi = j == levels - 1 ? i : lo + per;
                double total = 0; int nonzero = 0;
                for (int k = lo; k < hi; k++) { total += counts[k]; if (p[k] != 0) nonzero++; }
                for (int k = lo; k < hi; k++) q[k] = p[k] != 0 && nonzero > 0 ? total / nonzero : 0;
            }
            double kl = Kl(p.AsSpan(0, i), q.AsSpan(0, i));
            if (kl < bestKl) { bestKl = kl; best = i; }
        }
        return best;
    }

    /// <summary>KL(P‖Q) of two unnormalised histograms, both smoothed (zeros get ε of mass) as MXNet's calibration does.</summary>
    static double Kl(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        const double eps = 1e-4;
        double sp = Smooth(p, out int pz, out int pn), sq = Smooth(q, out int qz, out int qn);
        if (sp == 0 || sq == 0) return double.PositiveInfinity;
        double pShift = pn > 0 ? eps * pz / pn : 0, qShift = qn > 0 ? eps * qz / qn : 0;
        double kl = 0;
        for (int k = 0; k < p.Length; k++)
        {
            double pk = p[k] == 0 ? eps : p[k] / sp - pShift;
            double qk = q[k] == 0 ? eps : q[k] / sq - qShift;
            if (pk > 0 && qk > 0) kl += pk * Math.Log(pk / qk);
        }
        return kl;
    }

    static double Smooth(ReadOnlySpan<double> h, out int zeros, out int nonzeros)
    {
        double sum = 0; zeros = 0; nonzeros = 0;
        foreach (double v in h) { sum += v; if (v == 0) zeros++; else nonzeros++; }
        return sum;
    }
}
