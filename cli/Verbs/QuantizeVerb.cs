using System.CommandLine;
using System.Globalization;
using ResNetRealtime.Cli.Eval;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr quantize --model M.onnx --calib KIND:PATH [--samples 256] [--method percentile|minmax|entropy]
///  [--percentile 99.99] [--int8-head] [--threads T] --out M.int8.onnx` — static int8 QDQ quantization
/// (runtime/Quantization). Calibration images come from the same KIND:PATH data sets as `rr train`
/// (its training split, shuffled with seed 0 so --samples N takes a mix of classes), resized to the
/// model's input and normalised with the model's own mean/std. It prints what ORT fused (int8 kernels
/// against float convolutions left) and the ops left in float32. `--calib images:DIR` takes a flat
/// folder of pictures instead (for a model with no training data at hand), decoded by ffmpeg and
/// preprocessed as `rr infer` does an image (resize, centre crop, the model's mean/std).
/// </summary>
public static class QuantizeVerb
{
    const string ImagesKind = "images:";

    public static Command Create()
    {
        var model = Cli.Str("--model", "M.onnx", "the float32 model", required: true);
        var calib = Cli.Str("--calib", "KIND:PATH", "calibration images: idx|mnist|fashion-mnist|cifar10|cifar100|folder|frames:PATH as rr train --data, " +
                                                    "or images:DIR (a flat folder of pictures)", required: true);
        var output = Cli.Str("--out", "M.int8.onnx", "the int8 model", required: true);
        var samples = Cli.Int("--samples", "N", "calibration images", 256, 1);
        var method = Cli.Str("--method", "percentile|minmax|entropy", "activation-range calibration", "percentile");
        var percentile = Cli.Num("--percentile", "P", "--method percentile: the percentile of |x| kept", 99.99);
        var int8Head = Cli.Flag("--int8-head", "quantize the classifier head too (default: float32 head)");
        var threads = Cli.Int("--threads", "T", "threads; 0 = all cores", 0, 0, 1024);
        var cmd = new Command("quantize", "Static int8 QDQ quantization (per-channel int8 weights, uint8 activations, placed for ONNX Runtime's " +
                                          "int8 kernels), calibrated on a data set; prints what ONNX Runtime fused.")
            { model, calib, output, samples, method, percentile, int8Head, threads };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(method) != "percentile") pr.NotApplicable($"with --method {pr.GetValue(method)}", percentile);
            return Execute(pr.GetValue(model), pr.GetValue(calib), pr.GetValue(output), pr.GetValue(samples), pr.GetValue(method),
                           pr.GetValue(percentile), pr.GetValue(int8Head), pr.GetValue(threads));
        });
        return cmd;
    }

    /// <summary>`rr quantize ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(string modelPath, string calib, string outPath, int samples, string methodName, double percentile, bool int8Head, int threads)
    {
        CalibrationMethod method;
        bool images = calib.StartsWith(ImagesKind, StringComparison.OrdinalIgnoreCase);
        try { method = RangeCalibrators.Parse(methodName); if (!images) DataSource.ParseSpec(calib); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (Path.GetFullPath(outPath) == Path.GetFullPath(modelPath)) throw new UsageException($"--out {outPath} would overwrite --model");

        var model = OnnxModel.Load(modelPath);
        var info = ModelInspector.Inspect(model);
        using var data = images ? null : ModelData.Load(calib, info, "calibration data");
        var files = images ? ImageFiles(calib[ImagesKind.Length..]) : null;
        var options = new QuantizeOptions
        {
            Method = method, Percentile = percentile, Samples = samples, QuantizeHead = int8Head, Threads = threads, DataDescription = calib,
        };
        Console.Error.WriteLine($"rr quantize: calibrating {Path.GetFileName(modelPath)} on up to {samples} images of {calib} ({data?.Train.Count ?? files.Length} available), method {RangeCalibrators.Name(method)}");
        var r = Int8Quantizer.Quantize(model, images ? ImageBatches(files, info) : ModelData.Batches(data.Train, info.Mean, info.Std), options);
        r.Model.Save(outPath);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"quantized {r.QuantizedNodes} nodes to int8 ({r.FoldedBatchNorms} BatchNorm folded), {r.CalibratedTensors} activations calibrated on {r.SamplesUsed} images ({RangeCalibrators.Name(method)})"));
        Console.WriteLine($"float32 ops the quantizer does not know: {OpList(r.UnknownFloatOps)}");
        if (r.FloatHeadOps.Count > 0) Console.WriteLine($"head kept in float32: {OpList(r.FloatHeadOps)} (--int8-head quantizes it)");
        var f = FusionCheck.Analyze(r.Model.ToBytes(), Math.Max(threads, 1));
        Console.WriteLine($"ONNX Runtime's optimised graph: {f}");
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    static string OpList(IReadOnlyDictionary<string, int> ops) =>
        ops.Count == 0 ? "none" : $"{ops.Values.Sum()} ({string.Join(", ", ops.Select(kv => $"{kv.Key} x{kv.Value}"))})";

    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    /// <summary>The pictures directly in <paramref name="dir"/>, sorted by name (so --samples N is reproducible).</summary>
    internal static string[] ImageFiles(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"images:{dir}: folder not found");
        var files = Directory.GetFiles(dir).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new ArgumentException($"images:{dir}: no {string.Join("/", ImageExtensions)} files in the folder: the calibration set is empty");
        return files;
    }

    /// <summary>One image per batch, decoded and preprocessed for the model like `rr infer` does (Preprocessor).</summary>
    internal static IEnumerable<CalibrationBatch> ImageBatches(string[] files, ModelInfo info)
    {
        var pre = new Runtime.Imaging.Preprocessor(info.Channels, info.InputHeight, info.InputWidth, info.Mean, info.Std);
        foreach (var f in files)
        {
            var img = ResNetRealtime.Tools.Imaging.ImageDecoder.Decode(f);
            var x = new float[pre.OutputLength];
            pre.Run(img.Pixels, img.Width, img.Height, img.StrideBytes, img.Format, x);
            yield return new CalibrationBatch(x, 1, info.Channels, info.InputHeight, info.InputWidth);
        }
    }
}
