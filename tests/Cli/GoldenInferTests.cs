using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Tests.Cli;

/// <summary>
/// `rr infer` end to end on the PyTorch goldens (tests/data/goldens, written by tests/scripts/make_goldens.py):
/// torchvision-style exports at opsets 11–17, dynamic and fixed batch, stage taps by alias. The .npy output
/// and tap files must reproduce PyTorch to 1e-4 relative (|got − want| ≤ 1e-4·max(|want|, 1)): float32
/// kernels in a different order than PyTorch's differ by ~1e-6 relative on these small nets.
/// </summary>
public class GoldenInferTests
{
    static string Dir => Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "goldens");

    static IEnumerable<TestCaseData> Cases() => CasesFrom(Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "goldens", "manifest.json"));

    /// <summary>The cases a manifest lists. A missing manifest throws (NUnit then fails the test instead of running
    /// none and counting that as a pass), like GoldenTests.</summary>
    internal static IEnumerable<TestCaseData> CasesFrom(string manifest)
    {
        if (!File.Exists(manifest))
            throw new FileNotFoundException($"{manifest} is missing: the PyTorch goldens are written by tests/scripts/make_goldens.py and committed under tests/data/goldens", manifest);
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        foreach (var m in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            var taps = m.GetProperty("taps").EnumerateObject().Select(p => (p.Name, p.Value.GetString())).ToArray();
            foreach (var e in m.GetProperty("exports").EnumerateArray())
                yield return new TestCaseData(e.GetProperty("file").GetString(), m.GetProperty("input").GetString(),
                                              m.GetProperty("logits").GetString(), taps[0].Name, taps[0].Item2)
                    .SetName($"Infer_reproduces_pytorch {e.GetProperty("file").GetString()}");
        }
    }

    [Test]
    public void A_missing_manifest_fails_instead_of_yielding_no_cases()
    {
        var e = Assert.Throws<FileNotFoundException>(() => CasesFrom(Path.Combine(TestContext.CurrentContext.WorkDirectory, "no-such-dir", "manifest.json")).ToList());
        Assert.That(e.Message, Does.Contain("no-such-dir").And.Contain("make_goldens.py"));
        Assert.That(Cases().Count(), Is.GreaterThanOrEqualTo(5), "the committed manifest lists the five exports");
    }

    [TestCaseSource(nameof(Cases))]
    public void Infer_reproduces_pytorch(string model, string input, string logits, string tap, string tapFile)
    {
        var outDir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "golden-infer", Path.GetFileNameWithoutExtension(model));
        var y = Path.Combine(outDir, "y.npy");
        var r = CliRunner.Run("infer", "--model", Path.Combine(Dir, model), "--input", Path.Combine(Dir, input), "--output", y,
                              "--taps", tap, "--taps-out", outDir, "--threads", "1");
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stdout, Does.Contain("ResNet-"));
        Compare(Npy.Read(y), Npy.Read(Path.Combine(Dir, logits)), "logits");
        Compare(Npy.Read(Path.Combine(outDir, tap + ".npy")), Npy.Read(Path.Combine(Dir, tapFile)), tap);
    }

    static void Compare(NpyArray got, NpyArray want, string what)
    {
        Assert.That(got.Shape, Is.EqualTo(want.Shape), what + " shape");
        for (int i = 0; i < want.Data.Length; i++)
        {
            float w = want.Data[i];
            if (Math.Abs(got.Data[i] - w) > 1e-4f * Math.Max(Math.Abs(w), 1f))
                Assert.Fail($"{what}[{i}] = {got.Data[i]}, PyTorch {w}");
        }
    }
}
