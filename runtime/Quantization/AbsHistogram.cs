// AbsHistogram: a histogram of |x| over [0, bins·width) that grows without a first pass. The first
// non-zero value sets the width; when a later value falls beyond the top, the width doubles (as many
// times as needed) and neighbouring bins merge pairwise, so counts stay exact — only resolution is
// lost, never mass. Also tracks the signed min and max, which the clip keeps within.
namespace ResNetRealtime.Runtime.Quantization;

internal sealed class AbsHistogram
{
    public long[] Counts { get; }
    public double BinWidth { get; private set; }
    public long Count { get; private set; }
    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;
    long _zerosBeforeWidth;   // zeros seen while the width was still unknown (all-zero so far)

    public AbsHistogram(int bins) => Counts = new long[bins];

    public void Observe(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        float absMax = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) throw new InvalidDataException($"calibration saw a non-finite activation value ({v})");
            if (v < Min) Min = v;
            if (v > Max) Max = v;
            absMax = Math.Max(absMax, Math.Abs(v));
        }
        Count += values.Length;
        if (BinWidth == 0)
        {
            if (absMax == 0) { _zerosBeforeWidth += values.Length; return; }
            // Slack above the first maximum, so a slightly larger value later does not halve the resolution.
            BinWidth = absMax * 1.25 / Counts.Length;
            Counts[0] += _zerosBeforeWidth;
        }
        while (absMax >= BinWidth * Counts.Length) Double();
        int top = Counts.Length - 1;
        double inv = 1.0 / BinWidth;
        foreach (float v in values) Counts[Math.Min((int)(Math.Abs(v) * inv), top)]++;
    }

    void Double()
    {
        int n = Counts.Length;
        for (int i = 0; i < n / 2; i++) Counts[i] = Counts[2 * i] + Counts[2 * i + 1];
        if (n % 2 == 1) Counts[n / 2] = Counts[n - 1];
        Array.Clear(Counts, (n + 1) / 2, n - (n + 1) / 2);
        BinWidth *= 2;
    }

    /// <summary>|x| below which the fraction <paramref name="q"/> of values lies (linear within a bin).</summary>
    public double Quantile(double q)
    {
        if (Count == 0) throw new InvalidOperationException("percentile calibrator: no values observed");
        if (BinWidth == 0) return 0;
        double target = q * Count, seen = 0;
        for (int i = 0; i < Counts.Length; i++)
        {
            if (seen + Counts[i] >= target)
                return (i + (Counts[i] > 0 ? (target - seen) / Counts[i] : 0)) * BinWidth;
            seen += Counts[i];
        }
        return Counts.Length * BinWidth;
    }

    /// <summary>The counts merged into <paramref name="bins"/> equal bins over [0, <paramref name="top"/>]: each
    /// fine bin goes whole to the coarse bin holding its centre (exact up to one fine bin's width).</summary>
    public long[] Rebin(int bins, double top)
    {
        var coarse = new long[bins];
        double scale = bins / top;
        for (int i = 0; i < Counts.Length; i++)
            if (Counts[i] != 0) coarse[Math.Min((int)((i + 0.5) * BinWidth * scale), bins - 1)] += Counts[i];
        return coarse;
    }

    /// <summary>The observed range clipped to [-t, t].</summary>
    public (float Min, float Max) Clip(double t)
    {
        if (Count == 0) throw new InvalidOperationException("calibrator: no values observed");
        float ft = (float)t;
        return (Math.Max(Min, -ft), Math.Min(Max, ft));
    }
}
