// SvgChart: the project's one chart writer — a dependency-free SVG line chart used for training curves
// (MetricsFiles: loss on a right axis, accuracies on the left), gradient flow (log left axis) and bench
// latency against depth (categorical x, p50 line with whiskers up to p95).
//
// Layout: plot box with a grid; left axis linear from min(0, data) with "nice" steps (1/2/5 × 10^k), or
// log10 with five labelled divisions; optional right axis for RightAxis series (dashed), labelled at the
// same grid lines; x numeric, or categories evenly spaced and inset so end markers stay inside the box.
// Points with a marker (categorical charts) carry a <title> tooltip. Non-finite values are skipped.
using System.Globalization;
using System.Text;

namespace ResNetRealtime.Training.Charts;

public static class SvgChart
{
    /// <summary>
    /// One line: Y[i] at X[i] (for categorical charts X[i] is the category index). Upper, when given, draws a
    /// whisker from Y[i] up to Upper[i] (bench: p50 → p95). Color null = the palette's next colour.
    /// </summary>
    public sealed record Series(string Name, double[] X, double[] Y, bool RightAxis = false, double[] Upper = null, string Color = null);

    static readonly string[] Palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <param name="xCategories">Names of the x positions 0..n-1 (e.g. "ResNet-18"); null = numeric x axis.</param>
    public static string Render(string title, string xLabel, IReadOnlyList<Series> series, string leftLabel = "", string rightLabel = "",
                                bool logLeft = false, IReadOnlyList<string> xCategories = null)
    {
        const int W = 760, H = 420, L = 70, R = 70, T = 40, B = 50;
        int pw = W - L - R, ph = H - T - B;
        var all = series.Where(s => s.X.Length > 0).ToList();
        bool categorical = xCategories != null;

        double xmin, xmax;
        if (categorical) { xmin = -0.06 / 0.88 * Math.Max(xCategories.Count - 1, 1); xmax = Math.Max(xCategories.Count - 1, 0) - xmin; }
        else
        {
            xmin = all.Count > 0 ? all.Min(s => s.X.Min()) : 0; xmax = all.Count > 0 ? all.Max(s => s.X.Max()) : 1;
            if (xmax <= xmin) { xmin -= 0.5; xmax += 0.5; }
        }
        var (l0, l1, lstep) = Range(all.Where(s => !s.RightAxis), logLeft);
        var (r0, r1, _) = Range(all.Where(s => s.RightAxis), false);
        double Px(double x) => L + (x - xmin) / (xmax - xmin) * pw;
        double Py(double y, bool right) => right ? T + ph - (y - r0) / (r1 - r0) * ph
                                                 : T + ph - ((logLeft ? Math.Log10(Math.Max(y, 1e-30)) : y) - l0) / (l1 - l0) * ph;

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{L}\" y=\"{T}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#444\"/>\n");

        // Horizontal grid: every nice step (linear) or five divisions (log); the right axis labels the same lines.
        int lines = (int)Math.Round((l1 - l0) / lstep);
        for (int i = 0; i <= lines; i++)
        {
            double lv = l0 + i * lstep, y = T + ph - (lv - l0) / (l1 - l0) * ph;
            string lt = logLeft ? "1e" + F(lv) : F(lv);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{L + pw}\" y1=\"{F(y)}\" y2=\"{F(y)}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{lt}</text>\n");
            if (all.Any(s => s.RightAxis))
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L + pw + 6}\" y=\"{F(y + 4)}\">{F(r0 + (r1 - r0) * (lv - l0) / (l1 - l0))}</text>\n");
        }
        if (categorical)
            for (int i = 0; i < xCategories.Count; i++)
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Px(i))}\" y=\"{T + ph + 18}\" text-anchor=\"middle\">{Esc(xCategories[i])}</text>\n");
        else
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
            string color = s.Color ?? Palette[k % Palette.Length];
            // Side by side on categorical charts, so the whiskers of different series do not overlap.
            double dx = categorical ? (k - (all.Count - 1) / 2.0) * 6 : 0;
            var idx = Enumerable.Range(0, Math.Min(s.X.Length, s.Y.Length)).Where(i => double.IsFinite(s.Y[i])).ToList();
            var pts = idx.Select(i => $"{F(Px(s.X[i]) + dx)},{F(Py(s.Y[i], s.RightAxis))}");
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(s.RightAxis ? " stroke-dasharray=\"6,3\"" : "")} points=\"{string.Join(" ", pts)}\"><title>{Esc(s.Name)}</title></polyline>\n");
            foreach (int i in idx)
            {
                double x = Px(s.X[i]) + dx, y = Py(s.Y[i], s.RightAxis);
                bool whisker = s.Upper != null && i < s.Upper.Length && double.IsFinite(s.Upper[i]);
                if (whisker)
                {
                    double yu = Py(s.Upper[i], s.RightAxis);
                    sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x)}\" y1=\"{F(y)}\" x2=\"{F(x)}\" y2=\"{F(yu)}\" stroke=\"{color}\"/><line x1=\"{F(x - 4)}\" y1=\"{F(yu)}\" x2=\"{F(x + 4)}\" y2=\"{F(yu)}\" stroke=\"{color}\"/>\n");
                }
                if (categorical)
                {
                    string at = xCategories[(int)Math.Clamp(Math.Round(s.X[i]), 0, xCategories.Count - 1)];
                    sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"3.5\" fill=\"{color}\"><title>{Esc(s.Name)} {Esc(at)}: {F(s.Y[i])}{(whisker ? $" (up to {F(s.Upper[i])})" : "")}</title></circle>\n");
                }
            }
            if (all.Count <= 12)
            {
                int ly = T + 14 + k * 16;
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L + 10}\" x2=\"{L + 30}\" y1=\"{ly - 4}\" y2=\"{ly - 4}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{L + 34}\" y=\"{ly}\">{Esc(s.Name)}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Axis range and grid step: linear from min(0, data) to 5% over the data in nice steps; log: five divisions of log10.</summary>
    static (double lo, double hi, double step) Range(IEnumerable<Series> ss, bool log)
    {
        var ys = ss.SelectMany(s => s.Upper != null ? s.Y.Concat(s.Upper) : s.Y).Where(double.IsFinite)
                   .Select(v => log ? Math.Log10(Math.Max(v, 1e-30)) : v).ToList();
        if (ys.Count == 0) return (0, 1, 0.2);
        double lo = ys.Min(), hi = ys.Max();
        if (log)
        {
            if (hi - lo < 1e-12) hi = lo + 1;
            hi += (hi - lo) * 0.05;
            return (lo, hi, (hi - lo) / 5);
        }
        lo = Math.Min(lo, 0);
        if (hi - lo < 1e-12) hi = lo + 1;
        double step = NiceStep((hi - lo) * 1.05 / 5);
        return (Math.Floor(lo / step) * step, Math.Ceiling((lo + (hi - lo) * 1.05) / step) * step, step);
    }

    static double NiceStep(double raw)
    {
        if (!(raw > 0)) return 1;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }

    static string Esc(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
