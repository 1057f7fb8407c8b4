#nullable enable
using System.Diagnostics;

namespace ResNetRealtime.Runtime.Inference;

/// <summary>
/// What one frame cost, per stage, in milliseconds. Stages are measured between consecutive
/// <see cref="Stopwatch.GetTimestamp"/> stamps, so PreprocessMs + InferenceMs + PostprocessMs equals
/// TotalMs (to floating-point rounding).
/// </summary>
public readonly record struct LatencyRecord(double PreprocessMs, double InferenceMs, double PostprocessMs, double TotalMs)
{
    internal static double TicksToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>From four timestamps: start, after preprocess, after inference, after postprocess.</summary>
    internal static LatencyRecord FromStamps(long t0, long t1, long t2, long t3) =>
        new(TicksToMs(t1 - t0), TicksToMs(t2 - t1), TicksToMs(t3 - t2), TicksToMs(t3 - t0));

    public override string ToString() =>
        FormattableString.Invariant($"preprocess {PreprocessMs:F3} ms, inference {InferenceMs:F3} ms, postprocess {PostprocessMs:F3} ms, total {TotalMs:F3} ms");
}

/// <summary>
/// Rolling window of the last <see cref="Capacity"/> samples with percentiles. Add allocates nothing;
/// a percentile query sorts a pre-allocated copy (O(n log n), n ≤ Capacity). Not thread-safe.
/// Percentiles interpolate linearly between order statistics (NumPy's default "linear" method).
/// </summary>
public sealed class LatencyStats
{
    readonly double[] _ring;
    readonly double[] _sorted;
    int _count, _next;
    bool _dirty = true;

    public LatencyStats(int capacity = 1024)
    {
        if (capacity < 1) throw new ArgumentException($"capacity must be ≥ 1, got {capacity}");
        _ring = new double[capacity];
        _sorted = new double[capacity];
    }

    public int Capacity => _ring.Length;
    /// <summary>Samples currently in the window.</summary>
    public int Count => _count;
    /// <summary>Samples ever added.</summary>
    public long Total { get; private set; }

    public void Add(double ms)
    {
        _ring[_next] = ms;
        _next = (_next + 1) % _ring.Length;
        if (_count < _ring.Length) _count++;
        Total++;
        _dirty = true;
    }

    public void Clear() { _count = 0; _next = 0; Total = 0; _dirty = true; }

    ReadOnlySpan<double> Sorted()
    {
        if (_dirty)
        {
            Array.Copy(_ring, _sorted, _count);
            Array.Sort(_sorted, 0, _count);
            _dirty = false;
        }
        return _sorted.AsSpan(0, _count);
    }

    /// <summary>p in [0, 100]. NaN when empty.</summary>
    public double Percentile(double p)
    {
        if (!(p >= 0 && p <= 100)) throw new ArgumentOutOfRangeException(nameof(p), p, "percentile must be in [0, 100]");
        var s = Sorted();
        return PercentileOfSorted(s, p);
    }

    internal static double PercentileOfSorted(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }

    public double P50 => Percentile(50);
    public double P95 => Percentile(95);
    public double P99 => Percentile(99);
    public double Min => _count == 0 ? double.NaN : Sorted()[0];
    public double Max => _count == 0 ? double.NaN : Sorted()[_count - 1];

    public double Mean
    {
        get
        {
            if (_count == 0) return double.NaN;
            double s = 0;
            for (int i = 0; i < _count; i++) s += _ring[i];
            return s / _count;
        }
    }
}

/// <summary>Rolling statistics for each stage of a <see cref="LatencyRecord"/>.</summary>
public sealed class StageStats
{
    public StageStats(int capacity = 1024)
    {
        Preprocess = new LatencyStats(capacity); Inference = new LatencyStats(capacity);
        Postprocess = new LatencyStats(capacity); Total = new LatencyStats(capacity);
    }
    public LatencyStats Preprocess { get; }
    public LatencyStats Inference { get; }
    public LatencyStats Postprocess { get; }
    public LatencyStats Total { get; }

    public void Add(in LatencyRecord r)
    {
        Preprocess.Add(r.PreprocessMs); Inference.Add(r.InferenceMs); Postprocess.Add(r.PostprocessMs); Total.Add(r.TotalMs);
    }

    public void Clear() { Preprocess.Clear(); Inference.Clear(); Postprocess.Clear(); Total.Clear(); }
}
