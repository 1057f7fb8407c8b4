using NUnit.Framework;
using System.Text;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>Reads tests/data/training-goldens/*.bin (written by tests/scripts/make_training_goldens.py):
/// int32 count, then per tensor int32 name length, UTF-8 name, int32 rank, int32 dims, float32 data.</summary>
public sealed class GoldenFile
{
    public Dictionary<string, (int[] Shape, float[] Data)> Tensors { get; } = new(StringComparer.Ordinal);

    public static GoldenFile Load(string name)
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "training-goldens", name);
        var g = new GoldenFile();
        using var r = new BinaryReader(File.OpenRead(path));
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            string key = Encoding.UTF8.GetString(r.ReadBytes(r.ReadInt32()));
            var shape = new int[r.ReadInt32()];
            int count = 1;
            for (int k = 0; k < shape.Length; k++) count *= shape[k] = r.ReadInt32();
            var data = new float[count];
            for (int k = 0; k < count; k++) data[k] = r.ReadSingle();
            g.Tensors[key] = (shape, data);
        }
        return g;
    }

    public float[] this[string key] => Tensors.TryGetValue(key, out var t) ? t.Data : throw new KeyNotFoundException($"golden tensor '{key}' missing");

    public IEnumerable<string> Names(string prefix) =>
        Tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]);

    /// <summary>
    /// Every element within 1e-4 of the tensor's largest magnitude (plus 1e-7 absolute for all-zero
    /// tensors). Relative to the tensor's scale rather than per element: float32 sums in a different
    /// order differ by rounding relative to the terms' size, so a near-zero element of a large tensor
    /// cannot be expected to match to 1e-4 of itself.
    /// </summary>
    public static void AssertClose(string what, float[] actual, float[] expected, double rel = 1e-4)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        double scale = expected.Max(v => Math.Abs((double)v));
        double tol = rel * scale + 1e-7;
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]);
            if (!(err <= worstErr) || double.IsNaN(err)) { worstErr = double.IsNaN(err) ? double.PositiveInfinity : err; worst = i; }
        }
        if (worst >= 0 && worstErr > tol)
            Assert.Fail($"{what}: element {worst} is {actual[worst]:R}, expected {expected[worst]:R} (|diff| {worstErr:G3} > {tol:G3} = {rel} x max|expected| {scale:G3})");
    }
}
