using ResNetRealtime.Runtime.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResNetRealtime.Training.Trainer;

/// <summary>One epoch's figures, as written to metrics.json / metrics.csv.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAcc, double TestAcc, double ElapsedS);

/// <summary>
/// The run's record: DIR/metrics.json <c>{"epochs":[{"epoch","train_loss","train_acc","test_acc","elapsed_s"}]}</c>,
/// the same as DIR/metrics.csv, and DIR/curves.svg (loss and accuracies per epoch). Epochs are 1-based;
/// elapsed_s is wall time since the start of training (carried across --resume). Accuracies are fractions.
/// </summary>
public static class MetricsFiles
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(string dir, IReadOnlyList<EpochMetrics> epochs)
    {
        var json = new
        {
            epochs = epochs.Select(e => new Dictionary<string, object>
            {
                ["epoch"] = e.Epoch, ["train_loss"] = Round(e.TrainLoss), ["train_acc"] = Round(e.TrainAcc),
                ["test_acc"] = Round(e.TestAcc), ["elapsed_s"] = Math.Round(e.ElapsedS, 3),
            }).ToArray(),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }), KillPoint.OpenTemp("metrics.json"));
        var csv = new StringBuilder("epoch,train_loss,train_acc,test_acc,elapsed_s\n");
        foreach (var e in epochs)
            csv.Append(Inv, $"{e.Epoch},{e.TrainLoss:R},{e.TrainAcc:R},{e.TestAcc:R},{Math.Round(e.ElapsedS, 3)}\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString(), KillPoint.OpenTemp("metrics.csv"));
        var x = epochs.Select(e => (double)e.Epoch).ToArray();
        AtomicFile.WriteAllText(Path.Combine(dir, "curves.svg"), SvgChart.Render("Training curves", "epoch",
            new[]
            {
                new SvgChart.Series("train loss", x, epochs.Select(e => e.TrainLoss).ToArray(), RightAxis: true),
                new SvgChart.Series("train acc", x, epochs.Select(e => e.TrainAcc).ToArray()),
                new SvgChart.Series("test acc", x, epochs.Select(e => e.TestAcc).ToArray()),
            }, leftLabel: "accuracy", rightLabel: "loss"), KillPoint.OpenTemp("curves.svg"));
    }

    // Full precision (shortest round-trip form): --resume reads earlier epochs back from metrics.json and
    // must get the very numbers the uninterrupted run would have written.
    static double Round(double v) => v;

    /// <summary>Reads metrics.json back (tests; --resume of a checkpoint older than Checkpoint.History).</summary>
    public static List<EpochMetrics> Read(string dir)
    {
        var path = Path.Combine(dir, "metrics.json");
        if (!File.Exists(path)) return new List<EpochMetrics>();
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("epochs").EnumerateArray().Select(e => new EpochMetrics(
            e.GetProperty("epoch").GetInt32(), e.GetProperty("train_loss").GetDouble(), e.GetProperty("train_acc").GetDouble(),
            e.GetProperty("test_acc").GetDouble(), e.GetProperty("elapsed_s").GetDouble())).ToList();
    }
}

/// <summary>A small dependency-free line chart in SVG: a left axis and an optional right axis, legend, grid.</summary>
public static class SvgChart
{
    public sealed record Series(string Name, double[] X, double[] Y, bool RightAxis = false, bool LogY = false);

    static readonly string[] Palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Render(string title, string xLabel, IReadOnlyList<Series> series, string leftLabel = "", string rightLabel = "", bool logLeft = false)
    {
        const int W = 760, H = 420, L = 70, R = 70, T = 40, B = 50;
        int pw = W - L - R, ph = H - T - B;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        var all = series.Where(s => s.X.Length > 0).ToList();
        double xmin = all.Count > 0 ? all.Min(s => s.X.Min()) : 0, xmax = all.Count > 0 ? all.Max(s => s.X.Max()) : 1;
        if (xmax <= xmin) { xmin -= 0.5; xmax += 0.5; }
        (double lo, double hi) Range(IEnumerable<Series> ss, bool log)
        {
            var ys = ss.SelectMany(s => s.Y).Where(double.IsFinite).Select(v => log ? Math.Log10(Math.Max(v, 1e-30)) : v).ToList();
            if (ys.Count == 0) return (0, 1);
            double lo = ys.Min(), hi = ys.Max();
            if (!log) lo = Math.Min(lo, 0);
            if (hi - lo < 1e-12) { hi = lo + 1; }
            return (lo, hi + (hi - lo) * 0.05);
        }
        var (l0, l1) = Range(all.Where(s => !s.RightAxis), logLeft);
        var (r0, r1) = Range(all.Where(s => s.RightAxis), false);
        double Px(double x) => L + (x - xmin) / (xmax - xmin) * pw;
        double Py(double y, bool right) => right ? T + ph - (y - r0) / (r1 - r0) * ph
                                                 : T + ph - ((logLeft ? Math.Log10(Math.Max(y, 1e-30)) : y) - l0) / (l1 - l0) * ph;
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{L}\" y=\"{T}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#444\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double y = T + ph - i * ph / 5.0;
            double lv = l0 + (l1 - l0) * i / 5;
            string lt = logLeft ? "1e" + F(lv) : F(lv);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{L + pw}\" y1=\"{F(y)}\" y2=\"{F(y)}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{lt}</text>\n");
            if (all.Any(s => s.RightAxis))
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L + pw + 6}\" y=\"{F(y + 4)}\">{F(r0 + (r1 - r0) * i / 5)}</text>\n");
        }
        for (int i = 0; i <= 5; i++)
        {
            double xv = xmin + (xmax - xmin) * i / 5;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Px(xv))}\" y=\"{T + ph + 18}\" text-anchor=\"middle\">{F(xv)}</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L + pw / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(16,{T + ph / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(leftLabel)}</text>\n");
        if (rightLabel.Length > 0)
            sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({W - 14},{T + ph / 2}) rotate(90)\" text-anchor=\"middle\">{Esc(rightLabel)}</text>\n");
        for (int k = 0; k < all.Count; k++)
        {
            var s = all[k];
            string color = Palette[k % Palette.Length];
            var pts = Enumerable.Range(0, Math.Min(s.X.Length, s.Y.Length)).Where(i => double.IsFinite(s.Y[i]))
                .Select(i => $"{F(Px(s.X[i]))},{F(Py(s.Y[i], s.RightAxis))}");
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(s.RightAxis ? " stroke-dasharray=\"6,3\"" : "")} points=\"{string.Join(" ", pts)}\"><title>{Esc(s.Name)}</title></polyline>\n");
            if (all.Count <= 12)
            {
                int ly = T + 14 + k * 16;
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L + 10}\" x2=\"{L + 30}\" y1=\"{ly - 4}\" y2=\"{ly - 4}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{L + 34}\" y=\"{ly}\">{Esc(s.Name)}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static string Esc(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
