using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Torch;

namespace ResNetRealtime.Tests.Training.Torch;

/// <summary>One architecture table (the runtime's ResNetSpec) for both engines: every name it knows
/// resolves in training, and each engine builds exactly the spec's tensors (names, shapes, order).</summary>
public class ArchitectureTests
{
    static IEnumerable<string> AllNames => ResNetSpec.KnownNames;

    [TestCaseSource(nameof(AllNames))]
    public void TrainingKnowsEveryNameTheBuilderKnows(string name)
    {
        var spec = ResNetSpec.FromName(name, 7, 1);
        var view = ResNetConfig.FromName(name, 7, 1).ToSpec(spec.InputSize);
        Assert.That(view.StateShapes().Select(t => (t.name, string.Join(",", t.shape))),
                    Is.EqualTo(spec.StateShapes().Select(t => (t.name, string.Join(",", t.shape)))));
    }

    static (string name, string shape)[] Table(IEnumerable<(string name, int[] shape)> t) => t.Select(e => (e.name, string.Join(",", e.shape))).ToArray();

    /// <summary>A wide (width per group 128) and a grouped bottleneck cut down to one block per stage, so
    /// both engines are checked on those families without allocating Wide ResNet-50-2's 69 M parameters.</summary>
    static ResNetConfig Small(string name) => name switch
    {
        "wide" => new ResNetConfig { Name = "wide", Block = BlockKind.Bottleneck, Layers = new[] { 1, 1 }, StageWidths = new[] { 8, 16 }, WidthPerGroup = 128, Classes = 4, InChannels = 2 },
        "grouped" => new ResNetConfig { Name = "grouped", Block = BlockKind.Bottleneck, Layers = new[] { 1, 1, 1 }, StageWidths = new[] { 8, 16, 32 }, Groups = 8, WidthPerGroup = 8, Classes = 4, InChannels = 2 },
        _ => ResNetConfig.FromName(name, 4, 2),
    };

    [TestCase("resnet18")]
    [TestCase("resnet20")]
    [TestCase("resnext50_32x4d")]
    [TestCase("wide")]
    [TestCase("grouped")]
    public void BothEnginesBuildTheSpecsTensors(string name)
    {
        Assert.That(TorchRuntime.TryLoad(out var error), Is.True, error);
        var cfg = Small(name);
        var expected = Table(new ResNet(cfg).StateDict().Select(e => (e.name, e.shape)));
        if (ResNetSpec.KnownNames.Contains(name))
            Assert.That(expected, Is.EqualTo(Table(cfg.ToSpec(64).StateShapes())), "ours vs the runtime's spec");
        using var torch = new TorchResNet(cfg);
        var theirs = torch.named_parameters().Select(p => (p.name, p.parameter.shape))
            .Concat(torch.named_buffers().Where(b => !b.name.EndsWith("num_batches_tracked")).Select(b => (b.name, b.buffer.shape)))
            .ToDictionary(e => e.name, e => string.Join(",", e.shape));
        Assert.That(theirs.Keys, Is.EquivalentTo(expected.Select(e => e.name)), "TorchSharp names");
        foreach (var (n, shape) in expected) Assert.That(theirs[n], Is.EqualTo(shape), n);
    }
}
