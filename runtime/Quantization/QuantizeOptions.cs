// Inputs and outputs of Int8Quantizer.Quantize.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

/// <summary>
/// A batch of calibration images, float32 NCHW, already preprocessed exactly as the model expects
/// (resized to its input, normalised with its mean/std). The first Count·Channels·Height·Width values of
/// Data are read (a reused buffer may be longer).
/// </summary>
internal sealed record CalibrationBatch(float[] Data, int Count, int Channels, int Height, int Width)
{
    public int ImageLength => Channels * Height * Width;

    /// <summary>
    /// Seeded N(0,1) images — the scale of a normalised input — for a model with no data at hand (a
    /// random-weight ResNet in a benchmark: its speed depends on the graph, not on the ranges).
    /// </summary>
    public static List<CalibrationBatch> Gaussian(int images, int channels, int height, int width, int seed, int perBatch = 4)
    {
        if (images < 1 || perBatch < 1) throw new ArgumentException($"need at least one image and one per batch (got {images}, {perBatch})");
        var rng = new Random(seed);
        var list = new List<CalibrationBatch>();
        for (int done = 0; done < images; done += perBatch)
        {
            int n = Math.Min(perBatch, images - done);
            var data = new float[n * channels * height * width];
            // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
            for (int i = 0; i < data.Length; i++)
                data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            list.Add(new CalibrationBatch(data, n, channels, height, width));
        }
        return list;
    }
}

internal sealed record QuantizeOptions
{
    /// <summary>Percentile by default: on models/scene-resnet.onnx it kept 99.67% top-1 agreement with float32,
    /// entropy 99.83% (one frame of 600 more, at a slower calibration), minmax 98.33% (SceneAccuracyTests).</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.Percentile;
    /// <summary>Percentile of |x| kept by the percentile method, in (0, 100].</summary>
    public double Percentile { get; init; } = 99.99;
    /// <summary>Use at most this many calibration images (the rest of the batches are not read); ≥ 1.</summary>
    public int Samples { get; init; } = 256;
    /// <summary>Quantize the classifier head (pooling, flatten, Gemm/MatMul) too; by default it stays float32,
    /// where the logits' small differences decide the top-1 and the op costs nothing measurable.</summary>
    public bool QuantizeHead { get; init; }
    /// <summary>Images per ONNX Runtime run during calibration (every activation of a batch is held at once).</summary>
    public int RunBatch { get; init; } = 8;
    /// <summary>Intra-op threads for the calibration session; 0 = ORT's default.</summary>
    public int Threads { get; init; }
    /// <summary>Where the calibration images came from, for rr.calibration (e.g. "frames:data/scene").</summary>
    public string DataDescription { get; init; }

    public void Validate()
    {
        if (Samples < 1) throw new ArgumentException($"samples must be >= 1 (got {Samples}): calibration needs at least one image");
        if (RunBatch < 1) throw new ArgumentException($"calibration run batch must be >= 1 (got {RunBatch})");
        if (Threads < 0) throw new ArgumentException($"threads must be >= 0 (got {Threads})");
        if (Method == CalibrationMethod.Percentile && !(Percentile > 0 && Percentile <= 100))
            throw new ArgumentException($"percentile must be in (0, 100] (got {Percentile})");
    }
}

internal sealed record QuantizeResult
{
    public OnnxModel Model { get; init; }
    /// <summary>Conv+BatchNormalization pairs folded before quantizing.</summary>
    public int FoldedBatchNorms { get; init; }
    /// <summary>Nodes running in int8 (Conv, Add, MaxPool, … as placed; their ReLUs are absorbed).</summary>
    public int QuantizedNodes { get; init; }
    /// <summary>Tensors given a calibrated Q/DQ pair.</summary>
    public int CalibratedTensors { get; init; }
    /// <summary>Ops left in float32 because the quantizer does not know how to place them (op → count).</summary>
    public IReadOnlyDictionary<string, int> UnknownFloatOps { get; init; }
    /// <summary>Head ops left in float32 by choice (QuantizeOptions.QuantizeHead = false).</summary>
    public IReadOnlyDictionary<string, int> FloatHeadOps { get; init; }
    public int SamplesUsed { get; init; }
    /// <summary>Calibrated range per tensor, for reports and tests.</summary>
    public IReadOnlyDictionary<string, (float Min, float Max)> Ranges { get; init; }
}
