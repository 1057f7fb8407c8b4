using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Training.Layers;

/// <summary>nn.BatchNorm2d(C, eps=1e-5, momentum=0.1): "{name}.weight" (γ, 1), "{name}.bias" (β, 0),
/// buffers "{name}.running_mean" (0) and "{name}.running_var" (1). Training mode uses batch statistics and
/// updates the running ones; eval mode uses the running ones. x [N, C, H, W] → y same shape.</summary>
public sealed class BatchNorm2d : Module
{
    private Tensor _x, _y, _dx;
    private readonly float[] _saveMean, _saveInvStd;
    private bool _savedTraining;

    public BatchNorm2d(string name, int channels, float eps = 1e-5f, float momentum = 0.1f) : base(name)
    {
        if (channels < 1) throw new ArgumentException($"BatchNorm2d {name}: channels {channels} < 1");
        Channels = channels; Eps = eps; Momentum = momentum;
        Weight = new Parameter(Sub("weight"), new[] { channels }) { Decay = false };
        Bias = new Parameter(Sub("bias"), new[] { channels }) { Decay = false };
        Array.Fill(Weight.Data, 1f);
        RunningMean = new NamedBuffer(Sub("running_mean"), new[] { channels }, new float[channels]);
        RunningVar = new NamedBuffer(Sub("running_var"), new[] { channels }, new float[channels]);
        Array.Fill(RunningVar.Data, 1f);
        _saveMean = new float[channels];
        _saveInvStd = new float[channels];
    }

    public int Channels { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public NamedBuffer RunningMean { get; }
    public NamedBuffer RunningVar { get; }
    /// <summary>Training-mode forward passes so far (torch's num_batches_tracked; not in the state dict).</summary>
    public long NumBatchesTracked { get; set; }

    protected override IEnumerable<Parameter> OwnParameters() { yield return Weight; yield return Bias; }
    protected override IEnumerable<NamedBuffer> OwnBuffers() { yield return RunningMean; yield return RunningVar; }

    public override Tensor Forward(Tensor x)
    {
        x.RequireNchw($"BatchNorm2d {Name}", Channels);
        int hw = x.H * x.W;
        _x = x;
        Tensor.EnsureLike(ref _y, x);
        _savedTraining = Training;
        if (Training)
        {
            if ((long)x.N * hw < 2) throw new ArgumentException($"BatchNorm2d {Name}: training needs more than 1 value per channel, got input {x.ShapeString}");
            BatchNormOps.ForwardTrain(x.N, x.C, hw, x.Data, Weight.Data, Bias.Data, RunningMean.Data, RunningVar.Data, Momentum, Eps, _y.Data, _saveMean, _saveInvStd);
            NumBatchesTracked++;
        }
        else
            BatchNormOps.ForwardEval(x.N, x.C, hw, x.Data, Weight.Data, Bias.Data, RunningMean.Data, RunningVar.Data, Eps, _y.Data);
        return _y;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_x == null) throw new InvalidOperationException($"BatchNorm2d {Name}: Backward before Forward");
        if (!gradOut.Shape.AsSpan().SequenceEqual(_x.Shape)) throw new ArgumentException($"BatchNorm2d {Name}: gradient {gradOut.ShapeString} != input {_x.ShapeString}");
        float[] dx = null;
        if (NeedsInputGrad) { Tensor.EnsureLike(ref _dx, _x); dx = _dx.Data; }
        int hw = _x.H * _x.W;
        var dg = Weight.RequiresGrad ? Weight.Grad : null;
        var db = Bias.RequiresGrad ? Bias.Grad : null;
        if (_savedTraining)
            BatchNormOps.Backward(_x.N, _x.C, hw, _x.Data, gradOut.Data, Weight.Data, _saveMean, _saveInvStd, dx, dg, db, accumulateDx: false);
        else
        {
            // The eval-mode backward accumulates: start from zero.
            dx?.AsSpan().Clear();
            BatchNormOps.BackwardEval(_x.N, _x.C, hw, _x.Data, gradOut.Data, Weight.Data, RunningMean.Data, RunningVar.Data, Eps, dx, dg, db);
        }
        return NeedsInputGrad ? _dx : null;
    }
}
