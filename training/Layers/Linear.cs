using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Training.Layers;

/// <summary>nn.Linear(in, out): "{name}.weight" [out, in], "{name}.bias" [out]; x [N, in] → y [N, out].</summary>
public sealed class Linear : Module
{
    private Tensor _x, _y, _dx;

    public Linear(string name, int inFeatures, int outFeatures, bool bias = true) : base(name)
    {
        if (inFeatures < 1 || outFeatures < 1) throw new ArgumentException($"Linear {name}: bad features in={inFeatures} out={outFeatures}");
        InFeatures = inFeatures; OutFeatures = outFeatures;
        Weight = new Parameter(Sub("weight"), new[] { outFeatures, inFeatures });
        if (bias) Bias = new Parameter(Sub("bias"), new[] { outFeatures }) { Decay = false };
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    protected override IEnumerable<Parameter> OwnParameters()
    {
        yield return Weight;
        if (Bias != null) yield return Bias;
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[1] != InFeatures) throw new ArgumentException($"Linear {Name}: expected input [N,{InFeatures}], got {x.ShapeString}");
        _x = x;
        Tensor.Ensure(ref _y, x.N, OutFeatures);
        LinearOps.Forward(x.N, InFeatures, OutFeatures, x.Data, Weight.Data, Bias?.Data, _y.Data);
        return _y;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_x == null) throw new InvalidOperationException($"Linear {Name}: Backward before Forward");
        if (!gradOut.HasShape(_x.N, OutFeatures)) throw new ArgumentException($"Linear {Name}: gradient {gradOut.ShapeString} != output [{_x.N},{OutFeatures}]");
        float[] dx = null;
        if (NeedsInputGrad) { Tensor.EnsureLike(ref _dx, _x).Clear(); dx = _dx.Data; }
        LinearOps.Backward(_x.N, InFeatures, OutFeatures, _x.Data, Weight.Data, gradOut.Data, dx,
            Weight.RequiresGrad ? Weight.Grad : null, Bias != null && Bias.RequiresGrad ? Bias.Grad : null);
        return NeedsInputGrad ? _dx : null;
    }
}
