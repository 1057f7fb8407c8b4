using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Realtime;
using ResNetRealtime.Tests.Gl;

namespace ResNetRealtime.Tests.Realtime;

/// <summary>
/// The host harness behind the closing note's figures (not a pass/fail test: it asserts only that the loop ran):
/// a 60 Hz frame loop of 600 frames, each frame Submit → Update → TryGetLatest, on ort-cpu (640×480 BGRA pixels) and
/// on gl (a 640×480 RGBA8 texture of the host context, FrameBudget 4 ms), measured the same way on both: submit→result
/// p50/p99 of the results that arrived, the loop's own time in Submit and in Update (p50/p99), frames dropped
/// (latest wins), and bytes the loop's thread allocated per frame.
/// Run: dotnet test tests/ResNetRealtime.Tests.csproj -c Release --no-build --filter "FullyQualifiedName~RealtimeHarness"
/// </summary>
[TestFixture, Explicit("a 20 s benchmark; run by name"), Category("Benchmark"), NonParallelizable]
public class RealtimeHarness
{
    const int Frames = 600, W = 640, H = 480;
    static readonly TimeSpan Tick = TimeSpan.FromSeconds(1 / 60.0);

    [Test]
    public void OrtCpu()
    {
        var px = RealtimeCpuTests.Frame(1, W, H);
        using var rt = RealtimeClassifier.Create(RealtimeCpuTests.Model, new RealtimeOptions { Backend = "ort-cpu", Threads = 2, Cam = true });
        Loop("ort-cpu", rt, () => FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32));
    }

    [Test, Category("Gl")]
    public void Gl()
    {
        var ctx = GlTestContext.Get();
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, RealtimeCpuTests.Frame(1, W, H), W, H);
        try
        {
            using var rt = RealtimeClassifier.Create(RealtimeCpuTests.Model, new RealtimeOptions
            {
                Backend = "gl", GlContext = ctx, Cam = true, FrameBudget = TimeSpan.FromMilliseconds(4),
            });
            Loop($"gl ({ctx.Renderer})", rt, () => FrameInput.FromTexture(tex, W, H));
        }
        finally { ctx.Gl.DeleteTexture(tex); }
    }

    delegate FrameInput MakeFrame();

    static void Loop(string name, RealtimeClassifier rt, MakeFrame frame)
    {
        var r = rt.CreateResult();
        var s2r = new LatencyStats(Frames);
        var submit = new LatencyStats(Frames);
        var update = new LatencyStats(Frames);
        // Warm-up outside the measurement: first-call JIT, lazily made GPU programs, and both frame slots grown to
        // this frame size (they swap, so each grows once).
        for (int w = 0; w < 3; w++)
        {
            rt.Submit(frame(), -1);
            for (int i = 0; i < 2000 && !rt.TryGetLatest(ref r); i++) { rt.Update(); Thread.Sleep(1); }
        }
        long submitted0 = rt.Submitted, dropped0 = rt.Dropped;
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Frames; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            rt.Submit(frame(), i);
            long t1 = Stopwatch.GetTimestamp();
            rt.Update();
            long t2 = Stopwatch.GetTimestamp();
            if (rt.TryGetLatest(ref r) && r.FrameId >= 0) s2r.Add(r.Latency.SubmitToResultMs);
            submit.Add(LatencyRecord.TicksToMs(t1 - t0));
            update.Add(LatencyRecord.TicksToMs(t2 - t1));
            var next = Tick * (i + 1);
            while (clock.Elapsed < next) { if (next - clock.Elapsed > TimeSpan.FromMilliseconds(2)) Thread.Sleep(1); else Thread.SpinWait(50); }
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytes0;
        double seconds = clock.Elapsed.TotalSeconds;
        TestContext.Progress.WriteLine(FormattableString.Invariant(
            $"{name}: {Frames} frames in {seconds:F2} s ({Frames / seconds:F1} Hz); results {s2r.Count}; submit→result p50 {s2r.P50:F1} ms, p99 {s2r.P99:F1} ms; Submit p50 {submit.P50:F3} ms, p99 {submit.P99:F3} ms; Update p50 {update.P50:F3} ms, p99 {update.P99:F3} ms; dropped {rt.Dropped - dropped0} of {rt.Submitted - submitted0}; {bytes / (double)Frames:F1} bytes/frame"));
        Assert.That(s2r.Count, Is.GreaterThan(0), "no result in 600 frames");
    }
}
