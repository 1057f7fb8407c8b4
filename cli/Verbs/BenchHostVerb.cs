using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.IO;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Realtime;
using Silk.NET.OpenGL;
using PixelFormat = ResNetRealtime.Runtime.Imaging.PixelFormat;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr bench-host --backend ort-cpu|gl --model M [--frames 600] [--hz 60] [--json F]` — a host app's frame loop, measured
/// as a host sees it: each frame Submit → Update → TryGetLatest at a fixed rate, on ort-cpu (640×480 BGRA pixels) or on gl
/// (a 640×480 RGBA8 texture of rr's own headless context, FrameBudget 4 ms). Prints submit→result p50/p99 of the results
/// that arrived, the loop's own time in Submit and Update (p50/p99: the stall a host's frame pays), frames dropped (latest
/// wins) and bytes the loop's thread allocated per frame (0 in steady state). It is the harness the GPU script runs.
/// </summary>
public static class BenchHostVerb
{
    const int W = 640, H = 480;

    public static Command Create()
    {
        var backendOpt = Cli.Str("--backend", "B", "ort-cpu or gl (gl in rr's own headless GL context)", "ort-cpu");
        var modelOpt = Cli.Str("--model", "M", "an .onnx classifier", "models/scene-resnet.onnx");
        var framesOpt = Cli.Int("--frames", "N", "frames of the host loop (after 3 warm-up results)", 600, min: 1);
        var hzOpt = Cli.Int("--hz", "R", "the host loop's rate", 60, min: 1, max: 1000);
        var threadsOpt = Cli.Int("--threads", "T", "ONNX Runtime intra-op threads (ort-cpu)", 2, min: 0);
        var jsonOpt = Cli.Str("--json", "F", "write the figures as JSON", absent: "not written");
        var cmd = new Command("bench-host", "A host app's 60 Hz frame loop on one backend: submit→result p50/p99, the loop's stall in Submit/Update, drops and allocations per frame.")
            { backendOpt, modelOpt, framesOpt, hzOpt, threadsOpt, jsonOpt };
        cmd.SetAction(pr => Execute(pr.GetValue(backendOpt), pr.GetValue(modelOpt), pr.GetValue(framesOpt), pr.GetValue(hzOpt),
                                    pr.GetValue(threadsOpt), pr.GetValue(jsonOpt)));
        return cmd;
    }

    /// <summary>`rr bench-host ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(string backendName, string model, int frames, int hz, int threads, string json)
    {
        if (!InferenceNames.TryParse(backendName, out Backend backend) || backend is not (Backend.OrtCpu or Backend.Gl))
            throw new UsageException($"--backend: '{backendName}'; one of: {Backend.OrtCpu.ToName()}, {Backend.Gl.ToName()}");
        if (!File.Exists(model)) throw new FileNotFoundException($"--model: no file {Path.GetFullPath(model)}");
        var px = new byte[W * H * 4];
        new Random(1).NextBytes(px);   // stands in for the host's frame
        Figures f;
        if (backend == Backend.OrtCpu)
        {
            using var rt = RealtimeClassifier.Create(model, new RealtimeOptions { Backend = Backend.OrtCpu, Threads = threads, Cam = true });
            f = Loop(rt, () => FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), frames, hz);
            f.Device = "cpu";
        }
        else
        {
            using var ctx = GlContext.CreateHeadless();
            uint tex = Texture(ctx.Gl, px);
            try
            {
                using var rt = RealtimeClassifier.Create(model, new RealtimeOptions
                {
                    Backend = Backend.Gl, GlContext = ctx, Cam = true, FrameBudget = TimeSpan.FromMilliseconds(4),
                });
                f = Loop(rt, () => FrameInput.FromTexture(tex, W, H), frames, hz);
                f.Device = ctx.Renderer;
            }
            finally { ctx.Gl.DeleteTexture(tex); }
        }
        f.Backend = backend.ToName();
        Console.WriteLine(
            FormattableString.Invariant($"bench-host {f.Backend} ({f.Device}): {f.Frames} frames in {f.Seconds:F2} s ({f.Frames / f.Seconds:F1} Hz), {f.Results} results; ") +
            FormattableString.Invariant($"submit→result p50 {f.SubmitToResultP50:F2} ms, p99 {f.SubmitToResultP99:F2} ms; stall (Submit+Update) p50 {f.StallP50:F3} ms, p99 {f.StallP99:F3} ms; ") +
            FormattableString.Invariant($"dropped {f.Dropped} of {f.Submitted}; {f.BytesPerFrame:F1} bytes/frame"));
        if (json != null) AtomicJson(json, f);
        if (f.Results == 0) { Console.Error.WriteLine($"rr bench-host: no result arrived in {f.Frames} frames"); return 1; }
        return 0;
    }

    sealed class Figures
    {
        public string Backend { get; set; } = "";
        public string Device { get; set; } = "";
        public int Frames { get; set; }
        public double Seconds { get; set; }
        public int Results { get; set; }
        public double SubmitToResultP50 { get; set; }
        public double SubmitToResultP99 { get; set; }
        public double StallP50 { get; set; }
        public double StallP99 { get; set; }
        public long Submitted { get; set; }
        public long Dropped { get; set; }
        public double BytesPerFrame { get; set; }
    }

    static Figures Loop(RealtimeClassifier rt, Func<FrameInput> frame, int frames, int hz)
    {
        var r = rt.CreateResult();
        var s2r = new LatencyStats(frames);
        var stall = new LatencyStats(frames);
        // Warm-up outside the measurement: first-call JIT, lazily made GPU programs, both frame slots grown to this size.
        for (int w = 0; w < 3; w++)
        {
            rt.Submit(frame(), -1);
            var limit = Stopwatch.StartNew();
            while (!rt.TryGetLatest(ref r))
            {
                if (limit.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("bench-host: no warm-up result within 120 s");
                rt.Update(); Thread.Sleep(1);
            }
        }
        long submitted0 = rt.Submitted, dropped0 = rt.Dropped;
        var tick = TimeSpan.FromSeconds(1.0 / hz);
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < frames; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            rt.Submit(frame(), i);
            rt.Update();
            long t1 = Stopwatch.GetTimestamp();
            if (rt.TryGetLatest(ref r) && r.FrameId >= 0) s2r.Add(r.Latency.SubmitToResultMs);
            stall.Add(LatencyRecord.TicksToMs(t1 - t0));
            var next = tick * (i + 1);
            while (clock.Elapsed < next) { if (next - clock.Elapsed > TimeSpan.FromMilliseconds(2)) Thread.Sleep(1); else Thread.SpinWait(50); }
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytes0;
        return new Figures
        {
            Frames = frames, Seconds = clock.Elapsed.TotalSeconds, Results = s2r.Count,
            SubmitToResultP50 = s2r.Count > 0 ? s2r.P50 : double.NaN, SubmitToResultP99 = s2r.Count > 0 ? s2r.P99 : double.NaN,
            StallP50 = stall.P50, StallP99 = stall.P99,
            Submitted = rt.Submitted - submitted0, Dropped = rt.Dropped - dropped0, BytesPerFrame = bytes / (double)frames,
        };
    }

    static unsafe uint Texture(GL gl, byte[] rgba)
    {
        uint tex = gl.GenTexture();
        gl.BindTexture(GLEnum.Texture2D, tex);
        gl.TexStorage2D(GLEnum.Texture2D, 1, GLEnum.Rgba8, W, H);
        gl.PixelStore(GLEnum.UnpackAlignment, 1);
        fixed (byte* p = rgba) gl.TexSubImage2D(GLEnum.Texture2D, 0, 0, 0, W, H, GLEnum.Rgba, GLEnum.UnsignedByte, p);
        gl.BindTexture(GLEnum.Texture2D, 0);
        return tex;
    }

    static void AtomicJson(string path, Figures f) =>
        AtomicFile.WriteAllText(Path.GetFullPath(path), JsonSerializer.Serialize(f, new JsonSerializerOptions
        {
            WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
}
