using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Cli.Bench;

/// <summary>
/// Times one model two ways in the same process, interleaved: (a) the whole per-frame path —
/// synthetic 1280×720 BGRA frame → Classifier.Classify (preprocess, backend, softmax/top-k); (b) a bare
/// ONNX Runtime InferenceSession with the same session options doing a plain Run on a pre-made
/// preprocessed input. Blocks of <see cref="BlockSize"/> frames alternate between (a) and (b), so slow
/// drift on a shared machine (other processes, thermal) hits both alike.
/// </summary>
public sealed class BenchRunner
{
    public const int FrameWidth = 1280, FrameHeight = 720, FrameCount = 8;
    public int BlockSize { get; init; } = 5;
    public int Frames { get; init; } = 100;
    public int Warmup { get; init; } = 10;
    public int Threads { get; init; }
    public string Backend { get; init; } = "ort-cpu";
    public Action<string> Progress { get; init; } = _ => { };

    /// <summary>Frames whose content changes every frame (moving gradients and a checkerboard), so nothing is cached by accident.</summary>
    public static byte[][] SyntheticFrames()
    {
        var frames = new byte[FrameCount][];
        for (int f = 0; f < FrameCount; f++)
        {
            var px = new byte[FrameWidth * FrameHeight * 4];
            for (int y = 0; y < FrameHeight; y++)
                for (int x = 0; x < FrameWidth; x++)
                {
                    int o = (y * FrameWidth + x) * 4;
                    bool check = ((x + f * 40) / 64 + y / 64) % 2 == 0;
                    px[o] = (byte)((x + f * 31) & 255);
                    px[o + 1] = (byte)((y * 2 + f * 17) & 255);
                    px[o + 2] = check ? (byte)200 : (byte)(40 + f * 20);
                    px[o + 3] = 255;
                }
            frames[f] = px;
        }
        return frames;
    }

    public BenchRun Run(OnnxModel model, int depth, int size, byte[][] frames)
    {
        using var clf = Classifier.Create(model, new ClassifierOptions { Backend = Backend, Threads = Threads, TopK = 5 });
        string bareProvider = Backend.StartsWith("ort-", StringComparison.Ordinal) ? Backend : OrtBackend.Cpu;
        using var so = OrtBackend.MakeSessionOptions(bareProvider, new BackendOptions { Threads = Threads });
        using var session = new InferenceSession(model.ToBytes(), so);
        using var runOptions = new RunOptions();
        var pre = new float[clf.Preprocessor.OutputLength];
        clf.Preprocessor.Run(frames[0], FrameWidth, FrameHeight, FrameWidth * 4, PixelFormat.Bgra32, pre);
        var be = clf.Backend;
        using var bareInput = OrtValue.CreateTensorValueFromMemory(pre, new long[] { 1, be.Channels, be.Height, be.Width });
        string inputName = session.InputNames[0];
        var inputNames = new[] { inputName };
        var inputValues = new[] { bareInput };
        var outputNames = new[] { session.OutputNames[0] };

        int k = 0;
        var pp = new double[Frames]; var inf = new double[Frames]; var post = new double[Frames];
        var tot = new double[Frames]; var bare = new double[Frames];
        int nOurs = 0, nBare = 0;
        long allocated = 0;
        LatencyRecord Ours()
        {
            var f = frames[k++ % frames.Length];
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var r = clf.Classify(f, FrameWidth, FrameHeight, FrameWidth * 4, PixelFormat.Bgra32);
            allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            return r.Latency;
        }
        double Bare()
        {
            long t = Stopwatch.GetTimestamp();
            using (session.Run(runOptions, inputNames, inputValues, outputNames)) { }
            return LatencyRecord.TicksToMs(Stopwatch.GetTimestamp() - t);
        }
        for (int i = 0; i < Warmup; i++) { Ours(); Bare(); }
        allocated = 0;

        int reported = -1;
        while (nOurs < Frames || nBare < Frames)
        {
            for (int i = 0; i < BlockSize && nOurs < Frames; i++, nOurs++)
            {
                var r = Ours();
                pp[nOurs] = r.PreprocessMs; inf[nOurs] = r.InferenceMs; post[nOurs] = r.PostprocessMs; tot[nOurs] = r.TotalMs;
            }
            for (int i = 0; i < BlockSize && nBare < Frames; i++, nBare++) bare[nBare] = Bare();
            int pct = Math.Min(nOurs, nBare) * 100 / Frames / 25 * 25;
            if (pct != reported) { reported = pct; Progress($"ResNet-{depth}: {pct}% ({Math.Min(nOurs, nBare)}/{Frames} frames each)"); }
        }
        double meanTotal = tot.Average();
        return new BenchRun(depth, be.Name, size, Percentiles.Of(pp), Percentiles.Of(inf), Percentiles.Of(post), Percentiles.Of(tot),
                            Percentiles.Of(bare), 1000.0 / meanTotal, (double)allocated / Frames);
    }
}
