using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Models;
using static ResNetRealtime.Tests.Training.TestMath;

namespace ResNetRealtime.Tests.Training;

[TestFixture]
public class ResNetModelTests
{
    // torchvision 0.14's counts for the ImageNet models (1000 classes); the CIFAR ones from the same
    // definitions in PyTorch with 1×1 conv + BN projection shortcuts (10 classes).
    [TestCase("resnet18", 1000, 11_689_512)]
    [TestCase("resnet34", 1000, 21_797_672)]
    [TestCase("resnet50", 1000, 25_557_032)]
    [TestCase("resnet101", 1000, 44_549_160)]
    [TestCase("resnet152", 1000, 60_192_808)]
    [TestCase("resnext50_32x4d", 1000, 25_028_904)]
    [TestCase("resnet20", 10, 272_474)]
    [TestCase("resnet32", 10, 466_906)]
    [TestCase("resnet44", 10, 661_338)]
    [TestCase("resnet56", 10, 855_770)]
    [TestCase("resnet110", 10, 1_730_714)]
    public void ParameterCountMatchesPyTorch(string name, int classes, long expected)
    {
        var cfg = ResNetConfig.FromName(name, classes);
        Assert.That(new ResNet(cfg).ParameterCount(), Is.EqualTo(expected));
    }

    [Test]
    public void ResNet18NamesAndShapesAreTorchvisions()
    {
        var m = ResNet.Create("resnet18");
        var names = m.Parameters().Select(p => p.Name).ToList();
        Assert.That(names, Has.Count.EqualTo(62));
        Assert.That(names.Take(8), Is.EqualTo(new[] { "conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.conv2.weight", "layer1.0.bn2.weight" }));
        Assert.That(names.TakeLast(4), Is.EqualTo(new[] { "layer4.1.bn2.weight", "layer4.1.bn2.bias", "fc.weight", "fc.bias" }));
        Assert.That(names, Does.Contain("layer2.0.downsample.0.weight").And.Contain("layer2.0.downsample.1.bias"));
        Assert.That(names, Does.Not.Contain("layer1.0.downsample.0.weight"));
        var state = m.StateDict().ToList();
        Assert.That(state, Has.Count.EqualTo(102), "62 parameters + 2 running stats for each of 20 BatchNorms");
        Assert.That(state.Select(s => s.name).Distinct().Count(), Is.EqualTo(102));
        var shapes = state.ToDictionary(s => s.name, s => s.shape);
        Assert.That(shapes["conv1.weight"], Is.EqualTo(new[] { 64, 3, 7, 7 }));
        Assert.That(shapes["layer3.0.downsample.0.weight"], Is.EqualTo(new[] { 256, 128, 1, 1 }));
        Assert.That(shapes["layer4.1.bn2.running_var"], Is.EqualTo(new[] { 512 }));
        Assert.That(shapes["fc.weight"], Is.EqualTo(new[] { 1000, 512 }));
        var cifar = ResNet.Create("resnet20", 10, 1).StateDict().ToDictionary(s => s.name, s => s.shape);
        Assert.That(cifar["conv1.weight"], Is.EqualTo(new[] { 16, 1, 3, 3 }));
        Assert.That(cifar["layer2.0.downsample.0.weight"], Is.EqualTo(new[] { 32, 16, 1, 1 }));
        Assert.That(cifar["layer3.2.conv2.weight"], Is.EqualTo(new[] { 64, 64, 3, 3 }));
        Assert.That(cifar.ContainsKey("layer4.0.conv1.weight"), Is.False);
        var rx = ResNet.Create("resnext50_32x4d").StateDict().ToDictionary(s => s.name, s => s.shape);
        Assert.That(rx["layer1.0.conv2.weight"], Is.EqualTo(new[] { 128, 4, 3, 3 }), "groups 32 × 4 channels");
    }

    /// <summary>Names and shapes agree exactly (and in order) with the runtime's ResNetSpec, which the ONNX
    /// builder uses, so exported weights land where the builder expects them.</summary>
    [Test]
    public void StateDictMatchesRuntimeSpec([Values("resnet18", "resnet50", "resnext50_32x4d", "resnet20", "resnet56")] string name)
    {
        var spec = ResNetRealtime.Runtime.Models.ResNetSpec.FromName(name, 10, 1, 32);
        var mine = new ResNet(spec).StateDict().Select(s => (s.name, string.Join(",", s.shape))).ToList();
        var theirs = spec.StateShapes().Select(s => (s.name, string.Join(",", s.shape))).ToList();
        Assert.That(mine, Is.EqualTo(theirs));
    }

    [Test]
    public void InitIsKaimingFanOutAndSeeded()
    {
        var m = ResNet.Create("resnet20", 10, 3, seed: 7, zeroInitResidual: true);
        var w = m.Parameters().First(p => p.Name == "layer3.1.conv1.weight").Data;
        double var = w.Select(v => (double)v * v).Average();
        // fan_out = 64·3·3 → variance 2/576; with 36,864 samples the estimate is within a few percent.
        Assert.That(var, Is.EqualTo(2.0 / 576).Within(0.05 * 2.0 / 576));
        Assert.That(m.Parameters().First(p => p.Name == "layer1.0.bn2.weight").Data, Is.All.EqualTo(0f), "zero-init residual");
        Assert.That(m.Parameters().First(p => p.Name == "layer1.0.bn1.weight").Data, Is.All.EqualTo(1f));
        var again = ResNet.Create("resnet20", 10, 3, seed: 7);
        Assert.That(again.Parameters().First(p => p.Name == "fc.weight").Data, Is.EqualTo(m.Parameters().First(p => p.Name == "fc.weight").Data));
        Assert.That(m.Parameters().First(p => p.Name == "fc.bias").Decay, Is.False);
        Assert.That(m.Parameters().First(p => p.Name == "bn1.weight").Decay, Is.False);
        Assert.That(m.Parameters().First(p => p.Name == "conv1.weight").Decay, Is.True);
    }

    [Test]
    public void StateDictRoundTripsAndRejectsMismatches()
    {
        var a = ResNet.Create("resnet20", 10, 1, seed: 1);
        var b = ResNet.Create("resnet20", 10, 1, seed: 2);
        a.StateDict().First(s => s.name == "layer2.1.bn1.running_mean").data[3] = 0.75f;
        var copy = a.StateDict().Select(s => (s.name, (float[])s.data.Clone(), s.shape)).ToList();
        var loaded = b.LoadStateDict(copy);
        Assert.That(loaded, Has.Count.EqualTo(copy.Count));
        foreach (var (name, data, _) in b.StateDict())
            Assert.That(data, Is.EqualTo(copy.First(c => c.name == name).Item2), name);

        var wrong = copy.Select(s => s.name == "fc.weight" ? (s.name, new float[20 * 64], new[] { 20, 64 }) : s).ToList();
        var e = Assert.Throws<ArgumentException>(() => b.LoadStateDict(wrong));
        Assert.That(e.Message, Does.Contain("fc.weight").And.Contain("[20,64]").And.Contain("[10,64]"));
        e = Assert.Throws<ArgumentException>(() => b.LoadStateDict(copy.Where(s => s.name != "bn1.bias")));
        Assert.That(e.Message, Does.Contain("missing").And.Contain("bn1.bias"));
        e = Assert.Throws<ArgumentException>(() => b.LoadStateDict(copy.Append(("layer9.weight", new float[1], new[] { 1 }))));
        Assert.That(e.Message, Does.Contain("layer9.weight"));
        Assert.That(b.LoadStateDict(copy.Where(s => !s.name.StartsWith("fc.")), strict: false), Has.Count.EqualTo(copy.Count - 2));
    }

    [Test]
    public void ResNet20LossDecreasesWithSgd()
    {
        var m = ResNet.Create("resnet20", 10, 3, seed: 5);
        var rng = new Random(6);
        var x = new Tensor(Rand(rng, 8 * 3 * 16 * 16), 8, 3, 16, 16);
        var labels = Enumerable.Range(0, 8).Select(i => i % 10).ToArray();
        var loss = new CrossEntropyLoss();
        var ps = m.Parameters().ToArray();
        var vel = ps.Select(p => new float[p.Data.Length]).ToArray();
        double first = 0, last = 0;
        for (int step = 0; step < 12; step++)
        {
            m.ZeroGrad();
            double l = loss.Forward(m.Forward(x), labels);
            if (step == 0) first = l;
            last = l;
            Assert.That(double.IsFinite(l), $"loss at step {step} is {l}");
            m.Backward(loss.Backward());
            for (int j = 0; j < ps.Length; j++)
                for (int i = 0; i < ps[j].Data.Length; i++)
                {
                    vel[j][i] = 0.9f * vel[j][i] + ps[j].Grad[i];
                    ps[j].Data[i] -= 0.05f * vel[j][i];
                }
        }
        // Memorising 8 random images is easy; a broken backward leaves the loss near log(10) ≈ 2.3.
        Assert.That(last, Is.LessThan(0.5 * first), $"loss {first:F4} -> {last:F4}");
        m.Eval();
        var logits = m.Forward(x);
        var correct = 0;
        for (int i = 0; i < 8; i++)
        {
            var row = logits.Data.AsSpan(i * 10, 10);
            int best = 0;
            for (int j = 1; j < 10; j++) if (row[j] > row[best]) best = j;
            if (best == labels[i]) correct++;
        }
        Assert.That(m.Forward(x).Data, Is.EqualTo(logits.Data), "eval mode is deterministic and leaves state alone");
        TestContext.Out.WriteLine($"loss {first:F4} -> {last:F4}, eval accuracy {correct}/8");
    }

    [Test]
    public void FrozenParametersGetNoGradientAndBadInputIsClear()
    {
        var m = ResNet.Create("resnet20", 10, 1);
        foreach (var p in m.Parameters().Where(p => p.Name.StartsWith("layer1."))) p.RequiresGrad = false;
        var x = new Tensor(Rand(new Random(1), 2 * 1 * 8 * 8), 2, 1, 8, 8);
        var loss = new CrossEntropyLoss();
        loss.Forward(m.Forward(x), new[] { 1, 2 });
        m.Backward(loss.Backward());
        Assert.That(m.Parameters().Where(p => p.Name.StartsWith("layer1.")).All(p => p.Grad.All(g => g == 0)), "frozen stage untouched");
        Assert.That(m.Parameters().First(p => p.Name == "conv1.weight").Grad.Any(g => g != 0), "layers before a frozen stage still learn");
        var e = Assert.Throws<ArgumentException>(() => m.Forward(new Tensor(2, 3, 8, 8)));
        Assert.That(e.Message, Does.Contain("1 input channels").And.Contain("[2,3,8,8]"));
        e = Assert.Throws<ArgumentException>(() => ResNet.Create("resnet19"));
        Assert.That(e.Message, Does.Contain("resnet19").And.Contain("resnet20"));
    }
}
