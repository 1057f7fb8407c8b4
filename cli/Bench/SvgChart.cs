using System.Globalization;
using System.Net;
using System.Text;

namespace ResNetRealtime.Cli.Bench;

/// <summary>
/// Latency against depth as a hand-written SVG: one polyline per series through the p50 points,
/// whiskers from p50 up to p95, depths evenly spaced on x (they are categories, not a scale),
/// y linear from 0 ms.
/// </summary>
public static class SvgChart
{
    public sealed record Series(string Name, string Color, IReadOnlyList<(double P50, double P95)> Points);

    public static string Render(string title, IReadOnlyList<int> depths, IReadOnlyList<Series> series, int width = 720, int height = 420)
    {
        const int left = 64, right = 24, top = 48, bottom = 56;
        double plotW = width - left - right, plotH = height - top - bottom;
        double maxY = series.SelectMany(s => s.Points).Select(p => Math.Max(p.P50, p.P95)).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        double step = NiceStep(maxY / 5);
        double yMax = Math.Ceiling(maxY * 1.05 / step) * step;
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        double X(int i) => left + (depths.Count == 1 ? plotW / 2 : plotW * (0.06 + 0.88 * i / (depths.Count - 1)));
        double Y(double v) => top + plotH * (1 - v / yMax);

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{WebUtility.HtmlEncode(title)}</text>\n");
        for (double v = 0; v <= yMax + 1e-9; v += step)
        {
            sb.Append($"<line x1=\"{left}\" y1=\"{F(Y(v))}\" x2=\"{width - right}\" y2=\"{F(Y(v))}\" stroke=\"#e4e4e4\"/>\n");
            sb.Append($"<text x=\"{left - 6}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{F(v)}</text>\n");
        }
        sb.Append($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"#444\"/>\n");
        sb.Append($"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{width - right}\" y2=\"{top + plotH}\" stroke=\"#444\"/>\n");
        for (int i = 0; i < depths.Count; i++)
            sb.Append($"<text x=\"{F(X(i))}\" y=\"{F(top + plotH + 18)}\" text-anchor=\"middle\">ResNet-{depths[i]}</text>\n");
        sb.Append($"<text x=\"{F(left + plotW / 2)}\" y=\"{height - 12}\" text-anchor=\"middle\">depth</text>\n");
        sb.Append($"<text x=\"16\" y=\"{F(top + plotH / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {F(top + plotH / 2)})\">latency per frame, ms (p50, whisker to p95)</text>\n");

        for (int s = 0; s < series.Count; s++)
        {
            var se = series[s];
            double dx = (s - (series.Count - 1) / 2.0) * 6; // side by side so whiskers do not overlap
            var pts = string.Join(" ", se.Points.Select((p, i) => $"{F(X(i) + dx)},{F(Y(p.P50))}"));
            sb.Append($"<polyline points=\"{pts}\" fill=\"none\" stroke=\"{se.Color}\" stroke-width=\"2\"/>\n");
            for (int i = 0; i < se.Points.Count; i++)
            {
                var (p50, p95) = se.Points[i];
                double x = X(i) + dx;
                sb.Append($"<line x1=\"{F(x)}\" y1=\"{F(Y(p50))}\" x2=\"{F(x)}\" y2=\"{F(Y(p95))}\" stroke=\"{se.Color}\"/>\n");
                sb.Append($"<line x1=\"{F(x - 4)}\" y1=\"{F(Y(p95))}\" x2=\"{F(x + 4)}\" y2=\"{F(Y(p95))}\" stroke=\"{se.Color}\"/>\n");
                sb.Append($"<circle cx=\"{F(x)}\" cy=\"{F(Y(p50))}\" r=\"3.5\" fill=\"{se.Color}\"><title>{WebUtility.HtmlEncode(se.Name)} ResNet-{depths[i]}: p50 {F(p50)} ms, p95 {F(p95)} ms</title></circle>\n");
            }
            double ly = top + 8 + s * 18;
            sb.Append($"<rect x=\"{left + 12}\" y=\"{F(ly - 8)}\" width=\"14\" height=\"4\" fill=\"{se.Color}\"/>\n");
            sb.Append($"<text x=\"{left + 32}\" y=\"{F(ly - 2)}\">{WebUtility.HtmlEncode(se.Name)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static double NiceStep(double raw)
    {
        if (!(raw > 0)) return 1;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }
}
