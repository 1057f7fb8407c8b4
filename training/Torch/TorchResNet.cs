using TorchSharp;
using TorchSharp.Modules;
using ResNetRealtime.Training.Models;
using static TorchSharp.torch;
using BlockKind = ResNetRealtime.Runtime.Models.BlockKind;

namespace ResNetRealtime.Training.Torch;

/// <summary>
/// torchvision's ResNet as a TorchSharp module, built from the same <see cref="ResNetConfig"/> (a view of
/// the runtime's ResNetSpec) as our engine's <see cref="ResNet"/>, with the same children in the same
/// order, so named_parameters()/named_buffers() carry torchvision's names: conv1, bn1, layer1.0.conv1,
/// layer2.0.downsample.0, fc. x [N, C, H, W] → logits [N, classes]. Weights come from the host model
/// (TorchModel copies them), so both engines start from the same values.
/// </summary>
public sealed class TorchResNet : nn.Module<Tensor, Tensor>
{
    readonly Conv2d _conv1;
    readonly BatchNorm2d _bn1;
    readonly MaxPool2d _maxpool;
    readonly List<Sequential> _stages = new();
    readonly Linear _fc;

    public TorchResNet(ResNetConfig c) : base("ResNet")
    {
        int inplanes = c.StemWidth;
        _conv1 = c.Cifar ? nn.Conv2d(c.InChannels, inplanes, 3, stride: 1, padding: 1, bias: false)
                         : nn.Conv2d(c.InChannels, inplanes, 7, stride: 2, padding: 3, bias: false);
        _bn1 = nn.BatchNorm2d(inplanes);
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);
        if (!c.Cifar) { _maxpool = nn.MaxPool2d(3, 2, 1); register_module("maxpool", _maxpool); }
        for (int s = 0; s < c.Layers.Length; s++)
        {
            int planes = c.StageWidths[s], stride = s == 0 ? 1 : 2;
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < c.Layers[s]; b++)
            {
                int st = b == 0 ? stride : 1;
                bool down = b == 0 && (st != 1 || inplanes != planes * c.Expansion);
                blocks.Add(($"{b}", c.Block == BlockKind.Basic
                    ? new Basic(inplanes, planes, st, down)
                    : new Bottle(inplanes, planes, st, down, c.Groups, c.WidthPerGroup)));
                inplanes = planes * c.Expansion;
            }
            var stage = nn.Sequential(blocks);
            _stages.Add(stage);
            register_module($"layer{s + 1}", stage);
        }
        _fc = nn.Linear(inplanes, c.Classes);
        register_module("fc", _fc);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.relu(_bn1.forward(_conv1.forward(x)));
        if (_maxpool != null) y = _maxpool.forward(y);
        foreach (var s in _stages) y = s.forward(y);
        y = y.mean(new long[] { 2, 3 });
        return _fc.forward(y).MoveToOuterDisposeScope();
    }

    static Sequential Downsample(int inC, int outC, int stride) =>
        nn.Sequential(("0", (nn.Module<Tensor, Tensor>)nn.Conv2d(inC, outC, 1, stride: stride, bias: false)), ("1", nn.BatchNorm2d(outC)));

    /// <summary>conv3×3(stride)–BN–ReLU–conv3×3–BN, + shortcut, ReLU.</summary>
    sealed class Basic : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly BatchNorm2d bn1, bn2;
        readonly Sequential downsample;

        public Basic(int inplanes, int planes, int stride, bool down) : base("BasicBlock")
        {
            conv1 = nn.Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(planes);
            conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(planes);
            register_module("conv1", conv1); register_module("bn1", bn1);
            register_module("conv2", conv2); register_module("bn2", bn2);
            if (down) { downsample = Downsample(inplanes, planes, stride); register_module("downsample", downsample); }
        }

        public override Tensor forward(Tensor x)
        {
            var y = bn2.forward(conv2.forward(nn.functional.relu(bn1.forward(conv1.forward(x)))));
            return nn.functional.relu(y + (downsample != null ? downsample.forward(x) : x));
        }
    }

    /// <summary>conv1×1–BN–ReLU–conv3×3(stride, groups)–BN–ReLU–conv1×1–BN, + shortcut, ReLU (torchvision v1.5).</summary>
    sealed class Bottle : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2, conv3;
        readonly BatchNorm2d bn1, bn2, bn3;
        readonly Sequential downsample;

        public Bottle(int inplanes, int planes, int stride, bool down, int groups, int widthPerGroup) : base("Bottleneck")
        {
            int width = planes * widthPerGroup / 64 * groups;
            conv1 = nn.Conv2d(inplanes, width, 1, bias: false);
            bn1 = nn.BatchNorm2d(width);
            conv2 = nn.Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
            bn2 = nn.BatchNorm2d(width);
            conv3 = nn.Conv2d(width, planes * 4, 1, bias: false);
            bn3 = nn.BatchNorm2d(planes * 4);
            register_module("conv1", conv1); register_module("bn1", bn1);
            register_module("conv2", conv2); register_module("bn2", bn2);
            register_module("conv3", conv3); register_module("bn3", bn3);
            if (down) { downsample = Downsample(inplanes, planes * 4, stride); register_module("downsample", downsample); }
        }

        public override Tensor forward(Tensor x)
        {
            var y = nn.functional.relu(bn1.forward(conv1.forward(x)));
            y = nn.functional.relu(bn2.forward(conv2.forward(y)));
            y = bn3.forward(conv3.forward(y));
            return nn.functional.relu(y + (downsample != null ? downsample.forward(x) : x));
        }
    }
}
