using System.Globalization;
using ResNetRealtime.Cli.Bench;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr bench [--depths 18,34,50,101,152] [--backend B] [--size 224] [--frames N] [--warmup W]
///  [--models DIR] [--json F] [--svg F] [--threads T]` — per depth, the whole per-frame path on
/// synthetic 1280×720 BGRA frames beside a bare ONNX Runtime session on the same model, interleaved
/// (see <see cref="BenchRunner"/>). Models: DIR/resnet{depth}.onnx when --models is given, else built
/// with random weights (seed 0). `--train` delegates to TrainVerb.Bench.
/// </summary>
public static class BenchVerb
{
    public static int Run(string[] args)
    {
        if (args.Contains("--train")) return TrainVerb.Bench(args);
        var a = new Args(args);
        int[] depths = a.IntList("depths", new[] { 18, 34, 50, 101, 152 });
        string backend = a.String("backend", "ort-cpu");
        int size = a.Int("size", 224, min: 32, max: 1024);
        int frames = a.Int("frames", 100, min: 1);
        int warmup = a.Int("warmup", 10, min: 0);
        int threads = a.Int("threads", 2, min: 0);
        string modelsDir = a.String("models");
        string json = a.String("json");
        string svg = a.String("svg");
        a.Finish();
        BackendFactory.Validate(backend);
        if (depths.Length == 0) throw new UsageException("--depths needs at least one depth");
        foreach (var d in depths)
            if (modelsDir == null && !ResNetSpec.KnownNames.Contains($"resnet{d}"))
                throw new UsageException($"--depths: no ResNet of depth {d}; one of: {string.Join(", ", ResNetSpec.KnownNames.Where(n => n.StartsWith("resnet") && !n.Contains('_')).Select(n => n[6..]))}");
        if (modelsDir != null && !Directory.Exists(modelsDir)) throw new DirectoryNotFoundException($"--models: {modelsDir}: directory not found");

        Console.WriteLine($"bench: backend {backend}, {threads} thread(s), input {size}x{size}, {frames} frames + {warmup} warm-up per depth, " +
                          $"synthetic {BenchRunner.FrameWidth}x{BenchRunner.FrameHeight} BGRA frames; bare ORT interleaved in blocks of 5");
        var runner = new BenchRunner { Backend = backend, Threads = threads, Frames = frames, Warmup = warmup, Progress = m => Console.Error.WriteLine("  " + m) };
        var inputs = BenchRunner.SyntheticFrames();
        var runs = new List<BenchRun>();
        foreach (var d in depths)
        {
            OnnxModel model;
            if (modelsDir != null)
            {
                var path = Path.Combine(modelsDir, $"resnet{d}.onnx");
                Console.Error.WriteLine($"  ResNet-{d}: loading {path}");
                model = OnnxModel.Load(path);
            }
            else
            {
                Console.Error.WriteLine($"  ResNet-{d}: building with random weights");
                model = ResNetOnnxBuilder.Build(ResNetSpec.FromName($"resnet{d}", 1000, 3, size), seed: 0);
            }
            runs.Add(runner.Run(model, d, size, inputs));
            GC.Collect();
        }
        Console.WriteLine();
        Console.Write(BenchReport.Table(runs));
        Console.WriteLine("times in ms; ratio = our total p50 / bare ORT p50; fps = 1000 / mean total; B/frame = bytes allocated per Classify");

        var about = new Dictionary<string, string>
        {
            ["command"] = "rr bench " + string.Join(" ", args),
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["frames"] = frames.ToString(CultureInfo.InvariantCulture),
            ["warmup"] = warmup.ToString(CultureInfo.InvariantCulture),
        };
        if (json != null) { BenchReport.WriteJson(json, runs, about); Console.WriteLine($"wrote {json}"); }
        if (svg != null)
        {
            var chart = SvgChart.Render($"ResNet latency per frame, {backend}, {size}x{size}, {threads} thread(s)", runs.Select(r => r.Depth).ToList(), new[]
            {
                new SvgChart.Series("whole path (preprocess + inference + top-k)", "#d62728", runs.Select(r => (r.Total.P50, r.Total.P95)).ToList()),
                new SvgChart.Series("bare ONNX Runtime session", "#1f77b4", runs.Select(r => (r.BareOrt.P50, r.BareOrt.P95)).ToList()),
            });
            var dir = Path.GetDirectoryName(Path.GetFullPath(svg));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllText(svg, chart);
            Console.WriteLine($"wrote {svg}");
        }
        return 0;
    }
}
