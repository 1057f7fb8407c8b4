using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// A model ready for the demo: the runtime's <see cref="LoadedModel"/> (inspected once) plus what the HUD
/// says about it. Depth and Stages are what the graph itself says (a CIFAR-style ResNet-20 is 20 deep with
/// stages layer1..layer3), not the depth key that chose it; Labels are the scene's classes for the scene source.
/// Everything else is the model object's, so the demo, the Classifier and every backend agree on it.
/// </summary>
internal sealed record ModelChoice(LoadedModel Loaded, int Depth, string Description, bool RandomWeights, string[] Labels)
{
    public OnnxModel Model => Loaded.Onnx;
    public string[] Stages => Loaded.Stages;
    /// <summary>Final fc as [classes, features] for the CPU CAM.</summary>
    public float[] FcWeight => Loaded.Fc?.Weight;
    public int FcIn => Loaded.Fc?.Features ?? 0;
    /// <summary>Per-channel mean/std from rr.mean/rr.std (one value for a 1-channel model), else the documented defaults.</summary>
    public float[] Mean => Loaded.Mean;
    public float[] Std => Loaded.Std;
}

/// <summary>
/// Finds the model for a depth: --model FILE (fixed), DIR/resnet{D}.onnx from --models, the shipped
/// models/scene-resnet.onnx (default), else a ResNet built on the fly with random weights (said in the
/// HUD and on stderr). Checks the class count against the scene's labels; the model facts (labels, mean/std,
/// stages, fc weights for the CAM) come from <see cref="LoadedModel"/>.
/// </summary>
internal static class ModelProvider
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

        LoadedModel model;
        bool random = path == null;
        if (random)
        {
            if (BuildRandom == null) throw new InvalidOperationException($"no model: {DefaultModelPath()} is missing and this build cannot build a ResNet on the fly; pass --model M.onnx");
            string reason = o.ModelsDir != null ? $"no resnet{depth}.onnx in {o.ModelsDir}"
                : depth != o.Depth ? $"the trained scene model sits on depth key {o.Depth}; pass --models DIR for trained resnet{depth}"
                : $"{DemoOptions.DefaultModel} not found";
            why = $"RANDOM weights, built on the fly ({reason})";
            model = LoadedModel.From(BuildRandom(depth, SceneScript.Classes.Length, sceneSize, o.Seed), why);
        }
        else model = LoadedModel.Load(path);

        int classes = model.Info.Classes;
        if (o.Teach)  // teach mode: the model is the backbone and the taught head supplies the classes
            return new ModelChoice(model, model.Info.ResNet?.Depth ?? depth, why + " (teach mode backbone)", random, model.Labels);
        if (model.Fc == null)
            throw new InvalidDataException($"model {why} has no final fully-connected layer (Gemm/MatMul with a 2-D weight)" +
                                           (model.IsFeatureExtractor ? $": it is a feature extractor ({classes} features)" : "") + "; the demo needs a classifier");
        if (sceneSource && classes != SceneScript.Classes.Length)
            throw new InvalidDataException($"model {why} has {classes} classes but the scene has {SceneScript.Classes.Length} ({string.Join(", ", SceneScript.Classes)}); pass a model trained on `rr demo --record` frames, or use --source webcam/video/image");
        return new ModelChoice(model, model.Info.ResNet?.Depth ?? depth, why, random, sceneSource ? SceneScript.Classes : model.Labels);
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
}
