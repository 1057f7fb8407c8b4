using ResNetRealtime.Runtime.Models;

namespace ResNetRealtime.Training.Models;

/// <summary>
/// The engine's view of an architecture. The names and their shapes have one owner, the runtime's
/// <see cref="ResNetRealtime.Runtime.Models.ResNetSpec"/> (torchvision's ResNet-18…152, ResNeXt-50 32×4d and
/// 101 32×8d, Wide ResNet-50-2, and He et al.'s CIFAR ResNet-20…110); this class only adds the class and
/// input-channel counts and the few derived numbers the layers need.
/// </summary>
public sealed class ResNetConfig
{
    public string Name { get; init; }
    internal BlockKind Block { get; init; }
    public int[] Layers { get; init; }
    /// <summary>Per-stage "planes" (block output = planes · expansion).</summary>
    public int[] StageWidths { get; init; }
    /// <summary>CIFAR stem (3×3 conv, stride 1, no max-pool) instead of ImageNet's 7×7/2 + max-pool.</summary>
    public bool Cifar { get; init; }
    public int Groups { get; init; } = 1;
    public int WidthPerGroup { get; init; } = 64;
    public int Classes { get; init; } = 1000;
    public int InChannels { get; init; } = 3;

    public int StemWidth => Cifar ? 16 : 64;
    public int Expansion => Block == BlockKind.Basic ? 1 : 4;
    public int FeatureWidth => StageWidths[^1] * Expansion;

    /// <summary>Every name the runtime's builder knows.</summary>
    public static IReadOnlyList<string> KnownNames => ResNetRealtime.Runtime.Models.ResNetSpec.KnownNames;

    /// <summary>The same architecture as the runtime's ONNX builder spec (so names and shapes agree with
    /// <c>ResNetOnnxBuilder.Build(spec, ...)</c>).</summary>
    internal static ResNetConfig FromSpec(ResNetRealtime.Runtime.Models.ResNetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (spec.StemWidth != (spec.Cifar ? 16 : 64))
            throw new ArgumentException($"ResNet: spec {spec.Name} has stem width {spec.StemWidth}; the engine builds 16 (CIFAR) or 64 (ImageNet)");
        return new ResNetConfig
        {
            Name = spec.Name,
            Block = spec.Block,
            Layers = spec.Layers, StageWidths = spec.StageWidths, Cifar = spec.Cifar, Groups = spec.Groups,
            WidthPerGroup = spec.WidthPerGroup, Classes = spec.NumClasses, InChannels = spec.InChannels,
        };
    }

    /// <summary>The runtime's spec of <paramref name="inputSize"/>² inputs for this architecture.</summary>
    internal ResNetRealtime.Runtime.Models.ResNetSpec ToSpec(int inputSize)
    {
        var spec = new ResNetRealtime.Runtime.Models.ResNetSpec
        {
            Name = Name,
            Block = Block,
            Layers = Layers, StageWidths = StageWidths, Cifar = Cifar, Groups = Groups, WidthPerGroup = WidthPerGroup,
            InChannels = InChannels, NumClasses = Classes, InputSize = inputSize,
        };
        spec.Validate();
        return spec;
    }

    /// <summary>A named architecture (ResNetSpec.FromName: "-" is ignored, so "resnet-50" works). Unknown
    /// names: ArgumentException listing the known ones.</summary>
    public static ResNetConfig FromName(string name, int classes = 1000, int inChannels = 3)
    {
        if (classes < 1) throw new ArgumentException($"ResNet: class count {classes} < 1");
        if (inChannels < 1) throw new ArgumentException($"ResNet: input channels {inChannels} < 1");
        string key = (name ?? "").Trim().ToLowerInvariant().Replace("-", "");
        if (!KnownNames.Contains(key)) throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", KnownNames)}");
        return FromSpec(ResNetRealtime.Runtime.Models.ResNetSpec.FromName(key, classes, inChannels));
    }
}
