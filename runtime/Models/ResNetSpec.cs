// ResNetSpec: the shape of a ResNet family member, independent of weights. One description serves
// the ONNX builder (ResNetOnnxBuilder), the training engine and the inspector's naming.
//
// ImageNet models follow torchvision 0.14 exactly (models/resnet.py): 7x7/2 stem conv + BN + ReLU +
// 3x3/2 max pool; four stages of widths 64/128/256/512 with stride 2 at the first block of stages
// 2-4 (ResNet v1.5: in a bottleneck the stride sits on the 3x3 conv); projection shortcuts (1x1 conv
// + BN) wherever shape changes; global average pool; fc. Parameter names are torchvision's.
//
// CIFAR models follow He et al. 2016, section 4.2: 3x3/1 stem conv with 16 channels, no max pool,
// three stages of n basic blocks (depth = 6n + 2) with widths 16/32/64. Choice: where the shape changes
// the shortcut is a projection (1x1 conv + BN, "option B") rather than the paper's zero-padding
// identity ("option A"), so that every model here is made of the same few ops and parameter names as
// torchvision. It adds 2,752 parameters to ResNet-20 (1x1 convs 16->32 and 32->64 plus their BN):
// 272,474 instead of the paper's 269,722 at 10 classes.
using System.Text;

namespace ResNetRealtime.Runtime.Models;

internal enum BlockKind { Basic, Bottleneck }

internal sealed record ResNetSpec
{
    int[] _layers = [2, 2, 2, 2];
    int[] _stageWidths = [64, 128, 256, 512];

    public string Name { get; init; } = "resnet18";
    public BlockKind Block { get; init; } = BlockKind.Basic;
    /// <summary>Blocks per stage (a copy; the record is immutable).</summary>
    public int[] Layers { get => (int[])_layers.Clone(); init => _layers = (int[])(value ?? throw new ArgumentNullException(nameof(Layers))).Clone(); }
    /// <summary>"planes" per stage, before the bottleneck expansion (a copy).</summary>
    public int[] StageWidths { get => (int[])_stageWidths.Clone(); init => _stageWidths = (int[])(value ?? throw new ArgumentNullException(nameof(StageWidths))).Clone(); }
    /// <summary>CIFAR-style stem (3x3/1 conv, no max pool). See the file header for the shortcut choice.</summary>
    public bool Cifar { get; init; }
    public int Groups { get; init; } = 1;
    public int WidthPerGroup { get; init; } = 64;
    public int InChannels { get; init; } = 3;
    public int NumClasses { get; init; } = 1000;
    public int InputSize { get; init; } = 224;
    /// <summary>Initialise the last BN of every block with weight 0 (torchvision's zero_init_residual).</summary>
    public bool ZeroInitResidual { get; init; }

    public int Expansion => Block == BlockKind.Bottleneck ? 4 : 1;
    public int ConvsPerBlock => Block == BlockKind.Bottleneck ? 3 : 2;
    public int StemWidth => _stageWidths[0];
    public int StageCount => _layers.Length;
    /// <summary>Channels entering the classifier.</summary>
    public int FeatureCount => _stageWidths[^1] * Expansion;
    /// <summary>Weighted layers on the longest path: convs in all blocks + stem conv + fc.</summary>
    public int Depth => ConvsPerBlock * _layers.Sum() + 2;
    /// <summary>Stride of the stem: 4 for ImageNet (conv /2, pool /2), 1 for CIFAR.</summary>
    public int StemStride => Cifar ? 1 : 4;

    public static readonly string[] KnownNames =
    [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
        "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2",
    ];

    /// <summary>
    /// A named architecture. <paramref name="inputSize"/> defaults to 224, or 32 for CIFAR names
    /// when left at 224. Unknown names: ArgumentException listing the valid ones.
    /// </summary>
    public static ResNetSpec FromName(string name, int numClasses = 1000, int inChannels = 3, int inputSize = 224)
    {
        string key = (name ?? "").Trim().ToLowerInvariant();
        ResNetSpec s = key switch
        {
            "resnet18" => new() { Block = BlockKind.Basic, Layers = [2, 2, 2, 2] },
            "resnet34" => new() { Block = BlockKind.Basic, Layers = [3, 4, 6, 3] },
            "resnet50" => new() { Block = BlockKind.Bottleneck, Layers = [3, 4, 6, 3] },
            "resnet101" => new() { Block = BlockKind.Bottleneck, Layers = [3, 4, 23, 3] },
            "resnet152" => new() { Block = BlockKind.Bottleneck, Layers = [3, 8, 36, 3] },
            "resnext50_32x4d" => new() { Block = BlockKind.Bottleneck, Layers = [3, 4, 6, 3], Groups = 32, WidthPerGroup = 4 },
            "resnext101_32x8d" => new() { Block = BlockKind.Bottleneck, Layers = [3, 4, 23, 3], Groups = 32, WidthPerGroup = 8 },
            "wide_resnet50_2" => new() { Block = BlockKind.Bottleneck, Layers = [3, 4, 6, 3], WidthPerGroup = 128 },
            "resnet20" or "resnet32" or "resnet44" or "resnet56" or "resnet110" => CifarSpec(int.Parse(key["resnet".Length..])),
            _ => throw new ArgumentException($"unknown model '{name}': expected one of {string.Join(", ", KnownNames)}", nameof(name)),
        };
        if (s.Cifar && inputSize == 224) inputSize = 32;
        s = s with { Name = key, NumClasses = numClasses, InChannels = inChannels, InputSize = inputSize };
        s.Validate();
        return s;
    }

    static ResNetSpec CifarSpec(int depth) =>
        new() { Block = BlockKind.Basic, Cifar = true, Layers = [(depth - 2) / 6, (depth - 2) / 6, (depth - 2) / 6], StageWidths = [16, 32, 64] };

    /// <summary>Throws ArgumentException naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (_layers.Length == 0 || _layers.Length != _stageWidths.Length)
            throw new ArgumentException($"{Name}: Layers [{string.Join(",", _layers)}] and StageWidths [{string.Join(",", _stageWidths)}] must be non-empty and of equal length");
        if (_layers.Any(n => n < 1)) throw new ArgumentException($"{Name}: every stage needs at least one block, got [{string.Join(",", _layers)}]");
        if (_stageWidths.Any(w => w < 1)) throw new ArgumentException($"{Name}: stage widths must be positive, got [{string.Join(",", _stageWidths)}]");
        if (NumClasses < 1) throw new ArgumentException($"{Name}: NumClasses must be >= 1, got {NumClasses}");
        if (InChannels < 1) throw new ArgumentException($"{Name}: InChannels must be >= 1, got {InChannels}");
        if (InputSize < 1) throw new ArgumentException($"{Name}: InputSize must be >= 1, got {InputSize}");
        if (Groups < 1 || WidthPerGroup < 1) throw new ArgumentException($"{Name}: Groups ({Groups}) and WidthPerGroup ({WidthPerGroup}) must be >= 1");
        if (Block == BlockKind.Basic && (Groups != 1 || WidthPerGroup != 64))
            throw new ArgumentException($"{Name}: basic blocks support only Groups=1 and WidthPerGroup=64 (as torchvision), got {Groups} and {WidthPerGroup}");
    }

    /// <summary>Output channels of the 3x3 conv inside a bottleneck of the given stage (torchvision's "width").</summary>
    public int BottleneckWidth(int stage) => (int)(_stageWidths[stage] * (WidthPerGroup / 64.0)) * Groups;

    /// <summary>Stride of the first block of a stage (1 for the first stage, else 2).</summary>
    public static int StageStride(int stage) => stage == 0 ? 1 : 2;

    /// <summary>Learnable parameters in torchvision's order (model.named_parameters()).</summary>
    public IEnumerable<(string name, int[] shape)> ParameterShapes() => StateShapes().Where(t => !t.name.EndsWith(".running_mean") && !t.name.EndsWith(".running_var"));

    /// <summary>BatchNorm buffers: running_mean and running_var of every BN, in state_dict order.</summary>
    public IEnumerable<(string name, int[] shape)> BufferShapes() => StateShapes().Where(t => t.name.EndsWith(".running_mean") || t.name.EndsWith(".running_var"));

    /// <summary>
    /// Parameters and BN buffers in torchvision's state_dict order (without num_batches_tracked):
    /// conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var, layer1.0.conv1.weight, ...
    /// </summary>
    public IEnumerable<(string name, int[] shape)> StateShapes()
    {
        Validate();
        int k = Cifar ? 3 : 7;
        foreach (var t in Conv("conv1", StemWidth, InChannels, k, 1)) yield return t;
        foreach (var t in Bn("bn1", StemWidth)) yield return t;
        int inplanes = StemWidth;
        for (int s = 0; s < _layers.Length; s++)
        {
            int planes = _stageWidths[s];
            for (int b = 0; b < _layers[s]; b++)
            {
                string p = $"layer{s + 1}.{b}";
                int stride = b == 0 ? StageStride(s) : 1;
                if (Block == BlockKind.Basic)
                {
                    foreach (var t in Conv($"{p}.conv1", planes, inplanes, 3, 1)) yield return t;
                    foreach (var t in Bn($"{p}.bn1", planes)) yield return t;
                    foreach (var t in Conv($"{p}.conv2", planes, planes, 3, 1)) yield return t;
                    foreach (var t in Bn($"{p}.bn2", planes)) yield return t;
                }
                else
                {
                    int width = BottleneckWidth(s);
                    foreach (var t in Conv($"{p}.conv1", width, inplanes, 1, 1)) yield return t;
                    foreach (var t in Bn($"{p}.bn1", width)) yield return t;
                    foreach (var t in Conv($"{p}.conv2", width, width, 3, Groups)) yield return t;
                    foreach (var t in Bn($"{p}.bn2", width)) yield return t;
                    foreach (var t in Conv($"{p}.conv3", planes * Expansion, width, 1, 1)) yield return t;
                    foreach (var t in Bn($"{p}.bn3", planes * Expansion)) yield return t;
                }
                if (HasDownsample(s, b))
                {
                    foreach (var t in Conv($"{p}.downsample.0", planes * Expansion, inplanes, 1, 1)) yield return t;
                    foreach (var t in Bn($"{p}.downsample.1", planes * Expansion)) yield return t;
                }
                inplanes = planes * Expansion;
            }
        }
        yield return ("fc.weight", [NumClasses, FeatureCount]);
        yield return ("fc.bias", [NumClasses]);
    }

    /// <summary>Whether block b of stage s has a projection shortcut (stride or channel change).</summary>
    public bool HasDownsample(int stage, int block)
    {
        if (block != 0) return false;
        int inplanes = stage == 0 ? StemWidth : _stageWidths[stage - 1] * Expansion;
        return StageStride(stage) != 1 || inplanes != _stageWidths[stage] * Expansion;
    }

    static IEnumerable<(string, int[])> Conv(string name, int outC, int inC, int k, int groups)
    {
        yield return ($"{name}.weight", [outC, inC / groups, k, k]);
    }

    static IEnumerable<(string, int[])> Bn(string name, int c)
    {
        yield return ($"{name}.weight", [c]);
        yield return ($"{name}.bias", [c]);
        yield return ($"{name}.running_mean", [c]);
        yield return ($"{name}.running_var", [c]);
    }

    public long ParameterCount() => ParameterShapes().Sum(t => t.shape.Aggregate(1L, (a, d) => a * d));

    public bool Equals(ResNetSpec other) =>
        other is not null && Name == other.Name && Block == other.Block && _layers.SequenceEqual(other._layers) &&
        _stageWidths.SequenceEqual(other._stageWidths) && Cifar == other.Cifar && Groups == other.Groups &&
        WidthPerGroup == other.WidthPerGroup && InChannels == other.InChannels && NumClasses == other.NumClasses &&
        InputSize == other.InputSize && ZeroInitResidual == other.ZeroInitResidual;

    public override int GetHashCode() => HashCode.Combine(Name, Block, string.Join(",", _layers), NumClasses, InChannels, InputSize, Groups, WidthPerGroup);

    bool PrintMembers(StringBuilder sb)
    {
        sb.Append($"Name = {Name}, Block = {Block}, Layers = [{string.Join(",", _layers)}], StageWidths = [{string.Join(",", _stageWidths)}], ");
        sb.Append($"Cifar = {Cifar}, Groups = {Groups}, WidthPerGroup = {WidthPerGroup}, InChannels = {InChannels}, NumClasses = {NumClasses}, InputSize = {InputSize}");
        return true;
    }
}
