// ConfusionSvg: the confusion matrix as a small standalone SVG — rows are true classes, columns predicted
// ones, each cell shaded by its share of the row (so a class with few images reads as clearly as a big
// one) and labelled with its count. Its own writer: the latency/curve charts (SvgChart) draw lines, not grids.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Evaluation;
using System.Globalization;
using System.Net;
using System.Text;

namespace ResNetRealtime.Tools.Evaluation;

public static class ConfusionSvg
{
    const int Cell = 36, Left = 120, Top = 120, Pad = 24;

    public static string Render(EvalScores s, IReadOnlyList<string> classNames, string title)
    {
        ArgumentNullException.ThrowIfNull(s);
        int n = s.Classes;
        int w = Left + n * Cell + Pad, h = Top + n * Cell + Pad + 20;
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        sb.Append(Inv($"<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"));
        sb.Append(Inv($"<text x=\"{Pad}\" y=\"20\" font-size=\"13\">{Esc(title)}</text>\n"));
        sb.Append(Inv($"<text x=\"{Left + n * Cell / 2}\" y=\"40\" text-anchor=\"middle\">predicted</text>\n"));
        sb.Append(Inv($"<text x=\"{Pad}\" y=\"{Top - 8}\">true ↓</text>\n"));
        for (int c = 0; c < n; c++)
        {
            string name = Esc(Name(classNames, c));
            int cx = Left + c * Cell + Cell / 2, cy = Top + c * Cell + Cell / 2 + 4;
            sb.Append(Inv($"<text x=\"{cx}\" y=\"{Top - 8}\" transform=\"rotate(-45 {cx} {Top - 8})\">{name}</text>\n"));
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{cy}\" text-anchor=\"end\">{name}</text>\n"));
        }
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
            {
                int count = s.Confusion[t, p];
                double share = s.ClassCount[t] == 0 ? 0 : count / (double)s.ClassCount[t];
                // Diagonal blue, off-diagonal red: a mistake stands out even when small.
                string rgb = t == p ? Shade(share, 33, 102, 172) : Shade(share, 202, 0, 32);
                int x = Left + p * Cell, y = Top + t * Cell;
                sb.Append(Inv($"<rect x=\"{x}\" y=\"{y}\" width=\"{Cell}\" height=\"{Cell}\" fill=\"{rgb}\" stroke=\"#ccc\"><title>true {Esc(Name(classNames, t))}, predicted {Esc(Name(classNames, p))}: {count}</title></rect>\n"));
                if (count > 0)
                    sb.Append(Inv($"<text x=\"{x + Cell / 2}\" y=\"{y + Cell / 2 + 4}\" text-anchor=\"middle\" fill=\"{(share > 0.5 ? "white" : "black")}\">{count}</text>\n"));
            }
        sb.Append(Inv($"<text x=\"{Pad}\" y=\"{h - 8}\">{s.Count} images, accuracy {100 * s.Accuracy:F2}%</text>\n"));
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static string Name(IReadOnlyList<string> names, int c) => names != null && c < names.Count ? names[c] : c.ToString(CultureInfo.InvariantCulture);

    /// <summary>White blended towards the colour by <paramref name="share"/> ∈ [0, 1].</summary>
    static string Shade(double share, int r, int g, int b)
    {
        int Mix(int v) => (int)Math.Round(255 + (v - 255) * share);
        return $"#{Mix(r):x2}{Mix(g):x2}{Mix(b):x2}";
    }

    static string Esc(string s) => WebUtility.HtmlEncode(s);
    static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}
