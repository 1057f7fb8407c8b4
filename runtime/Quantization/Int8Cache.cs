// Int8Cache: the one place that answers "give me the int8 model for this model" for every entry point
// (Classifier.Create with Precision = int8, rr infer / bench / demo --precision int8).
//   - a model that is already quantized (rr.precision=int8 or Q/DQ ops) is returned as it is;
//   - otherwise it is quantized on first use and cached under
//     LocalApplicationData/resnet-realtime/int8/<model sha256>-<recipe sha256>.onnx, written atomically;
//     a cache entry that does not parse or is not an int8 model is rebuilt (and rewritten).
// Calibration on first use: the caller's batches when given; otherwise seeded Gaussian images
// (CalibrationBatch.Gaussian, the scale of a normalised input) and a printed note that accuracy is not
// measured — that speed is right for a benchmark, but a trained model is better quantized with
// `rr quantize --calib KIND:PATH` on its own data and then used as it is.
using System.Security.Cryptography;
using System.Text;
using ResNetRealtime.Runtime.IO;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal static class Int8Cache
{
    /// <summary>Gaussian calibration images used when no data is given (seed 0).</summary>
    public const int GaussianSamples = 32;

    /// <summary>Where notes go (first-use quantization, the unmeasured-accuracy warning, a rebuilt entry).</summary>
    public static Action<string> Log { get; set; } = s => Console.Error.WriteLine(s);

    /// <summary>LocalApplicationData/resnet-realtime/int8, or $RR_INT8_CACHE when set.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("RR_INT8_CACHE") is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "resnet-realtime", "int8");

    /// <summary>Int8 runs on ONNX Runtime's CPU kernels only; every other backend is refused with one line.</summary>
    public static void RequireCpu(Backend backend)
    {
        if (backend != Backend.OrtCpu)
            throw new NotSupportedException($"int8 is CPU-only for now: backend {backend.ToName()} runs float32 models only; set the options' Backend = Backend.OrtCpu (or Precision = Precision.Fp32)");
    }

    /// <summary>
    /// The int8 model for <paramref name="model"/>. <paramref name="calibration"/> null = seeded Gaussian
    /// images (accuracy unmeasured, said in a note); <paramref name="calibrationName"/> names the data
    /// for the cache key and rr.calibration (required with <paramref name="calibration"/>).
    /// </summary>
    public static OnnxModel Get(OnnxModel model, IEnumerable<CalibrationBatch> calibration = null, string calibrationName = null,
                                QuantizeOptions options = null, string directory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Int8Quantizer.IsQuantized(model)) return model;
        if (calibration != null && string.IsNullOrEmpty(calibrationName))
            throw new ArgumentException("calibration data needs a name (it is part of the cache key)");
        options ??= new QuantizeOptions();
        string data = calibration == null ? $"gaussian:seed0,n{GaussianSamples}" : calibrationName;
        options = options with { DataDescription = data };
        string recipe = $"{RangeCalibrators.Name(options.Method)}|{options.Percentile.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{options.Samples}|{options.QuantizeHead}|{data}";
        var bytes = model.ToBytes();
        string path = Path.Combine(directory ?? DefaultDirectory, $"{Hex(SHA256.HashData(bytes), 16)}-{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)), 8)}.onnx");

        if (File.Exists(path))
        {
            try
            {
                var cached = OnnxModel.Load(path);
                if (Int8Quantizer.IsQuantized(cached)) return cached;
                Log($"int8 cache: {path} is not an int8 model; rebuilding it");
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException or ArgumentException)
            {
                Log($"int8 cache: {path} is unreadable ({e.Message}); rebuilding it");
            }
        }

        var (c, h, w) = InputChw(model);
        if (calibration == null)
        {
            Log($"int8: quantizing on first use, calibrated on {GaussianSamples} seeded Gaussian images: speed is representative, " +
                "accuracy is not measured (for a trained model, calibrate on its own data with the tools' quantizer)");
            calibration = CalibrationBatch.Gaussian(GaussianSamples, c, h, w, seed: 0);
        }
        else Log($"int8: quantizing on first use, calibrated on {calibrationName}");
        var q = Int8Quantizer.Quantize(model, calibration, options).Model;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllBytes(path, q.ToBytes());
        Log($"int8: cached {path}");
        return q;
    }

    static (int C, int H, int W) InputChw(OnnxModel model)
    {
        var info = Models.ModelInspector.Inspect(model);
        return (info.Channels, info.InputHeight, info.InputWidth);
    }

    static string Hex(byte[] hash, int bytes) => Convert.ToHexString(hash, 0, bytes).ToLowerInvariant();
}
