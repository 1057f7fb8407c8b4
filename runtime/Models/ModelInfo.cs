// What the runtime needs to know about a classifier model, found by ModelInspector.Inspect.
namespace ResNetRealtime.Runtime.Models;

internal enum ValueSource
{
    /// <summary>Read from the graph itself (declared shapes).</summary>
    Graph,
    /// <summary>Read from metadata_props (see MetadataKeys).</summary>
    Metadata,
    /// <summary>Not in the model: a documented default (ImageNet mean/std, 224 input).</summary>
    Default,
}

/// <summary>What a model's output is. See <see cref="ModelInspector"/> for the rule that decides it.</summary>
internal enum HeadKind
{
    /// <summary>Class scores (logits or probabilities): softmax and top-k apply.</summary>
    Classifier,
    /// <summary>A feature vector ([N,C] or [N,C,1,1]) with no classifier head: no softmax, no top-k.</summary>
    FeatureExtractor,
}

internal sealed class ModelInfo
{
    public string InputName { get; init; }
    /// <summary>Declared input shape [N,C,H,W]; -1 for a symbolic or unknown dimension.</summary>
    public long[] InputShape { get; init; }
    public bool DynamicBatch { get; init; }
    public string OutputName { get; init; }
    /// <summary>Declared shape of the output; -1 for symbolic dims; null if undeclared.</summary>
    public long[] OutputShape { get; init; }
    /// <summary>Number of classes (output dim 1, else the classifier weight's rows); -1 if unknown.
    /// For a feature extractor, the number of features.</summary>
    public int Classes { get; init; }
    /// <summary>Classifier, or FeatureExtractor for a model without a classifier head.</summary>
    public HeadKind Head { get; init; }
    public bool IsFeatureExtractor => Head == HeadKind.FeatureExtractor;
    public int Channels { get; init; }
    public int InputHeight { get; init; }
    public int InputWidth { get; init; }
    public ValueSource InputSizeSource { get; init; }
    /// <summary>Class names in output order, from rr.labels (or an alias); null when the model has none.</summary>
    public string[] Labels { get; init; }
    /// <summary>Per-channel mean and std on the 0..1 pixel scale, one value per input channel.</summary>
    public float[] Mean { get; init; }
    public float[] Std { get; init; }
    /// <summary>Metadata when both rr.mean and rr.std were present, else Default (ImageNet).</summary>
    public ValueSource NormalizationSource { get; init; }
    /// <summary>rr.arch, or null.</summary>
    public string Arch { get; init; }
    /// <summary>The residual structure; null when the graph has no residual additions (a plain CNN).</summary>
    public ResNetStructure ResNet { get; init; }

    /// <summary>The ResNet structure, or an InvalidDataException saying the model is not a ResNet.</summary>
    public ResNetStructure RequireResNet() => ResNet ?? throw new InvalidDataException(
        $"model with input '{InputName}' is not a ResNet: no residual additions (Add of two branches from a common tensor) were found");

    public string LabelFor(int classIndex) =>
        Labels != null && classIndex >= 0 && classIndex < Labels.Length ? Labels[classIndex] : $"class {classIndex}";

    public override string ToString() =>
        $"input '{InputName}' [{string.Join(",", InputShape)}] -> output '{OutputName}' ({Classes} {(IsFeatureExtractor ? "features" : "classes")}), " +
        $"{InputWidth}x{InputHeight} ({InputSizeSource}), {(ResNet != null ? ResNet.ToString() : "no residual structure")}";
}

internal sealed class ResNetStructure
{
    /// <summary>Weighted layers on the main path: stem convs + convs in residual branches + classifier layers.</summary>
    public int Depth { get; init; }
    public BlockKind Block { get; init; }
    public int[] BlocksPerStage { get; init; }
    public List<StageInfo> Stages { get; init; }
    /// <summary>Tensor entering the first block (after stem conv/BN/ReLU/pool).</summary>
    public string StemOutput { get; init; }
    /// <summary>Output of the global average pool after the last stage, or null.</summary>
    public string PoolOutput { get; init; }

    public override string ToString() =>
        $"ResNet-{Depth} ({Block}, blocks [{string.Join(",", BlocksPerStage)}])";
}

internal sealed class StageInfo
{
    /// <summary>"layer1", "layer2", ... in graph order.</summary>
    public string Name { get; init; }
    /// <summary>The tensor the stage's last block outputs (after its final ReLU, if any).</summary>
    public string OutputName { get; init; }
    public int Blocks { get; init; }
    /// <summary>Output channels, -1 if they cannot be read from conv weights.</summary>
    public int Channels { get; init; }
    /// <summary>Downsampling factor of the stage output relative to the input (4, 8, 16, 32 for ImageNet ResNets).</summary>
    public int Stride { get; init; }
    /// <summary>Names of the residual Add nodes, one per block.</summary>
    public string[] AddNodes { get; init; }

    public override string ToString() => $"{Name}: {Blocks} blocks, {Channels} ch, /{Stride}, out '{OutputName}'";
}
