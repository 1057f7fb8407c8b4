using System.Globalization;
using System.Text;
using System.Text.Json;
using ResNetRealtime.Runtime.Backends.Gl;

namespace ResNetRealtime.Cli.Bench;

/// <summary>One row of <c>rr bench-ops</c>: a GL layer (or, <see cref="Extra"/>, a backend node that is no GL layer, such as
/// ONNX Runtime's layout reorders), with the median of its per-frame times and the work it does.</summary>
public sealed record OpRow(string Layer, string Kind, string Output, double Ms, long Flops, long Bytes, bool Extra = false)
{
    /// <summary>GFLOP/s at the median time (0 when unknown).</summary>
    public double GFlops => Ms > 0 && Flops > 0 ? Flops / Ms / 1e6 : 0;
    public double GBps => Ms > 0 && Bytes > 0 ? Bytes / Ms / 1e6 : 0;
}

/// <summary>The table and JSON of <c>rr bench-ops</c>: per-layer medians, GFLOP/s, GB/s and each layer's share of the sum.</summary>
internal static class OpsReport
{
    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>The GL layers of <paramref name="net"/> with their kind, output shape, FLOPs and bytes at <paramref name="batch"/>, times 0.</summary>
    public static List<OpRow> Layers(GlNetwork net, int batch) => net.Ops.Select(op =>
    {
        var o = net.Tensors[op.Output];
        return new OpRow(op.Name, Kind(op), $"{o.C}x{o.H}x{o.W}", 0, op.Kind.Flops(net, op, batch), op.Kind.Bytes(net, op, batch));
    }).ToList();

    /// <summary>"Conv 3x3/2 +res +relu": the kernel, its window and stride, and what runs in its epilogue.</summary>
    static string Kind(GlOp op)
    {
        var s = new StringBuilder(op.Kind.Name);
        if (op.Kind == GlOpKind.Conv || op.Kind == GlOpKind.MaxPool) s.Append($" {op.KH}x{op.KW}/{op.StrideH}");
        if (op.Groups > 1) s.Append($" g{op.Groups}");
        if (op.Residual >= 0) s.Append(" +res");
        if (op.Relu && op.Kind != GlOpKind.Relu) s.Append(" +relu");
        return s.ToString();
    }

    public static double Median(IReadOnlyList<double> v) => v.Count == 0 ? 0 : BenchRun.Median(v);

    public static string Table(IReadOnlyList<OpRow> rows)
    {
        double total = rows.Sum(r => r.Ms);
        int w = Math.Clamp(rows.Max(r => r.Layer.Length), 5, 48);
        var sb = new StringBuilder();
        sb.AppendLine($"{"#",3}  {"layer".PadRight(w)}  {"kind",-22} {"output",-12} {"ms (p50)",9} {"GFLOP/s",9} {"GB/s",8} {"share",7}");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            string name = r.Layer.Length > w ? "…" + r.Layer[^(w - 1)..] : r.Layer;
            sb.AppendLine($"{i + 1,3}  {name.PadRight(w)}  {Clip(r.Kind, 22),-22} {r.Output,-12} {F(r.Ms, "F3"),9} {(r.Flops > 0 ? F(r.GFlops, "F2") : "-"),9} " +
                          $"{(r.Bytes > 0 ? F(r.GBps, "F2") : "-"),8} {F(total > 0 ? 100 * r.Ms / total : 0, "F1") + "%",7}");
        }
        long flops = rows.Sum(r => r.Flops), bytes = rows.Sum(r => r.Bytes);
        sb.AppendLine($"{"",3}  {"total".PadRight(w)}  {"",-22} {"",-12} {F(total, "F3"),9} {F(total > 0 ? flops / total / 1e6 : 0, "F2"),9} {F(total > 0 ? bytes / total / 1e6 : 0, "F2"),8} {"100.0%",7}");
        return sb.ToString();
    }

    static string Clip(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    public static void WriteJson(string path, IReadOnlyList<OpRow> rows, IReadOnlyDictionary<string, string> about)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        double total = rows.Sum(r => r.Ms);
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        foreach (var (k, v) in about) w.WriteString(k, v);
        w.WriteNumber("total_ms", Math.Round(total, 6));
        w.WriteStartArray("layers");
        foreach (var r in rows)
        {
            w.WriteStartObject();
            w.WriteString("layer", r.Layer);
            w.WriteString("kind", r.Kind);
            w.WriteString("output", r.Output);
            w.WriteBoolean("backend_only", r.Extra);
            w.WriteNumber("ms_p50", Math.Round(r.Ms, 6));
            w.WriteNumber("flops", r.Flops);
            w.WriteNumber("bytes", r.Bytes);
            w.WriteNumber("gflops", Math.Round(r.GFlops, 4));
            w.WriteNumber("gbps", Math.Round(r.GBps, 4));
            w.WriteNumber("share", Math.Round(total > 0 ? r.Ms / total : 0, 6));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
