using ResNetRealtime.Demo.App;
using ResNetRealtime.Demo.Sources;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr demo` — the live window (or headless run) over the rendered scene, a webcam, a video or an image,
/// with top-5 overlay, CAM heatmap, activation mosaic, latency HUD and live depth/backend switching;
/// `--record DIR --frames N [--size S]` writes labelled scene frames (rr-frames-v1) for training.
/// </summary>
public static class DemoVerb
{
    public const string Usage =
        "rr demo [--source scene|webcam[:DEV]|video:PATH|image:PATH] [--model M.onnx] [--models DIR] [--backend auto|ort-cpu|gl|ort-dml]\n" +
        "        [--headless --frames N --out DIR] [--budget-ms X] [--seed S] [--width W --height H] [--depth 18]\n" +
        "        [--keys FRAME:KEY,...]   replay live keys at frames (1-5 depth, b backend, h, m, l, p, space, q)\n" +
        "rr demo --record DIR --frames N [--size 64] [--seed S]";

    public static int Run(string[] argv)
    {
        var a = new Args(argv);
        if (a.Flag("help")) { Console.WriteLine(Usage); a.Finish(); return 0; }
        var o = new DemoOptions();
        try { o.Source = SourceSpec.Parse(a.String("source", "scene")); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        o.ModelPath = a.String("model");
        o.ModelsDir = a.String("models");
        o.Backend = a.String("backend", "auto");
        if (o.Backend is not ("auto" or "ort-cpu" or "gl" or "ort-dml" or "ort-cuda"))
            throw new UsageException($"--backend '{o.Backend}' is not one of: auto, ort-cpu, gl, ort-dml, ort-cuda");
        o.Headless = a.Flag("headless");
        o.Frames = a.Int("frames", 0, 0, 10_000_000);
        o.OutDir = a.String("out");
        o.RecordDir = a.String("record");
        o.Size = a.Int("size", 64, 8, 1024);
        o.BudgetMs = a.Double("budget-ms", 0);
        if (o.BudgetMs < 0) throw new UsageException($"--budget-ms must be ≥ 0 (got {o.BudgetMs})");
        o.Seed = (ulong)a.Int("seed", 1, 0);
        o.Width = a.Int("width", 960, Hud.MinWidth, 8192);
        o.Height = a.Int("height", 600, Hud.MinHeight, 8192);
        o.ScreenshotEvery = a.Int("screenshot-every", 30, 1);
        o.Depth = a.Int("depth", 18);
        if (o.Depth is not (18 or 34 or 50 or 101 or 152)) throw new UsageException($"--depth must be 18, 34, 50, 101 or 152 (got {o.Depth})");
        o.WriteBare = a.Flag("bare");
        o.Keys = a.String("keys");
        try { DemoKeys.Parse(o.Keys); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        a.Finish();

        if (o.RecordDir != null)
        {
            if (o.Frames <= 0) throw new UsageException("--record needs --frames N (N ≥ 1)");
            if (o.Source.Kind != SourceKind.Scene) throw new UsageException("--record records the rendered scene; drop --source");
            return DemoApp.Record(o, Console.Error);
        }
        if (o.Headless && o.Frames <= 0) o.Frames = 120;
        return DemoApp.Run(o, Console.Error);
    }
}
