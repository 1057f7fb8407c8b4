using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ResNetRealtime.Cli.Eval;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Evaluation;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Training.Data;
using ResNetRealtime.Tools.Evaluation;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr eval --model M.onnx --data KIND:PATH [--split test|train|all] [--limit N] [--reference R.onnx]
///  [--precision fp32|int8] [--backend B] [--threads T] [--chart confusion.svg] [--json out.json]` — scores a
/// model on a labelled data set (the same KIND:PATH sets as `rr train`, prepared with the model's own size,
/// channels and mean/std: ModelData): top-1, top-5, per-class accuracy, and the top-1 agreement with a
/// reference model. `--precision int8` on a float32 model quantizes it (Int8Cache) calibrated on the data
/// set's training split, and takes the float32 model as the reference unless --reference names another.
/// </summary>
public static class EvalVerb
{
    const int RunBatch = 16;

    public static Command Create()
    {
        var model = Cli.Str("--model", "M.onnx", "the model to score", required: true);
        var data = Cli.Str("--data", "KIND:PATH", "labelled images: idx|mnist|fashion-mnist|cifar10|cifar100|folder|frames:PATH, as rr train --data", required: true);
        var split = Cli.Str("--split", "test|train|all", "which split of the data set to score", "test");
        var limit = Cli.Int("--limit", "N", "score only the first N images of the split; 0 = all", 0, 0);
        var reference = Cli.Str("--reference", "R.onnx", "count the top-1 agreement with this model (run in float32)", absent: "none; the float32 model with --precision int8");
        var precision = Cli.Str("--precision", "fp32|int8", "int8: a float32 model is quantized, calibrated on the data set's training split", Precision.Fp32.ToName());
        var samples = Cli.Int("--calib-samples", "N", "--precision int8: calibration images from the training split", 256, 1);
        var backend = Cli.Str("--backend", "B", "ort-cpu|ort-dml|ort-cuda|gl", "ort-cpu");
        var threads = Cli.Int("--threads", "T", "threads; 0 = all cores", 0, 0, 1024);
        var chart = Cli.Str("--chart", "confusion.svg", "write the confusion matrix as SVG", absent: "none");
        var json = Cli.Str("--json", "out.json", "write every figure as JSON", absent: "none");
        var cmd = new Command("eval", "Accuracy, top-5 and per-class accuracy of a model on a labelled data set, its agreement with a reference model, and the confusion matrix.")
            { model, data, split, limit, reference, precision, samples, backend, threads, chart, json };
        cmd.SetAction(pr =>
        {
            var p = Cli.ParsePrecision(pr.GetValue(precision));
            if (p != Precision.Int8) pr.NotApplicable($"with --precision {pr.GetValue(precision)}", samples);
            return Execute(new Args(pr.GetValue(model), pr.GetValue(data), pr.GetValue(split), pr.GetValue(limit), pr.GetValue(reference),
                p, pr.GetValue(samples), Cli.ParseBackend(pr.GetValue(backend)), pr.GetValue(threads), pr.GetValue(chart), pr.GetValue(json)));
        });
        return cmd;
    }

    /// <summary>`rr eval ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    sealed record Args(string Model, string Data, string Split, int Limit, string Reference, Precision Precision, int Samples,
                       Backend Backend, int Threads, string Chart, string Json);

    static int Execute(Args a)
    {
        BackendFactory.Validate(a.Backend);
        try { DataSource.ParseSpec(a.Data); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (a.Split is not ("test" or "train" or "all")) throw new UsageException($"--split must be test, train or all (got '{a.Split}')");
        bool int8 = a.Precision == Precision.Int8;
        if (int8) Int8Cache.RequireCpu(a.Backend);
        if (!File.Exists(a.Model)) throw new FileNotFoundException($"--model {a.Model}: file not found");
        if (a.Reference != null && !File.Exists(a.Reference)) throw new FileNotFoundException($"--reference {a.Reference}: file not found");

        var floatModel = OnnxModel.Load(a.Model);
        var info = ModelInspector.Inspect(floatModel);
        using var source = ModelData.Load(a.Data, info, "evaluation data");
        if (source.Classes.Length != info.Classes)
            throw new ArgumentException($"evaluation data {a.Data} has {source.Classes.Length} classes, the model {Path.GetFileName(a.Model)} outputs {info.Classes}");
        var set = SubsetDataset.Take(Split(source, a.Split), a.Limit);
        if (set.Count == 0) throw new ArgumentException($"evaluation data {a.Data}: the {a.Split} split has no images");

        var model = floatModel;
        OnnxModel refModel = a.Reference != null ? OnnxModel.Load(a.Reference) : null;
        string refName = a.Reference != null ? Path.GetFileName(a.Reference) : null;
        if (int8 && !Int8Quantizer.IsQuantized(floatModel))
        {
            // Calibrated on the training split so the scored images are not the calibration ones (with --split test).
            model = Int8Cache.Get(floatModel, ModelData.Batches(source.Train, info.Mean, info.Std), $"{a.Data} train split",
                                  new QuantizeOptions { Samples = a.Samples, Threads = a.Threads });
            if (refModel == null) { refModel = floatModel; refName = $"{Path.GetFileName(a.Model)} in float32"; }
        }
        string precision = (Int8Quantizer.IsQuantized(model) ? Precision.Int8 : Precision.Fp32).ToName();

        Console.WriteLine($"model: {Path.GetFileName(a.Model)} ({info.ResNet?.ToString() ?? "not a ResNet"}, {info.Classes} classes, " +
                          $"{info.Channels}x{info.InputHeight}x{info.InputWidth}), {precision} on {a.Backend.ToName()}");
        Console.WriteLine($"data: {a.Data}, {a.Split} split, {set.Count} images{(a.Limit > 0 ? $" (--limit {a.Limit})" : "")}");
        var labels = Enumerable.Range(0, set.Count).Select(set.Label).ToArray();
        var top = Predict(model, info, set, a.Backend, a.Threads, 5, out int k);
        int[] refTop1 = null;
        if (refModel != null)
        {
            var refInfo = ModelInspector.Inspect(refModel);
            if (refInfo.Channels != info.Channels || refInfo.InputHeight != info.InputHeight || refInfo.InputWidth != info.InputWidth || refInfo.Classes != info.Classes)
                throw new ArgumentException($"--reference {refName} takes {refInfo.Channels}x{refInfo.InputHeight}x{refInfo.InputWidth} with {refInfo.Classes} classes, " +
                                            $"the model {info.Channels}x{info.InputHeight}x{info.InputWidth} with {info.Classes}");
            refTop1 = Predict(refModel, refInfo, set, int8 ? Backend.OrtCpu : a.Backend, a.Threads, 1, out _);
        }
        var s = EvalScores.Tally(labels, top, k, info.Classes, refTop1);
        var names = Enumerable.Range(0, info.Classes).Select(c => c < source.Classes.Length ? source.Classes[c] : info.LabelFor(c)).ToArray();
        Print(s, names, refName);
        if (a.Chart != null)
        {
            File.WriteAllText(a.Chart, ConfusionSvg.Render(s, names, $"{Path.GetFileName(a.Model)} ({precision}) on {a.Data} {a.Split}"));
            Console.WriteLine($"wrote {a.Chart}");
        }
        if (a.Json != null)
        {
            WriteJson(a.Json, s, names, a, precision, refName);
            Console.WriteLine($"wrote {a.Json}");
        }
        return 0;
    }

    static ImageDataset Split(DataSource d, string split) => split switch
    {
        "train" => d.Train,
        "test" => d.Test,
        _ => new ConcatDataset(d.Train, d.Test),
    };

    /// <summary>The model's top-k per image, the images normalised with the model's own mean/std in data-set order.</summary>
    static int[] Predict(OnnxModel model, ModelInfo info, ImageDataset set, Backend backend, int threads, int k, out int kUsed)
    {
        int maxBatch = info.DynamicBatch ? RunBatch : (int)Math.Max(1, info.InputShape[0]);
        using var be = BackendFactory.Create(backend, model, new BackendOptions { Threads = threads, MaxBatch = maxBatch });
        return Predictor.TopK(be, ModelData.Batches(set, info.Mean, info.Std, RunBatch, shuffle: false), k, out kUsed);
    }

    static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";

    static void Print(EvalScores s, string[] names, string refName)
    {
        Console.WriteLine($"accuracy: {Pct(s.Accuracy)} ({s.Top1Correct}/{s.Count})");
        Console.WriteLine($"top-{s.K}: {Pct(s.TopKAccuracy)} ({s.TopKCorrect}/{s.Count})");
        Console.WriteLine("per-class accuracy:");
        int width = names.Max(n => n.Length);
        for (int c = 0; c < s.Classes; c++)
            Console.WriteLine($"  {names[c].PadRight(width)}  {(s.ClassCount[c] == 0 ? "no images" : $"{Pct(s.ClassAccuracy(c))} ({s.Confusion[c, c]}/{s.ClassCount[c]})")}");
        if (s.Agreements >= 0) Console.WriteLine($"top-1 agreement with {refName}: {Pct(s.Agreement)} ({s.Agreements}/{s.Count})");
    }

    static void WriteJson(string path, EvalScores s, string[] names, Args a, string precision, string refName)
    {
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("model", a.Model);
        w.WriteString("data", a.Data);
        w.WriteString("split", a.Split);
        w.WriteString("precision", precision);
        w.WriteString("backend", a.Backend.ToName());
        w.WriteNumber("images", s.Count);
        w.WriteNumber("accuracy", s.Accuracy);
        w.WriteNumber("top_k", s.K);
        w.WriteNumber("top_k_accuracy", s.TopKAccuracy);
        if (s.Agreements >= 0) { w.WriteString("reference", refName); w.WriteNumber("agreement", s.Agreement); }
        w.WriteStartArray("per_class");
        for (int c = 0; c < s.Classes; c++)
        {
            w.WriteStartObject();
            w.WriteString("class", names[c]);
            w.WriteNumber("images", s.ClassCount[c]);
            w.WriteNumber("correct", s.Confusion[c, c]);
            if (s.ClassCount[c] > 0) w.WriteNumber("accuracy", s.ClassAccuracy(c)); else w.WriteNull("accuracy");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("confusion");   // rows: true class, columns: predicted
        for (int t = 0; t < s.Classes; t++)
        {
            w.WriteStartArray();
            for (int p = 0; p < s.Classes; p++) w.WriteNumberValue(s.Confusion[t, p]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
