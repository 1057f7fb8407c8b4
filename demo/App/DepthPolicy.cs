using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// --budget-ms: the deepest depth slot whose measured inference p50 fits the budget. Steps one slot shallower when
/// the current p50 is over budget, and probes one deeper when it uses under half of it and that depth is not
/// already known to be too slow. Keyed by the depth slot (1-5 keys), not the loaded graph's depth: the default
/// scene model in slot 18 is a ResNet-20, and a --models folder may hold anything.
/// </summary>
public sealed class DepthPolicy
{
    /// <summary>Results needed at one depth before its p50 is trusted.</summary>
    public const int MinSamples = 20;
    readonly double _budgetMs;
    readonly Dictionary<int, double> _p50ByDepth = new();

    public DepthPolicy(double budgetMs) => _budgetMs = budgetMs;

    public bool Enabled => _budgetMs > 0;

    /// <summary>The slot to run next (== <paramref name="index"/> to stay), from the current slot's inference times.</summary>
    public int Next(int index, LatencyStats inference)
    {
        if (!Enabled || inference.Count < MinSamples) return index;
        double p50 = inference.P50;
        var depths = ModelProvider.Depths;
        _p50ByDepth[depths[index]] = p50;
        if (p50 > _budgetMs && index > 0) return index - 1;
        if (index < depths.Length - 1)
        {
            bool knownSlow = _p50ByDepth.TryGetValue(depths[index + 1], out var pd) && pd > _budgetMs;
            if (!knownSlow && p50 < _budgetMs * 0.5) return index + 1;
        }
        return index;
    }
}
