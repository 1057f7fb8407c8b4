using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Optim;

namespace ResNetRealtime.Training.Trainer;

/// <summary>Our engine behind <see cref="ITrainModel"/>: the host ResNet is the live model.</summary>
public sealed class OursModel : ITrainModel
{
    readonly Dictionary<string, Parameter> _byName;
    CrossEntropyLoss _ce;
    Tensor _x;

    public OursModel(ResNet host)
    {
        Host = host ?? throw new ArgumentNullException(nameof(host));
        _byName = host.Parameters().ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    public string Engine => "ours";
    public string Device => "cpu";
    public ResNet Host { get; }

    public void Train(IReadOnlyCollection<string> frozenStages)
    {
        Host.Train();
        // Frozen stages keep their BatchNorm statistics: eval mode, so fine-tuning sees the pretrained features unchanged.
        foreach (var m in Trainer.StageModules(Host, frozenStages)) m.Eval();
    }

    public void Eval() => Host.Eval();

    /// <summary>A full array is wrapped in place (the caller keeps it unchanged until after backward); a
    /// longer one (an epoch's short last batch) is copied.</summary>
    Tensor Wrap(Images x)
    {
        if (x.Data.Length == x.Length) return new Tensor(x.Data, x.N, x.C, x.H, x.W);
        if (_x == null || _x.Length != x.Length) _x = new Tensor(x.N, x.C, x.H, x.W);
        Array.Copy(x.Data, _x.Data, x.Length);
        return _x;
    }

    public (double Loss, int Correct) ForwardBackward(Images x, ReadOnlySpan<int> labels, float labelSmoothing)
    {
        if (_ce == null || _ce.LabelSmoothing != labelSmoothing) _ce = new CrossEntropyLoss(labelSmoothing);
        var logits = Host.Forward(Wrap(x));
        double loss = _ce.Forward(logits, labels);
        Host.Backward(_ce.Backward());
        return (loss, _ce.CorrectCount());
    }

    public float[] Forward(Images x) => (float[])Host.Forward(Wrap(x)).Data.Clone();

    public IReadOnlyList<NamedTensor> GetState() =>
        Host.StateDict().Select(e => new NamedTensor(e.name, (int[])e.shape.Clone(), (float[])e.data.Clone())).ToList();

    public void SetState(IEnumerable<NamedTensor> state) => Host.LoadStateDict(state.Select(t => (t.Name, t.Data, t.Shape)), strict: true);

    public float[] Gradient(string name) => (float[])Param(name).Grad.Clone();

    public double[] GradientNorms(IReadOnlyList<string> names)
    {
        var norms = new double[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            double s = 0;
            foreach (var g in Param(names[i]).Grad) s += (double)g * g;
            norms[i] = Math.Sqrt(s);
        }
        return norms;
    }

    Parameter Param(string name) => _byName.TryGetValue(name, out var p) ? p : throw new ArgumentException($"no parameter '{name}' in {Host.Config.Name}");

    public ITrainOptimizer CreateOptimizer(string kind, double lr, double weightDecay, double momentum, bool nesterov, Func<string, double> groupScale)
    {
        var parameters = Host.Parameters().ToList();
        var opt = Optimizer.Create(kind, parameters, lr, weightDecay, momentum, nesterov);
        foreach (var g in parameters.Select(p => p.Group).Where(g => g != null).Distinct())
            opt.SetGroupScale(g, groupScale(g));
        return opt;
    }

    public void Dispose() { }
}
