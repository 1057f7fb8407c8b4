namespace ResNetRealtime.Training.Optim;

/// <summary>
/// A learning-rate schedule evaluated per optimizer step: the trainer calls <see cref="Apply"/> with the
/// 0-based index of the step about to run, so a resumed run (which knows its step index) gets exactly
/// the learning rate an uninterrupted run would have. Schedules are pure functions of the step.
/// </summary>
public abstract class LrSchedule
{
    protected LrSchedule(double baseLr, long totalSteps)
    {
        if (!(baseLr >= 0) || double.IsInfinity(baseLr)) throw new ArgumentException($"learning rate must be a finite number >= 0 (got {baseLr})");
        if (totalSteps < 1) throw new ArgumentException($"a schedule needs at least 1 step (got {totalSteps})");
        BaseLr = baseLr;
        TotalSteps = totalSteps;
    }

    public double BaseLr { get; }
    public long TotalSteps { get; }

    /// <summary>Learning rate for 0-based step <paramref name="step"/>.</summary>
    public abstract double LrAt(long step);

    /// <summary>Momentum for this step when the schedule cycles it (one-cycle), else null.</summary>
    public virtual double? MomentumAt(long step) => null;

    /// <summary>Sets the optimizer's learning rate (and momentum, if cycled) for step <paramref name="step"/>.</summary>
    public void Apply(Trainer.ITrainOptimizer opt, long step)
    {
        opt.LearningRate = LrAt(step);
        var m = MomentumAt(step);
        if (m.HasValue) opt.Momentum = m.Value;
    }

    /// <summary>
    /// step | cosine | onecycle | none. <paramref name="warmupSteps"/> is used by cosine.
    /// Step decays ×0.1 at 50% and 75% of training (the CIFAR ResNet recipe's milestones, scaled).
    /// </summary>
    /// One-cycle cycles momentum 0.95 → 0.85 → 0.95 (PyTorch's defaults, overriding --momentum) unless
    /// <paramref name="momentum"/> is 0 (plain SGD has no momentum to cycle).
    public static LrSchedule Create(string kind, double lr, long totalSteps, long warmupSteps = 0, double momentum = 0.9) =>
        kind switch
        {
            "none" or "constant" => new ConstantLr(lr, totalSteps),
            "step" => new MultiStepLr(lr, totalSteps, new[] { totalSteps / 2, totalSteps * 3 / 4 }, 0.1),
            "cosine" => new CosineLr(lr, totalSteps, warmupSteps),
            "onecycle" => new OneCycleLr(lr, totalSteps, cycleMomentum: momentum > 0),
            _ => throw new ArgumentException($"unknown schedule '{kind}' (expected step, cosine, onecycle or none)"),
        };
}

public sealed class ConstantLr : LrSchedule
{
    public ConstantLr(double lr, long totalSteps) : base(lr, totalSteps) { }
    public override double LrAt(long step) => BaseLr;
}

/// <summary>torch.optim.lr_scheduler.MultiStepLR stepped per optimizer step: lr·γ^(milestones passed).</summary>
public sealed class MultiStepLr : LrSchedule
{
    readonly long[] _milestones;
    readonly double _gamma;

    public MultiStepLr(double lr, long totalSteps, long[] milestones, double gamma) : base(lr, totalSteps)
    {
        _milestones = milestones.OrderBy(m => m).ToArray();
        _gamma = gamma;
    }

    public override double LrAt(long step)
    {
        int passed = 0;
        foreach (var m in _milestones) if (step >= m) passed++;
        return BaseLr * Math.Pow(_gamma, passed);
    }
}

/// <summary>
/// Linear warm-up from lr/warmup to lr over the first <c>warmup</c> steps (step i gets lr·(i+1)/warmup),
/// then cosine annealing to 0 over the remaining steps (CosineAnnealingLR's closed form, eta_min 0).
/// </summary>
public sealed class CosineLr : LrSchedule
{
    readonly long _warmup;

    public CosineLr(double lr, long totalSteps, long warmupSteps) : base(lr, totalSteps)
    {
        if (warmupSteps < 0 || warmupSteps >= totalSteps) throw new ArgumentException($"warm-up must be in [0, {totalSteps}) steps (got {warmupSteps})");
        _warmup = warmupSteps;
    }

    public override double LrAt(long step)
    {
        if (step < _warmup) return BaseLr * (step + 1) / _warmup;
        double t = (double)(step - _warmup) / (TotalSteps - _warmup);
        return BaseLr * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(t, 1)));
    }
}

/// <summary>
/// torch.optim.lr_scheduler.OneCycleLR (two phases, cosine annealing), per step, with its defaults:
/// pct_start 0.3, div_factor 25, final_div_factor 1e4, momentum cycled 0.95 → 0.85 → 0.95.
/// Phase 1 ends at step pct_start·total − 1 (lr from max/25 up to max, momentum max → base);
/// phase 2 ends at total − 1 (lr down to max/25/1e4, momentum back to max).
/// </summary>
public sealed class OneCycleLr : LrSchedule
{
    readonly double _initial, _min, _end1, _end2, _baseMomentum, _maxMomentum;
    readonly bool _cycleMomentum;

    public OneCycleLr(double maxLr, long totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4,
                      double baseMomentum = 0.85, double maxMomentum = 0.95, bool cycleMomentum = true)
        : base(maxLr, totalSteps)
    {
        if (!(pctStart > 0 && pctStart < 1)) throw new ArgumentException($"one-cycle pct_start must be in (0, 1) (got {pctStart})");
        _initial = maxLr / divFactor;
        _min = _initial / finalDivFactor;
        _end1 = pctStart * totalSteps - 1;
        _end2 = totalSteps - 1;
        _baseMomentum = baseMomentum;
        _maxMomentum = maxMomentum;
        _cycleMomentum = cycleMomentum;
    }

    static double Cos(double start, double end, double pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);

    // PyTorch's phase walk: the first phase whose end_step >= step, or the last one.
    // A degenerate phase (a handful of total steps) counts as finished rather than dividing by 0.
    (double pct, bool first) Phase(long step) =>
        step <= _end1 ? (_end1 > 0 ? step / _end1 : 1, true) : (_end2 > _end1 ? (step - _end1) / (_end2 - _end1) : 1, false);

    public override double LrAt(long step)
    {
        var (pct, first) = Phase(step);
        return first ? Cos(_initial, BaseLr, pct) : Cos(BaseLr, _min, pct);
    }

    public override double? MomentumAt(long step)
    {
        if (!_cycleMomentum) return null;
        var (pct, first) = Phase(step);
        return first ? Cos(_maxMomentum, _baseMomentum, pct) : Cos(_baseMomentum, _maxMomentum, pct);
    }
}
