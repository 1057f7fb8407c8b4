using System.CommandLine;
using System.Globalization;
using ResNetRealtime.Cli.Bench;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Training.Charts;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr bench [--depths 18,34,50,101,152] [--backend B] [--size 224] [--frames N] [--warmup W]
///  [--models DIR] [--json F] [--svg F] [--threads T] [--precision fp32,int8]` — per depth, the whole per-frame path on
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
        var repeatOpt = Cli.Int("--repeat", "R", "cut the timed frames into R consecutive segments and report each one's total/bare ratio and their median", 1, min: 1);
        var threadsOpt = Cli.Int("--threads", "T", "inference threads", 2, min: 0);
        var modelsOpt = Cli.Str("--models", "DIR", "load DIR/resnet{depth}.onnx instead of building random-weight models", absent: "built, seed 0");
        var jsonOpt = Cli.Str("--json", "F", "write the per-depth report as JSON", absent: "not written");
        var svgOpt = Cli.Str("--svg", "F", "write a latency-against-depth chart", absent: "not written");
        var precisionOpt = Cli.List("--precision", "fp32,int8", "precisions to measure, interleaved per depth; int8 quantizes each model on first use " +
                                    "(cached; seeded Gaussian calibration, accuracy not measured) or runs an int8 --models file as it is", "fp32");
        var cmd = new Command("bench", "Per-frame latency across depths: the whole path (preprocess, inference, top-k) beside a bare ONNX Runtime " +
                                       "session, interleaved. Training speed: rr bench-train (or rr bench --train).")
            { depthsOpt, backendOpt, sizeOpt, framesOpt, warmupOpt, repeatOpt, threadsOpt, modelsOpt, jsonOpt, svgOpt, precisionOpt };
        cmd.SetAction(pr =>
        {
            string modelsDir = pr.GetValue(modelsOpt);
            if (modelsDir != null) pr.NotApplicable("with --models (the models' own input size is used)", sizeOpt);
            return Execute(pr.Ints(depthsOpt), pr.GetValue(backendOpt), pr.GetValue(sizeOpt), pr.GetValue(framesOpt), pr.GetValue(warmupOpt),
                           pr.GetValue(repeatOpt), pr.GetValue(threadsOpt), modelsDir, pr.GetValue(jsonOpt), pr.GetValue(svgOpt), Precisions(pr.Items(precisionOpt)), Cli.CommandLine(pr));
        });
        return cmd;
    }

    /// <summary>`rr bench ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static Precision[] Precisions(string[] given) =>
        given.Length == 0 ? [Precision.Fp32] : given.Distinct().Select(x => Cli.ParsePrecision(x)).ToArray();

    static int Execute(int[] depths, string backendName, int size, int frames, int warmup, int repeats, int threads, string modelsDir, string json, string svg,
                       Precision[] precisions, string commandLine)
    {
        var backend = Cli.ParseBackend(backendName);
        BackendFactory.Validate(backend);
        if (precisions.Contains(Precision.Int8)) Int8Cache.RequireCpu(backend);
        if (depths.Length == 0) throw new UsageException("--depths needs at least one depth");
        if (repeats > frames) throw new UsageException($"--repeat {repeats} is more segments than --frames {frames}");
        foreach (var d in depths)
            if (modelsDir == null && !ResNetSpec.KnownNames.Contains($"resnet{d}"))
                throw new UsageException($"--depths: no ResNet of depth {d}; one of: {string.Join(", ", ResNetSpec.KnownNames.Where(n => n.StartsWith("resnet") && !n.Contains('_')).Select(n => n[6..]))}");
        string pretrained = ResNetRealtime.Tools.Pretrained.ModelSource.IsPretrained(modelsDir) ? ResNetRealtime.Tools.Pretrained.ModelSource.Resolve(modelsDir) : null;
        if (pretrained != null && !depths.SequenceEqual([18])) throw new UsageException($"--models {modelsDir} is one ResNet-18: pass --depths 18 (got {string.Join(",", depths)})");
        if (modelsDir != null && pretrained == null && !Directory.Exists(modelsDir)) throw new DirectoryNotFoundException($"--models: {modelsDir}: directory not found");

        Console.WriteLine($"bench: backend {backend.ToName()}, {threads} thread(s), input {(modelsDir != null ? "each model's own size" : $"{size}x{size}")}, {frames} frames + {warmup} warm-up per depth, " +
                          $"synthetic {BenchRunner.FrameWidth}x{BenchRunner.FrameHeight} BGRA frames; precision {string.Join(" + ", precisions.Select(p => p.ToName()))}; bare ORT interleaved in blocks of 5");
        Console.WriteLine($"cpu: {Environment.ProcessorCount} logical cores; {CpuIsa.Describe()}");
        var runner = new BenchRunner { Backend = backend, Threads = threads, Frames = frames, Warmup = warmup, Repeats = repeats, Progress = m => Console.Error.WriteLine("  " + m) };
        var inputs = BenchRunner.SyntheticFrames();
        var runs = new List<BenchRun>();
        foreach (var d in depths)
        {
            OnnxModel model;
            if (modelsDir != null)
            {
                var path = pretrained ?? Path.Combine(modelsDir, $"resnet{d}.onnx");
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
            // fp32 of an int8 --models file does not exist: only the int8 lane can run it.
            if (precisions.Contains(Precision.Fp32) && Int8Quantizer.IsQuantized(model))
                throw new InvalidDataException($"ResNet-{d}: the model is already int8; --precision fp32 needs a float32 model");
            var lanes = precisions.Select(p => (p == Precision.Int8 ? Int8Cache.Get(model) : model, p)).ToList();
            runs.AddRange(runner.Run(lanes, d, modelSize > 0 ? (int)modelSize : size, inputs));
            GC.Collect();
        }
        Console.WriteLine();
        Console.Write(BenchReport.Table(runs));
        Console.WriteLine("times in ms; ratio = our total p50 / bare ORT p50 (same model, same precision); vs fp32 = total p50 / fp32 total p50 at that depth; " +
                          "fps = 1000 / mean total; B/frame = bytes allocated per Classify");
        if (repeats > 1) Console.Write(RepeatLines(runs, repeats, frames));

        var about = new Dictionary<string, string>
        {
            ["command"] = commandLine,
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            ["cpu_isa"] = string.Join(' ', CpuIsa.Present),
            ["cpu_isa_absent"] = string.Join(' ', CpuIsa.Absent),
            ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["frames"] = frames.ToString(CultureInfo.InvariantCulture),
            ["warmup"] = warmup.ToString(CultureInfo.InvariantCulture),
            ["repeats"] = repeats.ToString(CultureInfo.InvariantCulture),
        };
        if (json != null) { BenchReport.WriteJson(json, runs, about); Console.WriteLine($"wrote {json}"); }
        if (svg != null)
        {
            var chart = SvgChart.Render($"ResNet latency per frame, {backend.ToName()}, {runs[0].Size}x{runs[0].Size}, {threads} thread(s)", "depth", Series(runs, precisions),
                                        leftLabel: "latency per frame, ms (p50, whisker to p95)", xCategories: depths.Select(d => $"ResNet-{d}").ToArray());
            var dir = Path.GetDirectoryName(Path.GetFullPath(svg));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllText(svg, chart);
            Console.WriteLine($"wrote {svg}");
        }
        return 0;
    }

    /// <summary>Per depth and precision: each segment's total/bare ratio (and int8 / fp32 of total p50) and the median.</summary>
    static string RepeatLines(List<BenchRun> runs, int repeats, int frames)
    {
        static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        var sb = new System.Text.StringBuilder($"{repeats} segments of ~{frames / repeats} frames each, in time order (same interleaved run):\n");
        foreach (var r in runs)
        {
            sb.Append($"  ResNet-{r.Depth} {r.Precision.ToName()}: total/bare {string.Join(" ", r.Repeats.Select(s => F(s.Total / s.Bare)))} → median {F(r.MedianRepeatRatio)}");
            var fp32 = runs.FirstOrDefault(o => o.Depth == r.Depth && o.Precision == Precision.Fp32);
            if (fp32 != null && !ReferenceEquals(fp32, r))
            {
                var vs = r.Repeats.Zip(fp32.Repeats, (q, f) => q.Total / f.Total).ToArray();
                sb.Append($"; vs fp32 {string.Join(" ", vs.Select(F))} → median {F(BenchRun.Median(vs))}");
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Per precision: the whole path and the bare session (fp32 red/blue, int8 orange/green).</summary>
    static List<SvgChart.Series> Series(List<BenchRun> runs, Precision[] precisions)
    {
        var list = new List<SvgChart.Series>();
        foreach (var p in precisions)
        {
            var rs = runs.Where(r => r.Precision == p).ToList();
            bool int8 = p == Precision.Int8;
            string tag = precisions.Length > 1 || int8 ? $"{(int8 ? "int8" : "float32")}: " : "";
            double[] x = rs.Select((_, i) => (double)i).ToArray();
            list.Add(new SvgChart.Series($"{tag}whole path (preprocess + inference + top-k)", x, rs.Select(r => r.Total.P50).ToArray(),
                                         Upper: rs.Select(r => r.Total.P95).ToArray(), Color: int8 ? "#ff7f0e" : "#d62728"));
            list.Add(new SvgChart.Series($"{tag}bare ONNX Runtime session", x, rs.Select(r => r.BareOrt.P50).ToArray(),
                                         Upper: rs.Select(r => r.BareOrt.P95).ToArray(), Color: int8 ? "#2ca02c" : "#1f77b4"));
        }
        return list;
    }
}
