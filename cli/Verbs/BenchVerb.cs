using System.CommandLine;
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
/// with random weights (seed 0). Training speed is its own verb, <see cref="BenchTrainVerb"/> (`rr bench --train`).
/// </summary>
public static class BenchVerb
{
    public static Command Create()
    {
        var depthsOpt = Cli.IntList("--depths", "D,D", "ResNet depths to run", "18,34,50,101,152");
        var backendOpt = Cli.Str("--backend", "B", "ort-cpu, ort-dml, ort-cuda or gl", "ort-cpu");
        var sizeOpt = Cli.Int("--size", "S", "square input size of the built models", 224, min: 32, max: 1024);
        var framesOpt = Cli.Int("--frames", "N", "timed frames per depth", 100, min: 1);
        var warmupOpt = Cli.Int("--warmup", "W", "untimed frames per depth first", 10, min: 0);
        var threadsOpt = Cli.Int("--threads", "T", "inference threads", 2, min: 0);
        var modelsOpt = Cli.Str("--models", "DIR", "load DIR/resnet{depth}.onnx instead of building random-weight models", absent: "built, seed 0");
        var jsonOpt = Cli.Str("--json", "F", "write the per-depth report as JSON", absent: "not written");
        var svgOpt = Cli.Str("--svg", "F", "write a latency-against-depth chart", absent: "not written");
        var cmd = new Command("bench", "Per-frame latency across depths: the whole path (preprocess, inference, top-k) beside a bare ONNX Runtime " +
                                       "session, interleaved. Training speed: rr bench-train (or rr bench --train).")
            { depthsOpt, backendOpt, sizeOpt, framesOpt, warmupOpt, threadsOpt, modelsOpt, jsonOpt, svgOpt };
        cmd.SetAction(pr =>
        {
            string modelsDir = pr.GetValue(modelsOpt);
            if (modelsDir != null) pr.NotApplicable("with --models (the models' own input size is used)", sizeOpt);
            return Execute(pr.Ints(depthsOpt), pr.GetValue(backendOpt), pr.GetValue(sizeOpt), pr.GetValue(framesOpt), pr.GetValue(warmupOpt),
                           pr.GetValue(threadsOpt), modelsDir, pr.GetValue(jsonOpt), pr.GetValue(svgOpt), Cli.CommandLine(pr));
        });
        return cmd;
    }

    /// <summary>`rr bench ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(int[] depths, string backend, int size, int frames, int warmup, int threads, string modelsDir, string json, string svg, string commandLine)
    {
        BackendFactory.Validate(backend);
        if (depths.Length == 0) throw new UsageException("--depths needs at least one depth");
        foreach (var d in depths)
            if (modelsDir == null && !ResNetSpec.KnownNames.Contains($"resnet{d}"))
                throw new UsageException($"--depths: no ResNet of depth {d}; one of: {string.Join(", ", ResNetSpec.KnownNames.Where(n => n.StartsWith("resnet") && !n.Contains('_')).Select(n => n[6..]))}");
        if (modelsDir != null && !Directory.Exists(modelsDir)) throw new DirectoryNotFoundException($"--models: {modelsDir}: directory not found");

        Console.WriteLine($"bench: backend {backend}, {threads} thread(s), input {(modelsDir != null ? "each model's own size" : $"{size}x{size}")}, {frames} frames + {warmup} warm-up per depth, " +
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
            // A loaded model runs at its own input size; the report says that size, not --size's default.
            long modelSize = modelsDir != null ? ModelInspector.Inspect(model).InputShape[^1] : size;
            runs.Add(runner.Run(model, d, modelSize > 0 ? (int)modelSize : size, inputs));
            GC.Collect();
        }
        Console.WriteLine();
        Console.Write(BenchReport.Table(runs));
        Console.WriteLine("times in ms; ratio = our total p50 / bare ORT p50; fps = 1000 / mean total; B/frame = bytes allocated per Classify");

        var about = new Dictionary<string, string>
        {
            ["command"] = commandLine,
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["frames"] = frames.ToString(CultureInfo.InvariantCulture),
            ["warmup"] = warmup.ToString(CultureInfo.InvariantCulture),
        };
        if (json != null) { BenchReport.WriteJson(json, runs, about); Console.WriteLine($"wrote {json}"); }
        if (svg != null)
        {
            var chart = SvgChart.Render($"ResNet latency per frame, {backend}, {runs[0].Size}x{runs[0].Size}, {threads} thread(s)", runs.Select(r => r.Depth).ToList(), new[]
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
