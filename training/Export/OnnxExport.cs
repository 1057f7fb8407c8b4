using ResNetRealtime.Runtime.IO;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Trainer;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Training.Export;

/// <summary>
/// Exports a trained engine ResNet as ONNX through the runtime's one exporter (ResNetOnnxBuilder),
/// passing the engine's state dict by torchvision name, plus the metadata `rr infer` reads: labels,
/// mean/std, input size, architecture and the recipe (the exact command line). The graph is the
/// eval-mode network (BatchNorm with running statistics), input "input" [N, C, S, S], output "logits".
/// </summary>
internal static class OnnxExport
{
    /// <summary>The runtime's description of the same architecture as <paramref name="net"/>.</summary>
    public static ResNetSpec SpecFor(ResNet net, int inputSize) => net.Config.ToSpec(inputSize);

    public static OnnxModel Build(ResNet net, int inputSize, IReadOnlyList<string> labels, float[] mean, float[] std, string recipe) =>
        Build(net, net.StateDict().Select(e => new NamedTensor(e.name, e.shape, e.data)), inputSize, labels, mean, std, recipe);

    /// <summary>Exports <paramref name="net"/>'s architecture with the weights in <paramref name="weights"/>
    /// (by torchvision name: any engine's state, e.g. TorchSharp's copied out).</summary>
    public static OnnxModel Build(ResNet net, IEnumerable<NamedTensor> weights, int inputSize, IReadOnlyList<string> labels, float[] mean, float[] std, string recipe)
    {
        var state = weights.ToDictionary(e => e.Name, e => (data: e.Data, shape: e.Shape), StringComparer.Ordinal);
        var spec = SpecFor(net, inputSize);
        var expected = spec.StateShapes().Select(t => t.name).ToHashSet(StringComparer.Ordinal);
        var extra = state.Keys.Where(k => !expected.Contains(k)).ToList();
        if (extra.Count > 0) throw new InvalidOperationException($"export: engine tensor '{extra[0]}' has no place in the ONNX layout of {spec.Name}");
        return ResNetOnnxBuilder.Build(spec, new ResNetBuildOptions
        {
            Weights = (name, shape) =>
            {
                if (!state.TryGetValue(name, out var t)) throw new InvalidOperationException($"export: the engine model has no tensor '{name}' [{string.Join(",", shape)}]");
                if (!t.shape.AsSpan().SequenceEqual(shape))
                    throw new InvalidOperationException($"export: '{name}' is [{string.Join(",", t.shape)}] in the engine, [{string.Join(",", shape)}] in the ONNX layout");
                return (float[])t.data.Clone();
            },
            Labels = labels, Mean = mean, Std = std, Recipe = recipe,
        });
    }

    /// <summary>Builds and writes <paramref name="path"/> atomically.</summary>
    public static OnnxModel Save(string path, ResNet net, int inputSize, IReadOnlyList<string> labels, float[] mean, float[] std, string recipe) =>
        Save(path, net, net.StateDict().Select(e => new NamedTensor(e.name, e.shape, e.data)), inputSize, labels, mean, std, recipe);

    public static OnnxModel Save(string path, ResNet net, IEnumerable<NamedTensor> weights, int inputSize, IReadOnlyList<string> labels, float[] mean, float[] std, string recipe)
    {
        var model = Build(net, weights, inputSize, labels, mean, std, recipe);
        var bytes = model.ToBytes();
        AtomicFile.Write(path, s => s.Write(bytes));
        return model;
    }
}
