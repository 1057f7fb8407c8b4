// LoadedModel: a model loaded and inspected once — the one object every backend, the Classifier, the CLI
// and the demo take, so each model fact has one owner:
//   graph          OnnxModel (parsed once)
//   what it is     ModelInfo from ModelInspector (the only reader of metadata_props): input layout
//                  [N,C,H,W], labels, mean/std, ResNet structure, head kind (classifier / feature extractor)
//   stage tensors  "stem", "layer1".."layerK", "pool" → tensor name (from the structure; empty if not a ResNet)
//   FC weights     the classifier's last Gemm/MatMul as [classes, features] row-major, for the CAM
//                  (extracted on first use: a ResNet-152 fc is 8 MB; null for a model without one)
// Immutable after construction, so it is safe to share across threads and backends.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Models;

/// <summary>The final fully-connected layer as W[class, feature] (row-major, Classes × Features).</summary>
internal sealed record FcWeights(float[] Weight, int Features, int Classes, string NodeName);

internal sealed class LoadedModel
{
    readonly Lazy<FcWeights> _fc;

    /// <summary>The graph as parsed. Shared: do not modify it (backends copy what they change).</summary>
    public OnnxModel Onnx { get; }
    public ModelInfo Info { get; }
    /// <summary>Where it came from (a path, or a caller's description), for messages.</summary>
    public string Source { get; }
    /// <summary>"stem", "layer1".., "pool" → tensor name, in graph order; empty when the model is not a ResNet.</summary>
    public IReadOnlyDictionary<string, string> StageTensors { get; }

    public string[] Labels => Info.Labels;
    public float[] Mean => Info.Mean;
    public float[] Std => Info.Std;
    public int Channels => Info.Channels;
    public int InputHeight => Info.InputHeight;
    public int InputWidth => Info.InputWidth;
    public HeadKind Head => Info.Head;
    public bool IsFeatureExtractor => Info.IsFeatureExtractor;
    /// <summary>Stage names ("layer1".."layerK") in graph order; empty when the model is not a ResNet.
    /// Built once: per-frame readers (the demo's mosaic) must not allocate.</summary>
    public string[] Stages { get; }
    /// <summary>The final fully-connected layer for the CAM, or null (feature extractors, fc-less graphs).</summary>
    public FcWeights Fc => _fc.Value;

    LoadedModel(OnnxModel model, string source)
    {
        Onnx = model ?? throw new ArgumentNullException(nameof(model));
        Source = source;
        // Validate before inspecting: every backend then refuses a bad graph with the validator's one message,
        // never with whatever the inspector trips over first (the fuzzer found both orders).
        GraphValidator.Validate(model);
        Info = ModelInspector.Inspect(model);
        var stages = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Info.ResNet is { } r)
        {
            if (r.StemOutput != null) stages["stem"] = r.StemOutput;
            foreach (var s in r.Stages) stages[s.Name] = s.OutputName;
            if (r.PoolOutput != null) stages["pool"] = r.PoolOutput;
        }
        StageTensors = stages;
        Stages = Info.ResNet?.Stages.Select(s => s.Name).ToArray() ?? [];
        _fc = new Lazy<FcWeights>(() => Info.IsFeatureExtractor ? null : FindFc(model.Graph), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Loads an .onnx file. Errors (missing, truncated, not an image model) are one-line exceptions naming the file.</summary>
    public static LoadedModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = OnnxModel.Load(path);
        try { return new LoadedModel(model, path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static LoadedModel FromBytes(byte[] bytes, string source = "model bytes") => new(OnnxModel.Parse(bytes, source), source);

    /// <summary>Inspects an already parsed model (it is shared, not copied).</summary>
    public static LoadedModel From(OnnxModel model, string source = null) => new(model, source ?? model?.Graph?.Name ?? "model");

    public override string ToString() => $"{Source}: {Info}";

    /// <summary>The last Gemm (or MatMul) with a 2-D initializer weight, as [classes, features]; null if there is none.</summary>
    static FcWeights FindFc(OnnxGraph g)
    {
        for (int i = g.Nodes.Count - 1; i >= 0; i--)
        {
            var n = g.Nodes[i];
            if (n.OpType is not ("Gemm" or "MatMul") || n.Inputs.Count < 2) continue;
            var w = g.FindInitializer(n.Inputs[1]);
            if (w == null || w.Dims.Length != 2) continue;
            var data = w.ToFloatArray();
            int rows = (int)w.Dims[0], cols = (int)w.Dims[1];
            if (n.OpType == "Gemm" && n.GetInt("transB", 0) != 0) return new FcWeights(data, cols, rows, n.Name);   // already [classes, features]
            var t = new float[data.Length];        // [features, classes] → [classes, features]
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c];
            return new FcWeights(t, rows, cols, n.Name);
        }
        return null;
    }
}
