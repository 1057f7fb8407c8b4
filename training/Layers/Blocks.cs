using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Training.Layers;

/// <summary>
/// Shared residual plumbing: out = relu(branch(x) + shortcut(x)), shortcut = downsample(x) or x.
/// Backward: g = dout·[out > 0]; dx = branchᵀ(g) + shortcutᵀ(g).
/// </summary>
public abstract class ResidualBlock : Module
{
    private Tensor _x, _out, _g, _dx;

    protected ResidualBlock(string name) : base(name) { }

    /// <summary>"{name}.downsample": 1×1 conv (stride) + BatchNorm, or null for the identity.</summary>
    public Sequential Downsample { get; protected set; }

    /// <summary>The block's last BatchNorm (zero-initialised γ makes the block start as the identity).</summary>
    public abstract BatchNorm2d LastNorm { get; }

    protected abstract Tensor BranchForward(Tensor x);
    protected abstract Tensor BranchBackward(Tensor g);

    public override Tensor Forward(Tensor x)
    {
        _x = x;
        var b = BranchForward(x);
        var id = Downsample != null ? Downsample.Forward(x) : x;
        if (!b.Shape.AsSpan().SequenceEqual(id.Shape))
            throw new ArgumentException($"{Name}: branch output {b.ShapeString} != shortcut {id.ShapeString}");
        Tensor.EnsureLike(ref _out, b);
        ReluOps.AddRelu(b.Data, id.Data, _out.Data);
        return _out;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_out == null) throw new InvalidOperationException($"{Name}: Backward before Forward");
        if (gradOut.Length != _out.Length) throw new ArgumentException($"{Name}: gradient {gradOut.ShapeString} != output {_out.ShapeString}");
        Tensor.EnsureLike(ref _g, _out);
        ReluOps.ReluBackward(_out.Data, gradOut.Data, _g.Data, accumulate: false);
        var gb = BranchBackward(_g);
        var gs = Downsample != null ? Downsample.Backward(_g) : _g;
        if (!NeedsInputGrad) return null;
        Tensor.EnsureLike(ref _dx, _x);
        ReluOps.Add(gb.Data, gs.Data, _dx.Data);
        return _dx;
    }

    protected static Sequential MakeDownsample(string blockName, int inC, int outC, int stride) =>
        new Sequential(blockName + ".downsample",
            new Conv2d(blockName + ".downsample.0", inC, outC, 1, stride),
            new BatchNorm2d(blockName + ".downsample.1", outC));
}

/// <summary>torchvision BasicBlock (expansion 1): conv3×3(stride)–BN–ReLU–conv3×3–BN, + shortcut, ReLU.</summary>
public sealed class BasicBlock : ResidualBlock
{
    public const int Expansion = 1;

    public BasicBlock(string name, int inplanes, int planes, int stride = 1, bool downsample = false) : base(name)
    {
        Conv1 = new Conv2d(Sub("conv1"), inplanes, planes, 3, stride, 1);
        Bn1 = new BatchNorm2d(Sub("bn1"), planes);
        Relu = new ReLU(Sub("relu"));
        Conv2 = new Conv2d(Sub("conv2"), planes, planes, 3, 1, 1);
        Bn2 = new BatchNorm2d(Sub("bn2"), planes);
        if (downsample) Downsample = MakeDownsample(name, inplanes, planes, stride);
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public ReLU Relu { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public override BatchNorm2d LastNorm => Bn2;

    public override IEnumerable<Module> Children()
    {
        yield return Conv1; yield return Bn1; yield return Relu; yield return Conv2; yield return Bn2;
        if (Downsample != null) yield return Downsample;
    }

    protected override Tensor BranchForward(Tensor x) => Bn2.Forward(Conv2.Forward(Relu.Forward(Bn1.Forward(Conv1.Forward(x)))));
    protected override Tensor BranchBackward(Tensor g) => Conv1.Backward(Bn1.Backward(Relu.Backward(Conv2.Backward(Bn2.Backward(g)))));
}

/// <summary>torchvision Bottleneck (expansion 4, stride on the 3×3 — "ResNet v1.5"):
/// conv1×1–BN–ReLU–conv3×3(stride, groups)–BN–ReLU–conv1×1–BN, + shortcut, ReLU.
/// width = planes · (widthPerGroup/64) · groups (ResNeXt-50 32×4d: groups 32, width per group 4).</summary>
public sealed class Bottleneck : ResidualBlock
{
    public const int Expansion = 4;

    public Bottleneck(string name, int inplanes, int planes, int stride = 1, bool downsample = false, int groups = 1, int widthPerGroup = 64) : base(name)
    {
        int width = planes * widthPerGroup / 64 * groups;
        Conv1 = new Conv2d(Sub("conv1"), inplanes, width, 1);
        Bn1 = new BatchNorm2d(Sub("bn1"), width);
        Relu1 = new ReLU(Sub("relu"));
        Conv2 = new Conv2d(Sub("conv2"), width, width, 3, stride, 1, groups);
        Bn2 = new BatchNorm2d(Sub("bn2"), width);
        Relu2 = new ReLU(Sub("relu"));
        Conv3 = new Conv2d(Sub("conv3"), width, planes * Expansion, 1);
        Bn3 = new BatchNorm2d(Sub("bn3"), planes * Expansion);
        if (downsample) Downsample = MakeDownsample(name, inplanes, planes * Expansion, stride);
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public ReLU Relu1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public ReLU Relu2 { get; }
    public Conv2d Conv3 { get; }
    public BatchNorm2d Bn3 { get; }
    public override BatchNorm2d LastNorm => Bn3;

    public override IEnumerable<Module> Children()
    {
        yield return Conv1; yield return Bn1; yield return Conv2; yield return Bn2; yield return Conv3; yield return Bn3;
        yield return Relu1; yield return Relu2;
        if (Downsample != null) yield return Downsample;
    }

    protected override Tensor BranchForward(Tensor x) =>
        Bn3.Forward(Conv3.Forward(Relu2.Forward(Bn2.Forward(Conv2.Forward(Relu1.Forward(Bn1.Forward(Conv1.Forward(x))))))));

    protected override Tensor BranchBackward(Tensor g) =>
        Conv1.Backward(Bn1.Backward(Relu1.Backward(Conv2.Backward(Bn2.Backward(Relu2.Backward(Conv3.Backward(Bn3.Backward(g))))))));
}
