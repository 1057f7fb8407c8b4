using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Tests.Quantization;

namespace ResNetRealtime.Experiments.Int8;

/// <summary>
/// float32 ORT vs int8 ORT (the quantizer's QDQ model), ResNet-18/34/50 at 224², batch 1, 2 threads,
/// random weights calibrated on Gaussian images, in one interleaved run: the two sessions alternate
/// frame by frame, so load from other processes on a shared machine hits both alike. Prints p50/p99,
/// the ratio of the p50s and the median of the per-pair ratios (each float32 frame over the int8 frame
/// run right after it), which drifts least when the load changes during the run.
/// Minutes on 2 cores each (timings on a shared machine are not a check):
///   dotnet run --project experiments -c Release -- int8-vs-fp32 | int8-whole-path | int8-overhead
/// </summary>
public static class Int8BenchRun
{
    const int Frames = 150, Warmup = 10, Block = 1, Threads = 2, Size = 224;

    public static void Float32VersusInt8(ExperimentArgs args)
    {
        args.Done();
        Console.WriteLine($"ORT CPU {OrtEnv.Instance().GetVersionString()}, batch 1, {Size}x{Size}, {Threads} threads, {Frames} frames each (+{Warmup} warm-up), alternating in blocks of {Block}");
        foreach (var arch in new[] { "resnet18", "resnet34", "resnet50" })
        {
            var model = QuantTestData.ResNet(arch, Size, classes: 1000, seed: 0);
            var r = Int8Quantizer.Quantize(model, QuantTestData.Gaussian(8, 3, Size, Size, seed: 1, perBatch: 2),
                new QuantizeOptions { Method = CalibrationMethod.MinMax, Samples = 8, RunBatch = 2, Threads = Threads });
            var fusion = FusionCheck.Analyze(r.Model.ToBytes(), Threads);
            using var fp = new Session(model.ToBytes());
            using var q8 = new Session(r.Model.ToBytes());
            for (int i = 0; i < Warmup; i++) { fp.Time(); q8.Time(); }
            var tf = new List<double>(); var tq = new List<double>();
            while (tf.Count < Frames)
            {
                for (int i = 0; i < Block; i++) tf.Add(fp.Time());
                for (int i = 0; i < Block; i++) tq.Add(q8.Time());
            }
            double f50 = P(tf, 50), q50 = P(tq, 50);
            double paired = P(tf.Zip(tq, (a, b) => a / b).ToList(), 50);
            string line = $"{arch,-9} float32 p50 {f50,6:F2} p99 {P(tf, 99),6:F2} ms | int8 p50 {q50,6:F2} p99 {P(tq, 99),6:F2} ms | " +
                          $"p50 ratio {f50 / q50:F2}x, median paired ratio {paired:F2}x | {fusion}";
            Console.WriteLine(line);
            GC.Collect();
        }
    }

    public static void Int8WholePathAgainstABareInt8Session(ExperimentArgs args)
    {
        args.Done();
        // rr bench's method (BenchRunner: synthetic 1280x720 BGRA frames through Classifier, interleaved
        // with a bare ORT session on the same model), here on the int8 model: total/bare and bytes per frame.
        foreach (var arch in new[] { "resnet18", "resnet50" })
        {
            var model = QuantTestData.ResNet(arch, Size, classes: 1000, seed: 0);
            var q = Int8Quantizer.Quantize(model, QuantTestData.Gaussian(8, 3, Size, Size, seed: 1, perBatch: 2),
                new QuantizeOptions { Method = CalibrationMethod.MinMax, Samples = 8, RunBatch = 2, Threads = Threads }).Model;
            var runner = new ResNetRealtime.Cli.Bench.BenchRunner { Threads = Threads, Frames = Frames, Warmup = Warmup };
            var run = runner.Run(q, arch == "resnet18" ? 18 : 50, Size, ResNetRealtime.Cli.Bench.BenchRunner.SyntheticFrames());
            string line = $"{arch} int8 whole path: total p50 {run.Total.P50:F2} ms (pre {run.Preprocess.P50:F2}, inf {run.Inference.P50:F2}, post {run.Postprocess.P50:F3}), " +
                          $"bare int8 ORT p50 {run.BareOrt.P50:F2} ms, total/bare {run.RatioTotalToBare:F3}, {run.AllocBytesPerFrame:F1} B/frame";
            Console.WriteLine(line);
        }
    }

    public static void WhereTheInt8WholePathSpendsItsTimeOverABareSession(ExperimentArgs args)
    {
        args.Done();
        // Splits "total / bare" for the int8 ResNet-18 into its parts, frame by frame in turn (block 1) so load
        // hits every lane alike: (a) the bare session; (b) the runtime's backend alone (Finite copy + IoBinding
        // run + logits copy) on the same preprocessed input; (c) the preprocessor over a 1280x720 frame and then
        // the bare session (what the frame's bytes do to the caches); (d) the whole Classify path.
        var model = QuantTestData.ResNet("resnet18", Size, classes: 1000, seed: 0);
        var q = Int8Quantizer.Quantize(model, QuantTestData.Gaussian(8, 3, Size, Size, seed: 1, perBatch: 2),
            new QuantizeOptions { Method = CalibrationMethod.MinMax, Samples = 8, RunBatch = 2, Threads = Threads }).Model;
        var frames = ResNetRealtime.Cli.Bench.BenchRunner.SyntheticFrames();
        using var bare = new Session(q.ToBytes());
        using var clf = ResNetRealtime.Runtime.Inference.Classifier.Create(q, new ResNetRealtime.Runtime.Inference.ClassifierOptions { Threads = Threads, TopK = 5 });
        var be = clf.InferenceBackend;
        var pre = new float[clf.Preprocessor.OutputLength];
        var logits = new float[be.Classes];
        const int W = ResNetRealtime.Cli.Bench.BenchRunner.FrameWidth, H = ResNetRealtime.Cli.Bench.BenchRunner.FrameHeight;
        var ta = new List<double>(); var tb = new List<double>(); var tc = new List<double>(); var td = new List<double>();
        for (int i = -Warmup; i < 200; i++)
        {
            var f = frames[(i + Warmup) % frames.Length];
            double a = bare.Time();
            long t = Stopwatch.GetTimestamp();
            be.Run(pre, 1, logits);
            double b = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            t = Stopwatch.GetTimestamp();
            clf.Preprocessor.Run(f, W, H, W * 4, ResNetRealtime.Runtime.Imaging.PixelFormat.Bgra32, pre);
            double c = Stopwatch.GetElapsedTime(t).TotalMilliseconds + bare.Time();
            double d = clf.Classify(f, W, H, W * 4, ResNetRealtime.Runtime.Imaging.PixelFormat.Bgra32).Latency.TotalMs;
            if (i < 0) continue;
            ta.Add(a); tb.Add(b); tc.Add(c); td.Add(d);
        }
        double pa = P(ta, 50);
        string line = $"resnet18 int8, 200 frames each, in turn: bare p50 {pa:F2} ms | backend.Run {P(tb, 50):F2} ({P(tb, 50) / pa:F3}) | " +
                      $"preprocess + bare {P(tc, 50):F2} ({P(tc, 50) / pa:F3}) | Classify {P(td, 50):F2} ({P(td, 50) / pa:F3})";
        Console.WriteLine(line);
    }

    static double P(List<double> v, double p)
    {
        var s = v.Order().ToArray();
        return s[Math.Min(s.Length - 1, (int)Math.Ceiling(p / 100 * s.Length) - 1)];
    }

    sealed class Session : IDisposable
    {
        readonly SessionOptions _so = OrtBackend.MakeSessionOptions(ResNetRealtime.Runtime.Backend.OrtCpu, new BackendOptions { Threads = Threads });
        readonly InferenceSession _s;
        readonly RunOptions _run = new();
        readonly OrtValue _x;
        readonly string[] _in, _out;

        public Session(byte[] model)
        {
            _s = new InferenceSession(model, _so);
            _x = OrtValue.CreateTensorValueFromMemory(QuantTestData.Gaussian(1, 3, Size, Size, seed: 2)[0].Data, [1, 3, Size, Size]);
            _in = [_s.InputNames[0]]; _out = [_s.OutputNames[0]];
        }

        public double Time()
        {
            long t = Stopwatch.GetTimestamp();
            using (_s.Run(_run, _in, [_x], _out)) { }
            return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        public void Dispose() { _x.Dispose(); _run.Dispose(); _s.Dispose(); _so.Dispose(); }
    }
}
