using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;

namespace ResNetRealtime.Training.Models;

/// <summary>
/// A ResNet / ResNeXt with torchvision's structure and parameter names
/// (conv1.weight, bn1.*, layer1.0.conv1.weight, layer2.0.downsample.0.weight, fc.weight, fc.bias):
///   x [N, InChannels, H, W] → logits [N, Classes].
/// CIFAR variants use a 1×1 conv + BN projection ("downsample") wherever a block changes shape.
/// Initialisation: convs Kaiming-normal (fan_out, ReLU), BN γ=1 β=0 (γ=0 on each block's last BN with
/// zeroInitResidual), fc as nn.Linear's default. The stem conv computes no input gradient
/// (<see cref="Backward"/> returns null) unless <c>Conv1.NeedsInputGrad</c> is set.
/// </summary>
public sealed class ResNet : Module
{
    private readonly List<Module> _children = new();

    public ResNet(ResNetConfig config, int seed = 0, bool zeroInitResidual = false) : base("")
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        int inplanes = config.StemWidth;
        Conv1 = config.Cifar
            ? new Conv2d("conv1", config.InChannels, inplanes, 3, 1, 1)
            : new Conv2d("conv1", config.InChannels, inplanes, 7, 2, 3);
        Conv1.NeedsInputGrad = false;
        Bn1 = new BatchNorm2d("bn1", inplanes);
        Relu = new ReLU("relu");
        if (!config.Cifar) MaxPool = new MaxPool2d("maxpool", 3, 2, 1);
        _children.AddRange(new Module[] { Conv1, Bn1, Relu });
        if (MaxPool != null) _children.Add(MaxPool);

        var stages = new List<Sequential>();
        for (int s = 0; s < config.Layers.Length; s++)
        {
            int planes = config.StageWidths[s], stride = s == 0 ? 1 : 2;
            string stageName = $"layer{s + 1}";
            var blocks = new List<Module>();
            for (int b = 0; b < config.Layers[s]; b++)
            {
                int st = b == 0 ? stride : 1;
                bool down = b == 0 && (st != 1 || inplanes != planes * config.Expansion);
                string bn = $"{stageName}.{b}";
                blocks.Add(config.Block == BlockKind.Basic
                    ? new BasicBlock(bn, inplanes, planes, st, down)
                    : new Bottleneck(bn, inplanes, planes, st, down, config.Groups, config.WidthPerGroup));
                inplanes = planes * config.Expansion;
            }
            var stage = new Sequential(stageName, blocks.ToArray());
            stages.Add(stage);
            _children.Add(stage);
        }
        Stages = stages;
        AvgPool = new GlobalAvgPool("avgpool");
        Fc = new Linear("fc", inplanes, config.Classes);
        _children.Add(AvgPool);
        _children.Add(Fc);
        Initialize(seed, zeroInitResidual);
    }

    /// <summary>Builds the model the runtime's ONNX builder describes with <paramref name="spec"/>.</summary>
    internal ResNet(ResNetRealtime.Runtime.Models.ResNetSpec spec, int seed = 0)
        : this(ResNetConfig.FromSpec(spec), seed, spec.ZeroInitResidual) { }

    /// <summary>Builds a model by name (see <see cref="ResNetConfig.FromName"/>).</summary>
    public static ResNet Create(string name, int classes = 1000, int inChannels = 3, int seed = 0, bool zeroInitResidual = false) =>
        new(ResNetConfig.FromName(name, classes, inChannels), seed, zeroInitResidual);

    public ResNetConfig Config { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public ReLU Relu { get; }
    /// <summary>Null for CIFAR variants.</summary>
    public MaxPool2d MaxPool { get; }
    /// <summary>layer1..layerN.</summary>
    public IReadOnlyList<Sequential> Stages { get; }
    public GlobalAvgPool AvgPool { get; }
    public Linear Fc { get; private set; }

    public override IEnumerable<Module> Children() => _children;

    public override Tensor Forward(Tensor x)
    {
        x.RequireNchw("ResNet", Config.InChannels);
        foreach (var m in _children) x = m.Forward(x);
        return x;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        for (int i = _children.Count - 1; i >= 0; i--) gradOut = _children[i].Backward(gradOut);
        return gradOut;
    }

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="classes"/> classes
    /// (transfer learning); the new fc is in training mode when the model is.</summary>
    public void ReplaceHead(int classes, int seed)
    {
        if (classes < 1) throw new ArgumentException($"ResNet: class count {classes} < 1");
        var fc = new Linear("fc", Fc.InFeatures, classes);
        Init.LinearDefault(fc.Weight, fc.Bias, new Random(seed));
        fc.Train(Training);
        _children[_children.IndexOf(Fc)] = fc;
        Fc = fc;
    }

    private void Initialize(int seed, bool zeroInitResidual)
    {
        var rng = new Random(seed);
        foreach (var m in Modules())
        {
            if (m is Conv2d c) Init.KaimingNormalFanOut(c.Weight, rng);
            else if (m is Linear l) Init.LinearDefault(l.Weight, l.Bias, rng);
        }
        if (zeroInitResidual)
            foreach (var m in Modules())
                if (m is ResidualBlock b) Array.Clear(b.LastNorm.Weight.Data);
    }
}
