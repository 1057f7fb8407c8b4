using NUnit.Framework;

namespace ResNetRealtime.Tests.Training;

/// <summary>Seeded random data, float64 numeric gradients and closeness checks that name the first bad index.</summary>
internal static class TestMath
{
    public static float[] Rand(Random rng, int n, double scale = 1.0)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    public static double MaxAbs(ReadOnlySpan<double> a)
    {
        double m = 0;
        foreach (var v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>|actual − expected| ≤ rtol · max|expected| + atol everywhere; the message names the worst index.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rtol, string what, double atol = 1e-12)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        double scale = MaxAbs(expected), worst = 0;
        int wi = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected[i]);
            if (!(e <= worst) || double.IsNaN(actual[i])) { worst = double.IsNaN(actual[i]) ? double.PositiveInfinity : e; wi = i; }
        }
        double tol = rtol * scale + atol;
        if (wi >= 0 && !(worst <= tol))
            Assert.Fail($"{what}: index {wi} got {actual[wi]:G9}, expected {expected[wi]:G9} (|diff| {worst:G3} > tol {tol:G3} = {rtol:G2}·max|expected| {scale:G4})");
    }

    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol, string what, double atol = 1e-12)
    {
        var d = new double[expected.Length];
        for (int i = 0; i < d.Length; i++) d[i] = expected[i];
        AssertClose(actual, d, rtol, what, atol);
    }

    /// <summary>Central differences of f at the given coordinates of x (float64 throughout), step h.
    /// Returns a full-length array, NaN at coordinates not sampled.</summary>
    public static double[] NumericGrad(Func<double[], double> f, double[] x, IReadOnlyList<int> indices, double h = 1e-5)
    {
        var g = new double[x.Length];
        Array.Fill(g, double.NaN);
        foreach (int i in indices)
        {
            double v = x[i];
            x[i] = v + h; double fp = f(x);
            x[i] = v - h; double fm = f(x);
            x[i] = v;
            g[i] = (fp - fm) / (2 * h);
        }
        return g;
    }

    /// <summary>Up to <paramref name="max"/> distinct coordinates of a length-n tensor (all when n ≤ max), seeded.</summary>
    public static int[] Sample(Random rng, int n, int max)
    {
        if (n <= max) return Enumerable.Range(0, n).ToArray();
        var set = new HashSet<int>();
        while (set.Count < max) set.Add(rng.Next(n));
        return set.OrderBy(v => v).ToArray();
    }

    /// <summary>Compares analytic gradient entries with the numeric ones at the sampled coordinates:
    /// |a − n| ≤ rtol · max|n| + atol.</summary>
    public static void AssertGradClose(float[] analytic, double[] numeric, IReadOnlyList<int> indices, double rtol, string what, double atol = 1e-7)
    {
        var a = new float[indices.Count];
        var e = new double[indices.Count];
        for (int j = 0; j < indices.Count; j++) { a[j] = analytic[indices[j]]; e[j] = numeric[indices[j]]; }
        AssertClose(a, e, rtol, what + " (vs float64 central differences)", atol);
    }

    /// <summary>Σ r·y for a fixed random r: a scalar loss whose gradient w.r.t. y is r.</summary>
    public static double Dot(ReadOnlySpan<double> r, ReadOnlySpan<double> y)
    {
        double s = 0;
        for (int i = 0; i < r.Length; i++) s += r[i] * y[i];
        return s;
    }
}
