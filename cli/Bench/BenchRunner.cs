using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;

namespace ResNetRealtime.Cli.Bench;

/// <summary>
/// Times one model two ways in the same process, interleaved: (a) the whole per-frame path —
/// synthetic 1280×720 BGRA frame → Classifier.Classify (preprocess, backend, softmax/top-k); (b) a bare
/// ONNX Runtime InferenceSession with the same session options doing a plain Run on a pre-made
/// preprocessed input. Blocks of <see cref="BlockSize"/> frames alternate between (a) and (b), so slow
/// drift on a shared machine (other processes, thermal) hits both alike. With several precisions of one depth
/// (fp32, int8) the blocks of all of them alternate in the same loop.
/// </summary>
internal sealed class BenchRunner
{
    public const int FrameWidth = 1280, FrameHeight = 720, FrameCount = 8;
    public int BlockSize { get; init; } = 5;
    public int Frames { get; init; } = 100;
    public int Warmup { get; init; } = 10;
    public int Threads { get; init; }
    /// <summary>Segments the timed frames are cut into, in time order, each with its own p50s (BenchRun.Repeats): several
    /// repetitions measured in one interleaved run, so one burst of load moves one segment, not the median.</summary>
    public int Repeats { get; init; } = 1;
    public Backend Backend { get; init; } = Backend.OrtCpu;
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

    public BenchRun Run(OnnxModel model, int depth, int size, byte[][] frames) =>
        Run([(model, Int8Quantizer.IsQuantized(model) ? Precision.Int8 : Precision.Fp32)], depth, size, frames)[0];

    /// <summary>
    /// Times every (model, precision) lane of one depth in the same loop: each lane's whole path and its own bare
    /// session, blocks of <see cref="BlockSize"/> frames in turn across all lanes, so fp32 and int8 see the same drift.
    /// The models are run as given (an int8 lane takes an already quantized model: its bare session runs that model too).
    /// </summary>
    public IReadOnlyList<BenchRun> Run(IReadOnlyList<(OnnxModel Model, Precision Precision)> lanes, int depth, int size, byte[][] frames)
    {
        var ls = new List<Lane>();
        try
        {
            foreach (var (m, p) in lanes) ls.Add(new Lane(this, m, p, frames));
            foreach (var l in ls) for (int i = 0; i < Warmup; i++) { l.Ours(); l.Bare(); }
            foreach (var l in ls) l.Allocated = 0;
            int reported = -1, done = 0;
            while (done < Frames)
            {
                int n = Math.Min(BlockSize, Frames - done);
                foreach (var l in ls) l.OursBlock(done, n);
                foreach (var l in ls) l.BareBlock(done, n);
                done += n;
                int pct = done * 100 / Frames / 25 * 25;
                if (pct != reported) { reported = pct; Progress($"ResNet-{depth}: {pct}% ({done}/{Frames} frames each{(ls.Count > 1 ? $", {string.Join(" + ", ls.Select(l => l.Precision.ToName()))} interleaved" : "")})"); }
            }
            return ls.Select(l => l.Result(depth, size, Frames, Repeats)).ToList();
        }
        finally
        {
            foreach (var l in ls) l.Dispose();
        }
    }

    /// <summary>One model's classifier and bare session, and its samples.</summary>
    sealed class Lane : IDisposable
    {
        public readonly Precision Precision;
        public long Allocated;
        readonly Classifier _clf;
        readonly SessionOptions _so;
        readonly InferenceSession _session;
        readonly RunOptions _runOptions = new();
        readonly OrtValue _bareInput;
        readonly string[] _inputNames, _outputNames;
        readonly OrtValue[] _inputValues;
        readonly byte[][] _frames;
        readonly double[] _pp, _inf, _post, _tot, _bare;
        int _k;

        public Lane(BenchRunner r, OnnxModel model, Precision precision, byte[][] frames)
        {
            Precision = precision;
            _frames = frames;
            // The model is already in its precision (Int8Cache.Get for int8): Create takes it as it is.
            _clf = Classifier.Create(model, new ClassifierOptions { Backend = r.Backend, Threads = r.Threads, TopK = 5, Precision = precision });
            var bareProvider = r.Backend is Backend.OrtCpu or Backend.OrtDml or Backend.OrtCuda ? r.Backend : Backend.OrtCpu;
            _so = OrtBackend.MakeSessionOptions(bareProvider, new BackendOptions { Threads = r.Threads });
            _session = new InferenceSession(model.ToBytes(), _so);
            var pre = new float[_clf.Preprocessor.OutputLength];
            _clf.Preprocessor.Run(frames[0], FrameWidth, FrameHeight, FrameWidth * 4, PixelFormat.Bgra32, pre);
            var be = _clf.InferenceBackend;
            _bareInput = OrtValue.CreateTensorValueFromMemory(pre, new long[] { 1, be.Channels, be.Height, be.Width });
            _inputNames = [_session.InputNames[0]];
            _inputValues = [_bareInput];
            _outputNames = [_session.OutputNames[0]];
            _pp = new double[r.Frames]; _inf = new double[r.Frames]; _post = new double[r.Frames]; _tot = new double[r.Frames]; _bare = new double[r.Frames];
        }

        public LatencyRecord Ours()
        {
            var f = _frames[_k++ % _frames.Length];
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var r = _clf.Classify(f, FrameWidth, FrameHeight, FrameWidth * 4, PixelFormat.Bgra32);
            Allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
            return r.Latency;
        }

        public double Bare()
        {
            long t = Stopwatch.GetTimestamp();
            using (_session.Run(_runOptions, _inputNames, _inputValues, _outputNames)) { }
            return LatencyRecord.TicksToMs(Stopwatch.GetTimestamp() - t);
        }

        public void OursBlock(int from, int n)
        {
            for (int i = from; i < from + n; i++)
            {
                var r = Ours();
                _pp[i] = r.PreprocessMs; _inf[i] = r.InferenceMs; _post[i] = r.PostprocessMs; _tot[i] = r.TotalMs;
            }
        }

        public void BareBlock(int from, int n)
        {
            for (int i = from; i < from + n; i++) _bare[i] = Bare();
        }

        public BenchRun Result(int depth, int size, int frames, int repeats) =>
            new(depth, _clf.InferenceBackend.Kind, Precision, size, Percentiles.Of(_pp), Percentiles.Of(_inf), Percentiles.Of(_post), Percentiles.Of(_tot),
                Percentiles.Of(_bare), 1000.0 / _tot.Average(), (double)Allocated / frames)
            {
                // Frame i of every lane was timed in the same block round, so index ranges are time segments.
                Repeats = repeats <= 1 ? [] : Enumerable.Range(0, repeats).Select(k =>
                {
                    int a = k * frames / repeats, b = (k + 1) * frames / repeats;
                    return new SegmentP50(Percentiles.Of(_tot[a..b]).P50, Percentiles.Of(_bare[a..b]).P50);
                }).ToArray(),
            };

        public void Dispose()
        {
            _clf.Dispose(); _session.Dispose(); _so.Dispose(); _runOptions.Dispose(); _bareInput.Dispose();
        }
    }
}
