namespace ResNetRealtime.Training.Models;

public enum BlockKind { Basic, Bottleneck }

/// <summary>
/// The architecture of a ResNet by name (torchvision's and He et al.'s CIFAR variants):
///   resnet18/34 (BasicBlock [2,2,2,2]/[3,4,6,3]), resnet50/101/152 (Bottleneck [3,4,6,3]/[3,4,23,3]/[3,8,36,3]),
///   resnext50_32x4d (Bottleneck [3,4,6,3], groups 32, width per group 4),
///   resnet20/32/44/56/110 (CIFAR: 3×3 stem, no max-pool, 3 stages of 16/32/64 BasicBlocks, n = (depth − 2)/6).
/// </summary>
public sealed class ResNetConfig
{
    public string Name { get; init; }
    public BlockKind Block { get; init; }
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

    public static readonly string[] KnownNames =
        { "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110" };

    /// <summary>The same architecture as the runtime's ONNX builder spec (so names and shapes agree with
    /// <c>ResNetOnnxBuilder.Build(spec, ...)</c>).</summary>
    public static ResNetConfig FromSpec(ResNetRealtime.Runtime.Models.ResNetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (spec.StemWidth != (spec.Cifar ? 16 : 64))
            throw new ArgumentException($"ResNet: spec {spec.Name} has stem width {spec.StemWidth}; the engine builds 16 (CIFAR) or 64 (ImageNet)");
        return new ResNetConfig
        {
            Name = spec.Name,
            Block = spec.Block == ResNetRealtime.Runtime.Models.BlockKind.Bottleneck ? BlockKind.Bottleneck : BlockKind.Basic,
            Layers = spec.Layers, StageWidths = spec.StageWidths, Cifar = spec.Cifar, Groups = spec.Groups,
            WidthPerGroup = spec.WidthPerGroup, Classes = spec.NumClasses, InChannels = spec.InChannels,
        };
    }

    public static ResNetConfig FromName(string name, int classes = 1000, int inChannels = 3)
    {
        if (classes < 1) throw new ArgumentException($"ResNet: class count {classes} < 1");
        if (inChannels < 1) throw new ArgumentException($"ResNet: input channels {inChannels} < 1");
        string key = (name ?? "").Trim().ToLowerInvariant().Replace("-", "");
        int[] imagenet = { 64, 128, 256, 512 };
        ResNetConfig Img(BlockKind b, int[] layers, int groups = 1, int wpg = 64) => new()
        { Name = key, Block = b, Layers = layers, StageWidths = imagenet, Groups = groups, WidthPerGroup = wpg, Classes = classes, InChannels = inChannels };
        ResNetConfig Cif(int depth) => new()
        { Name = key, Block = BlockKind.Basic, Layers = new[] { (depth - 2) / 6, (depth - 2) / 6, (depth - 2) / 6 }, StageWidths = new[] { 16, 32, 64 }, Cifar = true, Classes = classes, InChannels = inChannels };
        return key switch
        {
            "resnet18" => Img(BlockKind.Basic, new[] { 2, 2, 2, 2 }),
            "resnet34" => Img(BlockKind.Basic, new[] { 3, 4, 6, 3 }),
            "resnet50" => Img(BlockKind.Bottleneck, new[] { 3, 4, 6, 3 }),
            "resnet101" => Img(BlockKind.Bottleneck, new[] { 3, 4, 23, 3 }),
            "resnet152" => Img(BlockKind.Bottleneck, new[] { 3, 8, 36, 3 }),
            "resnext50_32x4d" => Img(BlockKind.Bottleneck, new[] { 3, 4, 6, 3 }, 32, 4),
            "resnet20" => Cif(20),
            "resnet32" => Cif(32),
            "resnet44" => Cif(44),
            "resnet56" => Cif(56),
            "resnet110" => Cif(110),
            _ => throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", KnownNames)}"),
        };
    }
}
