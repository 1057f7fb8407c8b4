using TorchSharp;
using TorchSharp.Modules;
using ResNetRealtime.Training.Trainer;
using static TorchSharp.torch;

namespace ResNetRealtime.Training.Torch;

/// <summary>
/// torch.optim SGD / Adam / AdamW over a <see cref="TorchModel"/>, with the parameter groups our optimizer
/// has: one group per (weight decay or not, learning-rate group) among the trainable parameters, e.g.
/// conv/linear weights at --wd, BatchNorm and biases at 0, pretrained ones at lr × --pretrained-lr-scale.
/// State is read and written by parameter name in our checkpoint's keys (momentum_buffer, exp_avg,
/// exp_avg_sq, step), so --resume restores it exactly.
/// </summary>
public sealed class TorchOptimizer : ITrainOptimizer
{
    readonly TorchModel _model;
    readonly optim.Optimizer _opt;
    readonly List<(optim.ILearningRateController Group, double Scale)> _groups = new();
    /// <summary>Parameter names in the optimizer's own order (groups, then members): the order of state_dict().State.</summary>
    readonly List<string> _order = new();
    double _lr, _momentum;

    public TorchOptimizer(TorchModel model, string kind, double lr, double weightDecay, double momentum, bool nesterov, Func<string, double> groupScale)
    {
        _model = model;
        Kind = kind;
        var sets = model.Host.Parameters().Where(p => p.RequiresGrad)
            .GroupBy(p => (p.Decay, p.Group)).Select(g => (g.Key.Decay, g.Key.Group, Names: g.Select(p => p.Name).ToList())).ToList();
        foreach (var s in sets) _order.AddRange(s.Names);
        IEnumerable<Parameter> Params(List<string> names) => names.Select(model.Param).ToList();
        double Scale(string g) => g == null ? 1.0 : groupScale(g);
        switch (kind)
        {
            case "sgd":
            {
                var groups = sets.Select(s => new SGD.ParamGroup(Params(s.Names), new SGD.Options
                { LearningRate = lr * Scale(s.Group), momentum = momentum, dampening = 0, weight_decay = s.Decay ? weightDecay : 0, nesterov = nesterov, maximize = false })).ToList();
                _opt = optim.SGD(groups, lr, momentum, 0, weightDecay, nesterov);
                break;
            }
            case "adam":
            {
                var groups = sets.Select(s => new Adam.ParamGroup(Params(s.Names), new Adam.Options
                { LearningRate = lr * Scale(s.Group), beta1 = momentum, beta2 = 0.999, eps = 1e-8, weight_decay = s.Decay ? weightDecay : 0, amsgrad = false, maximize = false })).ToList();
                _opt = optim.Adam(groups, lr, momentum, 0.999, 1e-8, weightDecay);
                break;
            }
            case "adamw":
            {
                var groups = sets.Select(s => new AdamW.ParamGroup(Params(s.Names), new AdamW.Options
                { LearningRate = lr * Scale(s.Group), beta1 = momentum, beta2 = 0.999, eps = 1e-8, weight_decay = s.Decay ? weightDecay : 0, amsgrad = false, maximize = false })).ToList();
                _opt = optim.AdamW(groups, lr, momentum, 0.999, 1e-8, weightDecay);
                break;
            }
            default: throw new ArgumentException($"unknown optimizer '{kind}' (expected sgd, adam or adamw)");
        }
        var live = _opt.ParamGroups.ToList();
        for (int i = 0; i < sets.Count; i++) _groups.Add((live[i], Scale(sets[i].Group)));
        _lr = lr; _momentum = momentum;
    }

    public string Kind { get; }
    public long StepCount { get; private set; }

    public double LearningRate
    {
        get => _lr;
        set { _lr = value; foreach (var (g, scale) in _groups) g.LearningRate = value * scale; }
    }

    public double Momentum
    {
        get => _momentum;
        set
        {
            _momentum = value;
            foreach (var (g, _) in _groups)
            {
                if (g is SGD.ParamGroup s) s.Options.momentum = value;
                else if (g is Adam.ParamGroup a) a.Options.beta1 = value;
                else if (g is AdamW.ParamGroup w) w.Options.beta1 = value;
            }
        }
    }

    public void ZeroGrad() => _opt.zero_grad();

    public void Step()
    {
        _opt.step();
        StepCount++;
    }

    List<OptimizerState> States() => ((OptimizerHelper)_opt).state_dict().State;

    public IEnumerable<(string Key, float[] Values)> StateBuffers()
    {
        var states = States();
        var list = new List<(string, float[])>();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _order.Count; i++)
        {
            string n = _order[i];
            switch (states[i])
            {
                case SGD.State s when s.momentum_buffer is not null:
                    list.Add((n + "/momentum_buffer", Values(s.momentum_buffer))); break;
                case Adam.State a when a.step > 0:
                    list.Add((n + "/exp_avg", Values(a.exp_avg))); list.Add((n + "/exp_avg_sq", Values(a.exp_avg_sq))); list.Add((n + "/step", new float[] { a.step })); break;
                case AdamW.State w when w.step > 0:
                    list.Add((n + "/exp_avg", Values(w.exp_avg))); list.Add((n + "/exp_avg_sq", Values(w.exp_avg_sq))); list.Add((n + "/step", new float[] { w.step })); break;
            }
        }
        return list;
    }

    static float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    public void LoadState(long stepCount, IEnumerable<(string Key, float[] Values)> buffers)
    {
        var index = _order.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i, StringComparer.Ordinal);
        var states = States();
        foreach (var (key, values) in buffers)
        {
            int slash = key.LastIndexOf('/');
            if (slash <= 0) throw new InvalidDataException($"optimizer state key '{key}' is not 'parameter/buffer'");
            string name = key[..slash], buf = key[(slash + 1)..];
            if (!index.TryGetValue(name, out int i)) throw new InvalidDataException($"optimizer state for unknown or frozen parameter '{name}'");
            var p = _model.Param(name);
            if (values.Length != (buf == "step" ? 1 : p.numel())) throw new InvalidDataException($"optimizer state {key}: {values.Length} values, parameter has {p.numel()}");
            Tensor T() => tensor(values, p.shape).to(p.device).DetachFromDisposeScope();
            switch (states[i], buf)
            {
                case (SGD.State s, "momentum_buffer"): s.momentum_buffer?.Dispose(); s.momentum_buffer = T(); break;
                case (Adam.State a, "exp_avg"): a.exp_avg?.Dispose(); a.exp_avg = T(); break;
                case (Adam.State a, "exp_avg_sq"): a.exp_avg_sq?.Dispose(); a.exp_avg_sq = T(); break;
                case (Adam.State a, "step"): a.step = (long)values[0]; break;
                case (AdamW.State w, "exp_avg"): w.exp_avg?.Dispose(); w.exp_avg = T(); break;
                case (AdamW.State w, "exp_avg_sq"): w.exp_avg_sq?.Dispose(); w.exp_avg_sq = T(); break;
                case (AdamW.State w, "step"): w.step = (long)values[0]; break;
                default: throw new InvalidDataException($"optimizer state {key}: no such buffer in torch.optim {Kind}");
            }
        }
        StepCount = stepCount;
    }
}
