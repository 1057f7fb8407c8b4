using System.Globalization;
using System.Text;
using System.Text.Json;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends.Ort;

namespace ResNetRealtime.Cli.Bench;

/// <summary>p50/p95/p99 of a sample set, in ms.</summary>
public readonly record struct Percentiles(double P50, double P95, double P99)
{
    public static Percentiles Of(IEnumerable<double> samples)
    {
        var s = samples.ToArray();
        Array.Sort(s);
        return new Percentiles(Runtime.Inference.LatencyStats.PercentileOfSorted(s, 50),
                               Runtime.Inference.LatencyStats.PercentileOfSorted(s, 95),
                               Runtime.Inference.LatencyStats.PercentileOfSorted(s, 99));
    }
}

/// <summary>One depth's measurements: the whole per-frame path and a bare ORT session in the same run.</summary>
public sealed record BenchRun(int Depth, Backend Backend, Precision Precision, int Size, Percentiles Preprocess, Percentiles Inference, Percentiles Postprocess,
                              Percentiles Total, Percentiles BareOrt, double Fps, double AllocBytesPerFrame)
{
    public double RatioTotalToBare => Total.P50 / BareOrt.P50;
    /// <summary>p50s of consecutive segments of the same interleaved run (`rr bench --repeat R`); empty with one.</summary>
    public IReadOnlyList<SegmentP50> Repeats { get; init; } = [];
    /// <summary>Median over <see cref="Repeats"/> of each segment's total/bare ratio (the plain ratio without segments).</summary>
    public double MedianRepeatRatio => Repeats.Count == 0 ? RatioTotalToBare : Median(Repeats.Select(r => r.Total / r.Bare));

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>One segment's p50 of our total and of the bare session, in ms.</summary>
public readonly record struct SegmentP50(double Total, double Bare);

/// <summary>Writes bench results as JSON (keys fixed by the command-line contract) and as a table.</summary>
public static class BenchReport
{
    public static void WriteJson(string path, IReadOnlyList<BenchRun> runs, IReadOnlyDictionary<string, string> about)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        foreach (var (k, v) in about) w.WriteString(k, v);
        // The native library's own version, so figures from different ORT releases are never mixed up.
        w.WriteString("onnxruntime", OrtProviders.Version);
        w.WriteStartArray("runs");
        foreach (var r in runs)
        {
            w.WriteStartObject();
            w.WriteNumber("depth", r.Depth);
            w.WriteString("backend", r.Backend.ToName());
            w.WriteString("precision", r.Precision.ToName());
            w.WriteNumber("size", r.Size);
            w.WriteStartObject("stages");
            P(w, "preprocess", r.Preprocess); P(w, "inference", r.Inference); P(w, "postprocess", r.Postprocess); P(w, "total", r.Total);
            w.WriteEndObject();
            P(w, "bare_ort", r.BareOrt);
            w.WriteNumber("ratio_total_to_bare", Math.Round(r.RatioTotalToBare, 4));
            if (r.Repeats.Count > 0)
            {
                w.WriteNumber("ratio_total_to_bare_median_of_repeats", Math.Round(r.MedianRepeatRatio, 4));
                w.WriteStartArray("repeats");
                foreach (var seg in r.Repeats)
                {
                    w.WriteStartObject();
                    w.WriteNumber("total_p50", Math.Round(seg.Total, 4)); w.WriteNumber("bare_p50", Math.Round(seg.Bare, 4));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteNumber("fps", Math.Round(r.Fps, 2));
            w.WriteNumber("alloc_bytes_per_frame", Math.Round(r.AllocBytesPerFrame, 2));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void P(Utf8JsonWriter w, string name, Percentiles p)
    {
        w.WriteStartObject(name);
        w.WriteNumber("p50", Math.Round(p.P50, 4)); w.WriteNumber("p95", Math.Round(p.P95, 4)); w.WriteNumber("p99", Math.Round(p.P99, 4));
        w.WriteEndObject();
    }

    /// <summary>The run's table; "vs fp32" = this run's total p50 / the fp32 run's total p50 at the same depth (blank without one).</summary>
    public static string Table(IReadOnlyList<BenchRun> runs)
    {
        var sb = new StringBuilder();
        sb.AppendLine("depth  backend  prec  pre p50  inf p50  post p50 | total p50    p95    p99 | bare p50    p95    p99 | ratio vs fp32    fps  B/frame");
        foreach (var r in runs)
        {
            var fp32 = runs.FirstOrDefault(o => o.Depth == r.Depth && o.Precision == Precision.Fp32);
            string vs = fp32 == null || ReferenceEquals(fp32, r) ? "" : (r.Total.P50 / fp32.Total.P50).ToString("F3", CultureInfo.InvariantCulture);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Depth,5}  {r.Backend.ToName(),-8} {r.Precision.ToName(),-4} {r.Preprocess.P50,8:F3} {r.Inference.P50,8:F2} {r.Postprocess.P50,9:F3} | {r.Total.P50,9:F2} {r.Total.P95,6:F2} {r.Total.P99,6:F2} | {r.BareOrt.P50,8:F2} {r.BareOrt.P95,6:F2} {r.BareOrt.P99,6:F2} | {r.RatioTotalToBare,5:F3} {vs,7} {r.Fps,6:F1} {r.AllocBytesPerFrame,8:F1}"));
        }
        return sb.ToString();
    }
}
