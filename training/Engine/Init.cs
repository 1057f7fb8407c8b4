namespace ResNetRealtime.Training.Engine;

/// <summary>
/// Seeded weight initialisers with PyTorch's formulas (not its random streams: the same seed gives the
/// same weights here on every machine, but not PyTorch's weights).
/// </summary>
public static class Init
{
    /// <summary>kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, 2 / fan_out),
    /// fan_out = shape[0] * prod(shape[2..]) (PyTorch does not divide by groups).</summary>
    public static void KaimingNormalFanOut(Parameter p, Random rng)
    {
        long fanOut = p.Shape[0];
        for (int i = 2; i < p.Shape.Length; i++) fanOut *= p.Shape[i];
        Normal(p.Data, Math.Sqrt(2.0 / fanOut), rng);
    }

    /// <summary>nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
    /// (kaiming_uniform with a = sqrt(5) reduces to this bound).</summary>
    public static void LinearDefault(Parameter weight, Parameter bias, Random rng)
    {
        int fanIn = weight.Shape[1];
        double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;
        Uniform(weight.Data, -bound, bound, rng);
        if (bias != null) Uniform(bias.Data, -bound, bound, rng);
    }

    public static void Normal(Span<float> dst, double std, Random rng)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            // Box-Muller; 1 - NextDouble() is in (0, 1] so the log is finite.
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            dst[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    public static void Uniform(Span<float> dst, double lo, double hi, Random rng)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)(lo + (hi - lo) * rng.NextDouble());
    }
}
