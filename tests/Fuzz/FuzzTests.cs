using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tests.Inference;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Fuzz;

/// <summary>
/// Issue 12's fuzz harness, in-process and seeded (see <see cref="FuzzRunner"/> for the contract it checks).
/// CI runs <see cref="DefaultCases"/> cases; a longer run is the same test with more:
/// `RR_FUZZ_CASES=20000 RR_FUZZ_SECONDS=540 ./rr test --filter FullyQualifiedName~Fuzz` (RR_FUZZ_SEED picks the
/// seed, RR_FUZZ_ONLY=i replays case i). The summary line is printed and written to out/fuzz-report.txt.
/// </summary>
[TestFixture, Category("Gl")]
public class FuzzTests
{
    const int DefaultCases = 300;

    static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) ? v : fallback;

    /// <summary>The seeds: tiny ResNets of each kind from the builder (cheap, so most cases reach both backends),
    /// the plain CNN with Gemm, and the shipped scene model, with draw weights. The first is also the .npy cases' model.</summary>
    public static IEnumerable<(string, byte[], int)> Seeds()
    {
        var cifar = new ResNetSpec { Name = "tiny-cifar", Cifar = true, Layers = [1, 1], StageWidths = [4, 8], NumClasses = 5, InputSize = 16 };
        yield return ("tiny-cifar", ResNetOnnxBuilder.Build(cifar, seed: 1).ToBytes(), 4);
        var imagenet = new ResNetSpec { Name = "tiny-imagenet", Layers = [1, 1], StageWidths = [4, 8], NumClasses = 6, InputSize = 32 };
        yield return ("tiny-imagenet", ResNetOnnxBuilder.Build(imagenet, seed: 2).ToBytes(), 4);
        var bottleneck = imagenet with { Name = "tiny-bottleneck", Block = BlockKind.Bottleneck, StageWidths = [4, 4] };
        yield return ("tiny-bottleneck", ResNetOnnxBuilder.Build(bottleneck, seed: 3).ToBytes(), 4);
        yield return ("plain-cnn", TestModels.PlainCnn(size: 12, classes: 7, seed: 4).ToBytes(), 2);
        // The scene model costs ~10 tiny ones per case (1.1 MB to parse, a 64x64 ResNet-20 to run on llvmpipe): 1 in 15.
        yield return ("scene-resnet", File.ReadAllBytes(Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx")), 1);
    }

    [Test]
    public void MutatedModelsAndNpyFilesEndCleanlyAndBackendsAgree()
    {
        int cases = Env("RR_FUZZ_CASES", DefaultCases), seed = Env("RR_FUZZ_SEED", 1), only = Env("RR_FUZZ_ONLY", -1);
        using var runner = new FuzzRunner(Seeds());
        var rep = runner.Run(seed, cases, Env("RR_FUZZ_SECONDS", 0), only);
        string text = rep.Summary + "\n" + string.Join("\n", rep.Findings) + "\n";
        TestContext.Progress.WriteLine(text);
        var outDir = Path.Combine(RepoPaths.Root, "out");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "fuzz-report.txt"), text);
        Assert.That(rep.Findings, Is.Empty, text);
        if (only < 0 && cases >= DefaultCases)
        {
            // Not vacuous: the mutations must reach both backends and the comparison, not only the parser.
            Assert.That(rep.Agreements, Is.GreaterThan(rep.Cases / 20), text);
            Assert.That(rep.ErrorsByStage.Keys, Is.SupersetOf(new[] { "parse", "validate", "npy" }), text);
        }
    }
}
