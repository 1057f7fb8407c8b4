using System.CommandLine;
using System.Globalization;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tools.Imaging;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr infer --model M.onnx --input X.npy|IMAGE [--backend B] [--output Y.npy] [--topk K]
///  [--taps a,b --taps-out DIR] [--threads T] [--precision fp32|int8]` (`--compare A,B` is its own verb, <see cref="CompareVerb"/>).
/// A .npy input is float32 NCHW: its rows run as-is, the raw model output goes to --output and the
/// top-k per row is printed. Anything else is decoded as an image (ffmpeg), preprocessed like a frame
/// and classified; top-k with labels and the latency record are printed. Taps go to DIR/&lt;name&gt;.npy.
/// A feature extractor (<see cref="ModelInfo.Head"/>: no labels, output straight from a pool) prints
/// "feature extractor: F features" with the L2 norm and the K largest values instead of a softmax top-k,
/// and --output keeps the model's own output shape ([N,512,1,1] stays 4-D).
/// </summary>
public static class InferVerb
{
    public static Command Create()
    {
        var model = Cli.Str("--model", "M.onnx", "the ONNX model", required: true);
        var input = Cli.Str("--input", "X.npy|IMAGE", "a float32 NCHW .npy tensor, or an image decoded by ffmpeg (PNG, JPEG, ...)", required: true);
        var backend = Cli.Str("--backend", "B", "ort-cpu, ort-dml, ort-cuda, gl, or auto (Windows: ort-dml, gl, ort-cpu; elsewhere gl on a hardware GPU, ort-cpu): " +
                              "a GPU backend is compared with ort-cpu on a probe input first and refused when they disagree", "ort-cpu");
        var output = Cli.Str("--output", "Y.npy", "write the raw model output here (.npy input only)", absent: "not written");
        var topk = Cli.Int("--topk", "K", "classes printed per row", 5, min: 1);
        var threads = Cli.Int("--threads", "T", "inference threads; 0 = the backend's default", 0, min: 0);
        var taps = Cli.List("--taps", "a,b", "intermediate outputs to write: stem, layer1..layer4, pool or node output names", absent: "none");
        var tapsOut = Cli.Str("--taps-out", "DIR", "folder for the taps, DIR/<tap>.npy (with --taps)", absent: "none");
        var precision = Cli.Str("--precision", "fp32|int8", "int8: a float32 model is quantized on first use and cached (seeded Gaussian calibration, " +
                                "accuracy not measured: for a trained model run rr quantize --calib on its data), an int8 model runs as it is; ort-cpu only", "fp32");
        var cmd = new Command("infer", "One input through a model: top-k, raw output, intermediate taps. " +
                                       "To compare two backends layer by layer: rr compare (or rr infer --compare A,B).")
            { model, input, backend, output, topk, threads, taps, tapsOut, precision };
        cmd.SetAction(pr =>
        {
            string[] t = pr.Items(taps);
            if (t.Length > 0 && !pr.Given(tapsOut)) throw new UsageException("--taps needs --taps-out DIR (where DIR/<tap>.npy are written)");
            if (t.Length == 0) pr.NotApplicable("without --taps a,b (it is where the taps go)", tapsOut);
            return Execute(pr.GetValue(model), pr.GetValue(input), pr.GetValue(backend), pr.GetValue(output), pr.GetValue(topk), pr.GetValue(threads), t, pr.GetValue(tapsOut),
                           pr.GetValue(precision));
        });
        return cmd;
    }

    /// <summary>`rr infer ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(string modelPath, string inputPath, string backendName, string output, int topk, int threads, string[] taps, string tapsOut, string precisionName)
    {
        var backend = Cli.ParseBackend(backendName);
        var precision = Cli.ParsePrecision(precisionName);
        if (backend != Backend.Auto) BackendFactory.Validate(backend);
        if (precision == Precision.Int8 && backend != Backend.Auto) Int8Cache.RequireCpu(backend);
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"{inputPath}: input file not found");
        modelPath = ResNetRealtime.Tools.Pretrained.ModelSource.Resolve(modelPath);
        var model = LoadedModel.Load(modelPath);
        // The one int8 path (Int8Cache): the classifiers below then take the model as it is.
        if (precision == Precision.Int8) model = LoadedModel.From(Int8Cache.Get(model.Onnx), modelPath);
        Console.WriteLine($"model: {Path.GetFileName(modelPath)} — {Describe(model)}");

        bool npy = inputPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
        if (npy) return RunTensor(model, inputPath, backend, threads, topk, taps, tapsOut, output);
        if (output != null) throw new UsageException("--output writes the raw model output for a .npy input; for an image the top-k is printed");
        return RunImage(model, inputPath, backend, threads, topk, taps, tapsOut);
    }

    /// <summary>One line on what the model is; a non-ResNet is fine for inference and said so.</summary>
    static string Describe(LoadedModel model)
    {
        var info = model.Info;
        string shape = "[" + string.Join(",", info.InputShape.Select((d, k) => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : k == 0 ? "N" : "?")) + "]";
        string head = info.IsFeatureExtractor ? $"feature extractor: {info.Classes} features (no classifier head)" : $"{info.Classes} classes";
        // ResNet names count the fc, so a headless trunk counts one layer less: say which network it is the trunk of.
        string trunk = info.IsFeatureExtractor && info.ResNet != null ? $" (the trunk of a ResNet-{info.ResNet.Depth + 1}, no fc)" : "";
        string structure = info.ResNet != null
            ? $"{info.ResNet}{trunk} stages {string.Join(", ", info.ResNet.Stages.Select(s => $"{s.Name}={s.Blocks}x{s.Channels}ch/{s.Stride}"))}"
            : $"not a ResNet (no residual blocks; a plain network of {model.Onnx.Graph.Nodes.Count} nodes) — running it as a generic {(info.IsFeatureExtractor ? "feature extractor" : "classifier")}";
        return $"input '{info.InputName}' {shape}, {head}, {structure}";
    }

    /// <summary>Shape of one row of the raw output: the declared [C,...] when it is fixed and matches, else [outputs].</summary>
    static int[] RowShape(ModelInfo info, int outputs)
    {
        var d = info.OutputShape;
        if (d != null && d.Length >= 2 && d.Skip(1).All(v => v > 0) && d.Skip(1).Aggregate(1L, (a, v) => a * v) == outputs)
            return d.Skip(1).Select(v => (int)v).ToArray();
        return [outputs];
    }

    static int RunTensor(LoadedModel model, string inputPath, Backend backend, int threads,
                         int topk, string[] taps, string tapsOut, string output)
    {
        var x = Npy.Read(inputPath);
        var dims = model.Info.InputShape;   // [N,C,H,W], -1 where symbolic
        string expected = "[" + string.Join(",", dims.Select((d, k) => k == 0 ? "N" : d > 0 ? d.ToString(CultureInfo.InvariantCulture) : "?")) + "]";
        bool shapeOk = x.Shape.Length == 4 && x.Shape[0] >= 1 && Enumerable.Range(1, 3).All(k => dims[k] <= 0 || dims[k] == x.Shape[k]);
        if (!shapeOk)
            throw new InvalidDataException($"{Path.GetFileName(inputPath)} has shape {x.ShapeText}; the model expects {expected}");
        int n = x.Shape[0];
        int maxBatch = dims[0] > 0 ? (int)dims[0] : n;

        using var clf = Classifier.Create(model, new ClassifierOptions { Backend = backend, Threads = threads, TopK = topk, Taps = taps, MaxBatch = maxBatch });
        ReportChoice(clf);
        var be = clf.InferenceBackend;
        if (be.Channels != x.Shape[1] || be.Height != x.Shape[2] || be.Width != x.Shape[3])
            throw new InvalidDataException($"{Path.GetFileName(inputPath)} has shape {x.ShapeText}; the model expects [N,{be.Channels},{be.Height},{be.Width}]");
        int per = be.Channels * be.Height * be.Width, classes = be.Classes;
        var logits = new float[n * classes];
        var tapData = new float[taps.Length][];
        Console.WriteLine($"backend: {be.Name}; {n} row{(n == 1 ? "" : "s")}, {(clf.IsFeatureExtractor ? $"{classes} features" : $"top-{clf.TopK}")}");
        for (int start = 0; start < n; start += maxBatch)
        {
            int b = Math.Min(maxBatch, n - start);
            var res = clf.ClassifyTensor(x.Data.AsSpan(start * per, b * per), b);
            for (int i = 0; i < b; i++)
            {
                res[i].Logits.CopyTo(logits.AsSpan((start + i) * classes));
                RequireFiniteLogits(res[i], $"{Path.GetFileName(inputPath)} row {start + i}");
                Console.WriteLine($"row {start + i}:");
                PrintResult(clf, res[i], topk);
            }
            for (int t = 0; t < taps.Length; t++)
            {
                var tap = be.Taps[t];
                int tapPer = tap.Data.Length / tap.Shape[0];
                tapData[t] ??= new float[n * tapPer];
                tap.Data.AsSpan(0, b * tapPer).CopyTo(tapData[t].AsSpan(start * tapPer));
            }
        }
        if (output != null)
        {
            int[] shape = [n, .. RowShape(model.Info, classes)];
            Npy.Write(output, logits, shape);
            Console.WriteLine($"wrote {output} {Npy.ShapeText(shape)}");
        }
        for (int t = 0; t < taps.Length; t++)
        {
            var shape = be.Taps[t].Shape.ToArray();
            shape[0] = n;
            WriteTap(tapsOut, taps[t], tapData[t], shape);
        }
        return 0;
    }

    static int RunImage(LoadedModel model, string inputPath, Backend backend, int threads, int topk, string[] taps, string tapsOut)
    {
        var img = ImageDecoder.Decode(inputPath);
        using var clf = Classifier.Create(model, new ClassifierOptions { Backend = backend, Threads = threads, TopK = topk, Taps = taps });
        ReportChoice(clf);
        // One warm-up run so the printed latency is a steady-state frame, not session start-up.
        clf.Classify(img.Pixels, img.Width, img.Height, img.StrideBytes, img.Format);
        var r = clf.Classify(img.Pixels, img.Width, img.Height, img.StrideBytes, img.Format);
        RequireFiniteLogits(r, Path.GetFileName(inputPath));
        Console.WriteLine($"backend: {clf.InferenceBackend.Name}; image {Path.GetFileName(inputPath)} {img.Width}x{img.Height} → {clf.InferenceBackend.Channels}x{clf.InferenceBackend.Height}x{clf.InferenceBackend.Width}");
        PrintResult(clf, r, topk);
        Console.WriteLine($"latency (after one warm-up run): {r.Latency}");
        for (int t = 0; t < taps.Length; t++)
        {
            var tap = r.Taps[t];
            int per = tap.Data.Length / tap.Shape[0];
            var shape = tap.Shape.ToArray();
            shape[0] = 1;
            WriteTap(tapsOut, taps[t], tap.Data.AsSpan(0, per).ToArray(), shape);
        }
        return 0;
    }

    /// <summary>"auto" resolved, or a backend refused on the way: the reason goes to stderr (stdout stays the result);
    /// a passed self-check is one line of stdout.</summary>
    static void ReportChoice(Classifier clf)
    {
        if (clf.Choice.Reason != null) Console.Error.WriteLine($"rr infer: backend {Program.WithFlags(clf.Choice.Reason)}");
        if (clf.SelfCheck is { } c)
            Console.WriteLine(FormattableString.Invariant(
                $"self-check: {c.Backend} agrees with ort-cpu on the probe input (max difference {c.Relative:G3} of max |logit|, tolerance {BackendSelfCheck.Tolerance:G3}; {(c.Cached ? "cached" : $"{c.Milliseconds:F0} ms, of which the ort-cpu reference {c.ReferenceMilliseconds:F0} ms")})"));
    }

    /// <summary>A NaN/±Inf logit has no probability: one line and a non-zero exit instead of "NaN%".</summary>
    static void RequireFiniteLogits(ClassificationResult r, string what)
    {
        int at = Finite.FirstNonFinite(r.Logits);
        if (at >= 0)
            throw new InvalidDataException(FormattableString.Invariant(
                $"{what}: the model output is not finite (value {at} = {r.Logits[at]}); not printed as a probability or feature. The input is finite, so its values are too large for the model (overflow) or the model is corrupt"));
    }

    static void PrintResult(Classifier clf, ClassificationResult r, int topk)
    {
        if (clf.IsFeatureExtractor) PrintFeatures(r.Features, topk);
        else PrintTopK(r);
    }

    /// <summary>Features have no probabilities: their count, L2 norm and the k largest values with their indices.</summary>
    static void PrintFeatures(ReadOnlySpan<float> f, int k)
    {
        double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(f, f));
        Console.WriteLine(FormattableString.Invariant($"  feature extractor: {f.Length} features, L2 norm {norm:F4}"));
        var values = f.ToArray();
        var largest = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k);
        Console.WriteLine("  largest: " + string.Join(", ", largest.Select(i => FormattableString.Invariant($"[{i}] {values[i]:F4}"))));
    }

    static void PrintTopK(ClassificationResult r)
    {
        int rank = 1;
        int width = 0;
        foreach (var p in r.TopK) width = Math.Max(width, p.Label.Length);
        foreach (var p in r.TopK)
        {
            string cls = p.Label == $"class {p.ClassIndex}" ? "" : $"class {p.ClassIndex}, ";
            Console.WriteLine(FormattableString.Invariant($"  {rank++}. {p.Label.PadRight(width)}  {p.Probability * 100,7:F3}%  ({cls}logit {r.Logits[p.ClassIndex]:F4})"));
        }
    }

    static void WriteTap(string dir, string name, float[] data, int[] shape)
    {
        string safe = string.Concat(name.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) || ch == '/' ? '_' : ch));
        string path = Path.Combine(dir, safe + ".npy");
        Npy.Write(path, data, shape);
        Console.WriteLine($"wrote tap {name} → {path} {Npy.ShapeText(shape)}");
    }
}
