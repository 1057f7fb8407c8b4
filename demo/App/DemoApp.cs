using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Demo.App;

/// <summary>Entry points of `rr demo`: record, headless run, window run.</summary>
public static class DemoApp
{
    /// <summary>--record: labelled scene frames for training, rendered offscreen (a headless GL context), no window needed.</summary>
    public static int Record(DemoOptions o, TextWriter log)
    {
        using var ctx = GlContext.CreateHeadless();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var perClass = FrameRecording.Record(ctx.Gl, o.RecordDir, o.Frames, o.Size, o.Seed,
            i => { if (i % 1000 == 0) log.WriteLine($"rr demo: recorded {i}/{o.Frames}"); });
        log.WriteLine($"rr demo: wrote {o.Frames} frames of {o.Size}x{o.Size} ({FrameRecording.Format}, seed {o.Seed}) to {o.RecordDir} in {sw.Elapsed.TotalSeconds:F1} s; per class: " +
            string.Join(", ", SceneScript.Classes.Select((c, i) => $"{c} {perClass[i]}")));
        return 0;
    }

    public static int Run(DemoOptions o, TextWriter log)
    {
        return WindowHost.Run(o, log);
    }
}
