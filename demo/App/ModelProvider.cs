using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Demo.App;

/// <summary>One model ready to hand to a backend, with what the HUD says about it.</summary>
/// <summary>A model ready for the demo. Depth and Stages are what the graph itself says (a CIFAR-style
/// ResNet-20 is 20 deep with stages layer1..layer3), not the depth key that chose it.</summary>
public sealed record ModelChoice(OnnxModel Model, int Depth, string[] Stages, string Description, bool RandomWeights, string[] Labels, float[] FcWeight, int FcIn, float[] Mean, float[] Std);

/// <summary>
/// Finds the model for a depth: --model FILE (fixed), DIR/resnet{D}.onnx from --models, the shipped
/// models/scene-resnet.onnx (default), else a ResNet built on the fly with random weights (said in the
/// HUD and on stderr). Also extracts the final fully-connected weights [classes, features] for the CPU CAM
/// and checks the class count against the scene's labels.
/// </summary>
public static class ModelProvider
{
    public static readonly int[] Depths = { 18, 34, 50, 101, 152 };

    /// <summary>Builds a random-weight ResNet of a depth for (classes, input size); set once the ONNX builder is present.</summary>
    public static Func<int, int, int, ulong, OnnxModel> BuildRandom { get; set; } = (depth, classes, size, seed) =>
        ResNetOnnxBuilder.Build(ResNetSpec.FromName($"resnet{depth}", classes, 3, size),
            new ResNetBuildOptions { Seed = (int)(seed & 0x7FFFFFFF), Labels = SceneScript.Classes, Recipe = $"random init (seed {seed}) by rr demo" });

    public static ModelChoice Choose(DemoOptions o, int depth, bool sceneSource, int sceneSize)
    {
        string path = null, why;
        if (o.ModelPath != null)
        {
            path = o.ModelPath;
            why = Path.GetFileName(path);
        }
        else if (o.ModelsDir != null && File.Exists(Path.Combine(o.ModelsDir, $"resnet{depth}.onnx")))
        {
            path = Path.Combine(o.ModelsDir, $"resnet{depth}.onnx");
            why = $"resnet{depth}.onnx from {o.ModelsDir}";
        }
        else if (depth == o.Depth && o.ModelsDir == null && File.Exists(DefaultModelPath()))
        {
            path = DefaultModelPath();
            why = "scene-resnet.onnx (trained on the scene)";
        }
        else why = null;

        OnnxModel model;
        bool random = path == null;
        if (random)
        {
            if (BuildRandom == null) throw new InvalidOperationException($"no model: {DefaultModelPath()} is missing and this build cannot build a ResNet on the fly; pass --model M.onnx");
            model = BuildRandom(depth, SceneScript.Classes.Length, sceneSize, o.Seed);
            string reason = o.ModelsDir != null ? $"no resnet{depth}.onnx in {o.ModelsDir}"
                : depth != o.Depth ? $"the trained scene model sits on depth key {o.Depth}; pass --models DIR for trained resnet{depth}"
                : $"{DemoOptions.DefaultModel} not found";
            why = $"RANDOM weights, built on the fly ({reason})";
        }
        else model = OnnxModel.Load(path);

        var (fc, fcIn, classes) = FindFc(model);
        var labels = ReadLabels(model, classes);
        if (sceneSource && classes != SceneScript.Classes.Length)
            throw new InvalidDataException($"model {why} has {classes} classes but the scene has {SceneScript.Classes.Length} ({string.Join(", ", SceneScript.Classes)}); pass a model trained on `rr demo --record` frames, or use --source webcam/video/image");
        if (sceneSource) labels = SceneScript.Classes;
        var structure = ModelInspector.Inspect(model).ResNet;
        var stages = structure?.Stages.Select(st => st.Name).ToArray() ?? Array.Empty<string>();
        return new ModelChoice(model, structure?.Depth ?? depth, stages, why, random, labels, fc, fcIn,
            ReadFloats(model, MetadataKeys.Mean, "mean"), ReadFloats(model, MetadataKeys.Std, "std"));
    }

    public static string DefaultModelPath()
    {
        // models/ sits at the repository root; the app may run from anywhere under it.
        var dir = AppContext.BaseDirectory;
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, DemoOptions.DefaultModel))) return Path.Combine(d.FullName, DemoOptions.DefaultModel);
        for (var d = new DirectoryInfo(dir); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, DemoOptions.DefaultModel))) return Path.Combine(d.FullName, DemoOptions.DefaultModel);
        return Path.GetFullPath(DemoOptions.DefaultModel);
    }

    /// <summary>Last Gemm (or MatMul) weight as [classes, features] row-major.</summary>
    public static (float[] W, int In, int Classes) FindFc(OnnxModel m)
    {
        var g = m.Graph;
        for (int i = g.Nodes.Count - 1; i >= 0; i--)
        {
            var n = g.Nodes[i];
            if (n.OpType != "Gemm" && n.OpType != "MatMul") continue;
            var w = g.FindInitializer(n.Inputs[1]);
            if (w == null || w.Dims.Length != 2) continue;
            var data = w.ToFloatArray();
            bool transB = n.OpType == "Gemm" && n.GetInt("transB", 0) != 0;
            int rows = (int)w.Dims[0], cols = (int)w.Dims[1];
            if (transB) return (data, cols, rows); // already [classes, features]
            var t = new float[data.Length];        // [features, classes] → [classes, features]
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c];
            return (t, rows, cols);
        }
        throw new InvalidDataException("the model has no final fully-connected layer (Gemm/MatMul with a 2-D weight); not a classifier");
    }

    static float[] ReadFloats(OnnxModel m, string key, string alias)
    {
        var s = m.GetMetadata(key) ?? m.GetMetadata(alias);
        if (string.IsNullOrWhiteSpace(s)) return null;
        var parts = s.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var v = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out v[i]))
                throw new InvalidDataException($"model metadata {key} = '{s}' is not a comma-separated list of numbers");
        return v.Length == 3 ? v : null;
    }

    static string[] ReadLabels(OnnxModel m, int classes)
    {
        var s = m.GetMetadata(MetadataKeys.Labels) ?? m.GetMetadata("labels") ?? m.GetMetadata("class_names") ?? m.GetMetadata("classes");
        if (s == null) return null;
        var parts = s.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.TrimEntries).Select(p => p.Trim('"')).ToArray();
        return parts.Length == classes ? parts : null;
    }
}
