using ResNetRealtime.Training.Engine;

namespace ResNetRealtime.Training.Optim;

/// <summary>
/// Base of the optimizers: owns the parameter list, the learning rate a schedule sets before each
/// step, per-group learning-rate multipliers, and the per-parameter state buffers (saved by name in
/// checkpoints so that <c>--resume</c> continues exactly).
///
/// Contract, shared by every optimizer here:
/// - <see cref="Step"/> updates every parameter with <see cref="Parameter.RequiresGrad"/> from its
///   accumulated <see cref="Parameter.Grad"/>; frozen parameters are not touched and get no state.
/// - The learning rate of a parameter is <see cref="LearningRate"/> × the multiplier of its
///   <see cref="Parameter.Group"/> (1 when the group has none), e.g. "pretrained" at 0.1.
/// - Weight decay applies only to parameters with <see cref="Parameter.Decay"/> (conv/linear
///   weights): in PyTorch terms, two parameter groups, one with weight_decay and one with 0.
/// - Arithmetic follows PyTorch 1.13's single-tensor (foreach=False) code path in float32, so results
///   match torch.optim to float rounding.
/// </summary>
public abstract class Optimizer : Trainer.ITrainOptimizer
{
    readonly Dictionary<string, double> _groupScale = new(StringComparer.Ordinal);
    /// <summary>State buffers per parameter name (e.g. "momentum_buffer", "exp_avg").</summary>
    protected readonly Dictionary<string, Dictionary<string, float[]>> State = new(StringComparer.Ordinal);

    protected Optimizer(IReadOnlyList<Parameter> parameters, double lr, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(lr >= 0) || double.IsInfinity(lr)) throw new ArgumentException($"learning rate must be a finite number >= 0 (got {lr})");
        if (!(weightDecay >= 0) || double.IsInfinity(weightDecay)) throw new ArgumentException($"weight decay must be a finite number >= 0 (got {weightDecay})");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
            if (!seen.Add(p.Name)) throw new ArgumentException($"optimizer: parameter name '{p.Name}' appears twice; state is kept by name");
        Parameters = parameters;
        LearningRate = lr;
        WeightDecay = weightDecay;
    }

    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>Base learning rate; schedules overwrite it before each step.</summary>
    public double LearningRate { get; set; }
    public double WeightDecay { get; }
    /// <summary>Number of <see cref="Step"/> calls so far (saved with the state).</summary>
    public long StepCount { get; protected set; }
    /// <summary>Name used in checkpoints and recipes ("sgd", "adam", "adamw").</summary>
    public abstract string Kind { get; }

    /// <summary>The momentum-like coefficient a one-cycle schedule may cycle (SGD momentum, Adam beta1).</summary>
    public abstract double Momentum { get; set; }

    /// <summary>Learning-rate multiplier for parameters whose <see cref="Parameter.Group"/> is <paramref name="group"/>.</summary>
    public void SetGroupScale(string group, double scale)
    {
        if (!(scale >= 0) || double.IsInfinity(scale)) throw new ArgumentException($"group '{group}' learning-rate scale must be a finite number >= 0 (got {scale})");
        _groupScale[group] = scale;
    }

    public double GroupScale(string group) => group != null && _groupScale.TryGetValue(group, out var s) ? s : 1.0;

    /// <summary>The learning rate this parameter is updated with right now.</summary>
    public double LearningRateOf(Parameter p) => LearningRate * GroupScale(p.Group);

    /// <summary>One update of every trainable parameter from its gradient.</summary>
    public void Step()
    {
        StepCount++;
        foreach (var p in Parameters)
        {
            if (!p.RequiresGrad) continue;
            if (!State.TryGetValue(p.Name, out var st)) State[p.Name] = st = new Dictionary<string, float[]>(StringComparer.Ordinal);
            Update(p, st, (float)LearningRateOf(p), p.Decay ? (float)WeightDecay : 0f);
        }
    }

    /// <summary>Updates one parameter. <paramref name="state"/> is its own (empty on its first step).</summary>
    protected abstract void Update(Parameter p, Dictionary<string, float[]> state, float lr, float weightDecay);

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Every state buffer as ("param.name/buffer", values), for checkpoints.</summary>
    public IEnumerable<(string Key, float[] Values)> StateBuffers()
    {
        foreach (var (name, st) in State)
            foreach (var (buf, v) in st) yield return (name + "/" + buf, v);
    }

    /// <summary>Restores state written by <see cref="StateBuffers"/>; a buffer whose parameter is unknown
    /// or whose length differs is an error (the checkpoint belongs to another model).</summary>
    public void LoadState(long stepCount, IEnumerable<(string Key, float[] Values)> buffers)
    {
        var byName = Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        State.Clear();
        foreach (var (key, values) in buffers)
        {
            int slash = key.LastIndexOf('/');
            if (slash <= 0) throw new InvalidDataException($"optimizer state key '{key}' is not 'parameter/buffer'");
            string name = key[..slash], buf = key[(slash + 1)..];
            if (!byName.TryGetValue(name, out var p)) throw new InvalidDataException($"optimizer state for unknown parameter '{name}'");
            // "step" is a per-parameter scalar (Adam's bias-correction counter); the rest are per element.
            if (values.Length != (buf == "step" ? 1 : p.Data.Length)) throw new InvalidDataException($"optimizer state {key}: {values.Length} values, parameter has {p.Data.Length}");
            if (!State.TryGetValue(name, out var st)) State[name] = st = new Dictionary<string, float[]>(StringComparer.Ordinal);
            st[buf] = (float[])values.Clone();
        }
        StepCount = stepCount;
    }

    /// <summary>The optimizer named by <paramref name="kind"/>: sgd | adam | adamw.</summary>
    public static Optimizer Create(string kind, IReadOnlyList<Parameter> parameters, double lr, double weightDecay,
                                   double momentum = 0.9, bool nesterov = false, double beta2 = 0.999, double eps = 1e-8) =>
        kind switch
        {
            "sgd" => new Sgd(parameters, lr, momentum, nesterov, weightDecay),
            "adam" => new Adam(parameters, lr, momentum, beta2, eps, weightDecay, decoupled: false),
            "adamw" => new Adam(parameters, lr, momentum, beta2, eps, weightDecay, decoupled: true),
            _ => throw new ArgumentException($"unknown optimizer '{kind}' (expected sgd, adam or adamw)"),
        };
}
