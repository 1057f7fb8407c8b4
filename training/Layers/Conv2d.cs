using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Training.Layers;

/// <summary>nn.Conv2d (dilation 1): weight [out, in/groups, k, k] named "{name}.weight", optional bias "{name}.bias".
/// x [N, in, H, W] → y [N, out, OH, OW].</summary>
public sealed class Conv2d : Module
{
    private Tensor _x, _y, _dx;

    public Conv2d(string name, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = false)
        : base(name)
    {
        if (inChannels < 1 || outChannels < 1 || kernel < 1 || stride < 1 || padding < 0 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d {name}: bad arguments in={inChannels} out={outChannels} kernel={kernel} stride={stride} padding={padding} groups={groups}");
        InChannels = inChannels; OutChannels = outChannels; Kernel = kernel; Stride = stride; Padding = padding; Groups = groups;
        Weight = new Parameter(Sub("weight"), new[] { outChannels, inChannels / groups, kernel, kernel });
        if (bias) Bias = new Parameter(Sub("bias"), new[] { outChannels }) { Decay = false };
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    protected override IEnumerable<Parameter> OwnParameters()
    {
        yield return Weight;
        if (Bias != null) yield return Bias;
    }

    public ConvShape ShapeFor(Tensor x)
    {
        x.RequireNchw($"Conv2d {Name}", InChannels);
        return new ConvShape(x.N, x.C, x.H, x.W, OutChannels, Kernel, Kernel, Stride, Padding, Groups);
    }

    public override Tensor Forward(Tensor x)
    {
        var s = ShapeFor(x);
        _x = x;
        Tensor.Ensure(ref _y, s.N, s.K, s.OH, s.OW);
        ConvOps.Forward(s, x.Data, Weight.Data, Bias?.Data, _y.Data);
        return _y;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_x == null) throw new InvalidOperationException($"Conv2d {Name}: Backward before Forward");
        var s = ShapeFor(_x);
        if (!gradOut.HasShape(s.N, s.K, s.OH, s.OW)) throw new ArgumentException($"Conv2d {Name}: gradient {gradOut.ShapeString} does not match output [{s.N},{s.K},{s.OH},{s.OW}]");
        float[] dx = null;
        if (NeedsInputGrad)
        {
            Tensor.EnsureLike(ref _dx, _x);
            dx = _dx.Data;
        }
        // dx is ours and overwritten (no clearing pass); the parameter gradients accumulate.
        ConvOps.Backward(s, _x.Data, Weight.Data, gradOut.Data, dx,
            Weight.RequiresGrad ? Weight.Grad : null, Bias != null && Bias.RequiresGrad ? Bias.Grad : null, accumulateDx: false);
        return NeedsInputGrad ? _dx : null;
    }
}
