using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>Issue 12: NaN/±Inf inputs are an error on every backend; a non-finite logit is never printed as a probability.</summary>
public class NonFiniteTests
{
    static readonly string Model = Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");
    string _dir;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "nonfinite");
        Directory.CreateDirectory(_dir);
    }

    [Test]
    public void FirstNonFiniteFindsEveryPositionAndKind()
    {
        var data = new float[1000];
        Assert.That(Finite.FirstNonFinite(data), Is.EqualTo(-1));
        data[^1] = float.MaxValue;   // finite, however large
        Assert.That(Finite.FirstNonFinite(data), Is.EqualTo(-1));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC00001) })
            foreach (int at in new[] { 0, 7, 8, 15, 16, 17, 511, 998, 999 })
            {
                var d = new float[1000];
                d[at] = bad;
                d[999] = at == 999 ? bad : 1;
                Assert.That(Finite.FirstNonFinite(d), Is.EqualTo(at), $"{bad} at {at}");
            }
    }

    [TestCase(float.NaN, "NaN")]
    [TestCase(float.PositiveInfinity, "Infinity")]
    [TestCase(float.NegativeInfinity, "-Infinity")]
    public void OrtRejectsNonFiniteInputNamingIndexAndValue(float bad, string shown)
    {
        var m = TestModels.PlainCnn(size: 16, classes: 5, seed: 3);
        using var be = BackendFactory.Create(Backend.OrtCpu, m);
        var x = new float[3 * 16 * 16];
        x[123] = bad;
        var e = Assert.Throws<ArgumentException>(() => be.Run(x, 1, new float[5]));
        Assert.That(e.Message, Does.Contain("element 123 of 768").And.Contain(shown));
    }

    void WriteInput(string name, Func<int, float> value)
    {
        var x = new float[3 * 64 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = value(i);
        Npy.Write(Path.Combine(_dir, name), x, new[] { 1, 3, 64, 64 });
    }

    static void AssertOneLine((int code, string stdout, string stderr) r, params string[] contains)
    {
        Assert.That(r.code, Is.Not.EqualTo(0), r.stdout + r.stderr);
        Assert.That(r.stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), r.stderr);
        Assert.That(r.stdout, Does.Not.Contain("NaN%").And.Not.Contain("%"));
        foreach (var c in contains) Assert.That(r.stderr, Does.Contain(c));
    }

    [Test]
    public void InferRejectsNanAnywhereInTheNpy()
    {
        WriteInput("nan.npy", i => i == 5000 ? float.NaN : 0.5f);
        AssertOneLine(CliRunner.Run("infer", "--model", Model, "--input", Path.Combine(_dir, "nan.npy")), "element 5000", "NaN", "finite");
    }

    [Test]
    public void InferRefusesToPrintOverflowedLogitsAsProbabilities()
    {
        // Finite but so large that the convolutions overflow float32: the logits come out NaN/Inf.
        WriteInput("huge.npy", i => (i % 2 == 0 ? 3e38f : -3e38f));
        AssertOneLine(CliRunner.Run("infer", "--model", Model, "--input", Path.Combine(_dir, "huge.npy")), "huge.npy row 0", "not finite", "not printed as a probability");
    }
}
