using ResNetRealtime.Demo.Render;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Demo.App;

/// <summary>Rectangles of the overlay's parts, in window pixels (top-left origin); tests compare these regions.</summary>
public readonly record struct Box(int X, int Y, int W, int H);

/// <summary>
/// Draws the overlay for one frame through <see cref="Overlay"/>: top-5 panel (labels + confidence
/// bars), HUD (model, backend, depth, FPS, dropped frames, per-stage p50/p99), rolling frame-time
/// graph, CAM heatmap over the frame and the activation mosaic. Layout depends only on the window size.
/// </summary>
public sealed class Hud
{
    public const int PanelWidth = 300, GraphSamples = 120;
    /// <summary>The smallest window the layout fits: the HUD column beside the top-5 panel, HUD + graph in height.</summary>
    public const int MinWidth = 640, MinHeight = 400;
    readonly TextLine _line = new(200);
    readonly float[] _frameTimes = new float[GraphSamples];
    int _graphNext;

    public Box TopKBox { get; private set; }
    public Box HudBox { get; private set; }
    public Box GraphBox { get; private set; }
    public Box MosaicBox { get; private set; }

    /// <summary>The frame letterboxed into the window: largest size of the source's aspect that fits, centred.</summary>
    public static (float X, float Y, float W, float H) Fit(int srcW, int srcH, int dstW, int dstH)
    {
        if (srcW <= 0 || srcH <= 0) return (0, 0, dstW, dstH);
        float s = Math.Min(dstW / (float)srcW, dstH / (float)srcH);
        float w = srcW * s, h = srcH * s;
        return ((dstW - w) / 2, (dstH - h) / 2, w, h);
    }

    public void Layout(int width, int height, float lineHeight)
    {
        int lh = (int)MathF.Ceiling(lineHeight);
        TopKBox = new Box(width - PanelWidth - 10, 10, PanelWidth, 34 + 5 * (lh + 22));
        int hudLines = 13; // 3 header lines, stage header, up to 8 stages, notice
        HudBox = new Box(10, 10, Math.Min(470, width - PanelWidth - 30), 12 + hudLines * lh);
        GraphBox = new Box(10, HudBox.Y + HudBox.H + 6, HudBox.W, 70);
        int ms = Math.Min(PanelWidth, height - TopKBox.Y - TopKBox.H - 30 - lh);
        MosaicBox = new Box(width - PanelWidth - 10, TopKBox.Y + TopKBox.H + 14 + lh, ms, Math.Max(0, ms - lh));
    }

    public void AddFrameTime(double ms) { _frameTimes[_graphNext] = (float)ms; _graphNext = (_graphNext + 1) % GraphSamples; }

    public void DrawHeat(Overlay o, ResultSnapshot r, int width, int height)
    {
        if (r.HeatW == 0) return;
        o.Quad(0, 0, width, height, 0, 0, 1, 1, 1, 1, 1, 0.55f, QuadMode.Heat);
    }

    public void DrawTopK(Overlay o, ResultSnapshot r, bool hasResult)
    {
        var b = TopKBox;
        float lh = o.LineHeight;
        o.Rect(b.X, b.Y, b.W, b.H, 0.05f, 0.06f, 0.08f, 0.72f);
        o.Text(hasResult ? "Top-5" : "Top-5 (waiting for the model…)", b.X + 10, b.Y + 6, 0.85f, 0.9f, 1f);
        if (!hasResult) return;
        float y = b.Y + 10 + lh;
        for (int i = 0; i < r.Count; i++)
        {
            bool correct = r.TrueLabel >= 0 && r.TopIndex[i] == r.TrueLabel;
            _line.Clear().Append(r.TopLabel[i]).Append("  ").Append(r.TopProb[i] * 100, "F1").Append("%");
            o.Text(_line.Span, b.X + 10, y, 1, 1, 1);
            float bw = (b.W - 20) * Math.Clamp(r.TopProb[i], 0, 1);
            o.Rect(b.X + 10, y + lh + 1, b.W - 20, 12, 0.25f, 0.25f, 0.3f, 0.9f);
            if (correct) o.Rect(b.X + 10, y + lh + 1, bw, 12, 0.3f, 0.85f, 0.35f, 1);
            else if (i == 0) o.Rect(b.X + 10, y + lh + 1, bw, 12, 0.95f, 0.65f, 0.2f, 1);
            else o.Rect(b.X + 10, y + lh + 1, bw, 12, 0.4f, 0.6f, 0.95f, 1);
            y += lh + 22;
        }
    }

    public void DrawMosaic(Overlay o, ResultSnapshot r)
    {
        if (r.MosaicW == 0) return;
        var b = MosaicBox;
        if (b.W < 40) return;
        o.Rect(b.X - 2, b.Y - 2 - o.LineHeight, b.W + 4, b.H + 4 + o.LineHeight, 0.05f, 0.06f, 0.08f, 0.8f);
        _line.Clear().Append(r.MosaicLayer).Append(" activations (").Append(r.MosaicChannels).Append(r.MosaicTexture != 0 ? " channels, GPU)" : " channels)");
        o.Text(_line.Span, b.X + 2, b.Y - o.LineHeight, 0.85f, 0.9f, 1f);
        o.Quad(b.X, b.Y, b.W, b.H, 0, 0, 1, 1, 1, 1, 1, 1, QuadMode.Mosaic);
    }

    /// <summary>The HUD text block and the frame-time graph.</summary>
    public void DrawHud(Overlay o, HudInfo info)
    {
        var b = HudBox;
        float lh = o.LineHeight, x = b.X + 8, y = b.Y + 6;
        o.Rect(b.X, b.Y, b.W, b.H, 0.05f, 0.06f, 0.08f, 0.72f);
        _line.Clear().Append("ResNet-").Append(info.Depth).Append("  ·  ").Append(info.Backend).Append("  ·  ").Append(info.Source);
        o.Text(_line.Span, x, y, 1, 1, 1); y += lh;
        o.Text(info.Model ?? "", x, y, info.RandomWeights ? 1f : 0.75f, info.RandomWeights ? 0.55f : 0.85f, info.RandomWeights ? 0.4f : 0.95f, 1, b.W - 16); y += lh;
        _line.Clear().Append("FPS ").Append(info.Fps, "F1").Append("   dropped ").Append(info.Dropped).Append("   inferred ").Append(info.Inferred);
        if (info.Accuracy >= 0) _line.Append("   acc ").Append(info.Accuracy * 100, "F1").Append("%");
        if (info.Lag >= 0) _line.Append("   lag ").Append(info.Lag, "F1").Append(" fr");
        o.Text(_line.Span, x, y, 1, 1, 1); y += lh;
        o.Text("stage", x, y, 0.7f, 0.75f, 0.8f); o.Text("p50 ms", x + 150, y, 0.7f, 0.75f, 0.8f); o.Text("p99 ms", x + 220, y, 0.7f, 0.75f, 0.8f); y += lh;
        foreach (var (name, stats) in info.Stages)
        {
            _line.Clear().Append(name);
            o.Text(_line.Span, x, y, 0.9f, 0.9f, 0.9f);
            _line.Clear().Append(stats.P50, "F2");
            o.Text(_line.Span, x + 150, y, 1, 1, 1);
            _line.Clear().Append(stats.P99, "F2");
            o.Text(_line.Span, x + 220, y, 1, 1, 1);
            y += lh;
        }
        if (!string.IsNullOrEmpty(info.Notice)) o.Text(info.Notice, x, y, 1f, 0.8f, 0.3f, 1, b.W - 16);

        var g = GraphBox;
        o.Rect(g.X, g.Y, g.W, g.H, 0.05f, 0.06f, 0.08f, 0.72f);
        float max = 33.4f;
        foreach (var t in _frameTimes) if (t > max) max = t;
        float bw = (g.W - 8) / (float)GraphSamples;
        for (int i = 0; i < GraphSamples; i++)
        {
            float t = _frameTimes[(_graphNext + i) % GraphSamples];
            float h = (g.H - 8) * t / max;
            bool slow = t > 1000f / 30;
            o.Rect(g.X + 4 + i * bw, g.Y + g.H - 4 - h, MathF.Max(1, bw - 1), h, slow ? 0.95f : 0.35f, slow ? 0.4f : 0.8f, 0.35f, 0.95f);
        }
        float y60 = g.Y + g.H - 4 - (g.H - 8) * (1000f / 60) / max;
        o.Rect(g.X + 2, y60, g.W - 4, 1, 1, 1, 1, 0.5f);
        _line.Clear().Append("frame time (max ").Append(max, "F0").Append(" ms; line = 16.7 ms)");
        o.Text(_line.Span, g.X + 6, g.Y + 2, 0.75f, 0.8f, 0.85f);
    }
}

/// <summary>What the HUD shows this frame (filled by the runner; no allocation — the stage list is reused).</summary>
public sealed class HudInfo
{
    public int Depth;
    public string Backend, Source, Model, Notice;
    public bool RandomWeights;
    public double Fps, Accuracy = -1;
    /// <summary>gl path: frames between a frame and the result shown for it (mean); -1 = not shown.</summary>
    public double Lag = -1;
    public long Dropped, Inferred;
    public readonly List<(string Name, LatencyStats Stats)> Stages = new();
}
