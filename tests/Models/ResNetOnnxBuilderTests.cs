// ResNetOnnxBuilder: structure, names, initialisation statistics, determinism, and that ONNX Runtime
// runs what it writes with the expected output shapes. Output *values* are checked against PyTorch
// in tests/Goldens (BuilderMatchesPyTorch).
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Models;

public class ResNetOnnxBuilderTests
{
    internal static float[] RandomInput(int n, int seed)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    [Test]
    public void Cifar20RunsInOrtWithDynamicBatch()
    {
        var spec = ResNetSpec.FromName("resnet20", numClasses: 10);
        var model = ResNetOnnxBuilder.Build(spec, seed: 3);
        byte[] bytes = OnnxModel.Parse(model.ToBytes()).ToBytes();
        foreach (int batch in new[] { 1, 3 })
        {
            var y = OrtTestRunner.Run(bytes, "input", RandomInput(batch * 3 * 32 * 32, batch), [batch, 3, 32, 32])["logits"];
            Assert.That(y.Shape, Is.EqualTo(new long[] { batch, 10 }));
            Assert.That(y.Data.All(float.IsFinite));
            Assert.That(y.Data.Distinct().Count(), Is.GreaterThan(batch * 5), "logits are not constant");
        }
    }

    [Test]
    public void AwkwardSizesChannelsAndClasses()
    {
        // 1 channel, 7 classes, 13x13 input: 13 -> conv 7 -> pool 4 -> 4 -> 2 -> 1 -> 1.
        var spec = ResNetSpec.FromName("resnet18", numClasses: 7, inChannels: 1, inputSize: 13);
        var y = OrtTestRunner.Run(ResNetOnnxBuilder.Build(spec, 1).ToBytes(), "input", RandomInput(13 * 13, 5), [1, 1, 13, 13])["logits"];
        Assert.That(y.Shape, Is.EqualTo(new long[] { 1, 7 }));
    }

    [Test]
    public void GroupedBottleneckRuns()
    {
        var spec = new ResNetSpec { Name = "tiny_resnext", Block = BlockKind.Bottleneck, Layers = [1, 2, 1, 1], StageWidths = [8, 16, 16, 32], Groups = 4, WidthPerGroup = 8, NumClasses = 5, InputSize = 45 };
        var model = ResNetOnnxBuilder.Build(spec, new ResNetBuildOptions { Seed = 2, PerturbBatchNorm = true, Opset = 13, FixedBatch = 2 });
        Assert.That(model.DefaultOpsetVersion, Is.EqualTo(13));
        Assert.That(model.Graph.Inputs[0].Shape[0].Value, Is.EqualTo(2));
        var y = OrtTestRunner.Run(model.ToBytes(), "input", RandomInput(2 * 3 * 45 * 45, 9), [2, 3, 45, 45])["logits"];
        Assert.That(y.Shape, Is.EqualTo(new long[] { 2, 5 }));
        Assert.That(model.Graph.Nodes.Where(n => n.OpType == "Conv" && n.GetInt("group", 1) == 4).Count(), Is.EqualTo(5));
    }

    [Test]
    public void InitializersAreTorchvisionStateInOrder()
    {
        var spec = ResNetSpec.FromName("resnet18", numClasses: 10);
        var g = ResNetOnnxBuilder.Build(spec).Graph;
        Assert.That(g.Initializers.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal),
            Is.EqualTo(spec.StateShapes().Select(t => t.name).OrderBy(n => n, StringComparer.Ordinal)));
        foreach (var (name, shape) in spec.StateShapes())
            Assert.That(g.FindInitializer(name).Dims, Is.EqualTo(shape.Select(d => (long)d)), name);
        // Stage outputs and taps-friendly names.
        foreach (string t in new[] { "stem", "layer1", "layer2", "layer3", "layer4", "avgpool", "flatten", "logits" })
            Assert.That(g.FindProducer(t), Is.Not.Null, t);
        Assert.That(g.FindProducer("layer2").Name, Is.EqualTo("layer2.1.relu_out"));
        Assert.That(g.Nodes.Count(n => n.OpType == "Add"), Is.EqualTo(8));
        Assert.That(g.Nodes.Count(n => n.OpType == "BatchNormalization"), Is.EqualTo(20));
    }

    [Test]
    public void MetadataIsWritten()
    {
        var spec = ResNetSpec.FromName("resnet20", numClasses: 3);
        var m = OnnxModel.Parse(ResNetOnnxBuilder.Build(spec, new ResNetBuildOptions { Labels = ["cat", "dog", "a \"quoted\" one"], Seed = 4 }).ToBytes());
        Assert.That(m.GetMetadata(MetadataKeys.Arch), Is.EqualTo("resnet20"));
        Assert.That(m.GetMetadata(MetadataKeys.InputSize), Is.EqualTo("32"));
        Assert.That(m.GetMetadata(MetadataKeys.Mean), Is.EqualTo("0.485,0.456,0.406"));
        Assert.That(m.GetMetadata(MetadataKeys.Std), Is.EqualTo("0.229,0.224,0.225"));
        Assert.That(m.GetMetadata(MetadataKeys.Labels), Is.EqualTo("[\"cat\",\"dog\",\"a \\u0022quoted\\u0022 one\"]"));
        Assert.That(m.GetMetadata(MetadataKeys.Recipe), Does.Contain("seed 4"));
        Assert.Throws<ArgumentException>(() => ResNetOnnxBuilder.Build(spec, new ResNetBuildOptions { Labels = ["one"] }));
    }

    [Test]
    public void DeterministicBySeed()
    {
        var spec = ResNetSpec.FromName("resnet20", numClasses: 10);
        byte[] a = ResNetOnnxBuilder.Build(spec, 11).ToBytes();
        byte[] b = ResNetOnnxBuilder.Build(spec, 11).ToBytes();
        byte[] c = ResNetOnnxBuilder.Build(spec, 12).ToBytes();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        // A tensor depends only on (seed, name): the same tensor of a deeper model is identical.
        var w20 = ResNetOnnxBuilder.InitialValue(spec, "layer1.0.conv1.weight", 11);
        var w56 = ResNetOnnxBuilder.InitialValue(ResNetSpec.FromName("resnet56", 10), "layer1.0.conv1.weight", 11);
        Assert.That(w20, Is.EqualTo(w56));
    }

    [Test]
    public void InitialisationStatistics()
    {
        var spec = ResNetSpec.FromName("resnet18");
        // Kaiming normal, fan_out: std = sqrt(2 / (256*3*3)). 589,824 samples: the sample std is within
        // 0.5% of the true one with overwhelming probability (relative s.e. = 1/sqrt(2n) = 0.09%).
        var w = ResNetOnnxBuilder.InitialValue(spec, "layer3.0.conv2.weight", 0);
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Average(v => (double)v * v) - mean * mean);
        Assert.That(std, Is.EqualTo(Math.Sqrt(2.0 / (256 * 9))).Within(0.5).Percent);
        Assert.That(Math.Abs(mean), Is.LessThan(5 * std / Math.Sqrt(w.Length)));
        // fc: uniform in +-1/sqrt(512), and it fills the range.
        var fc = ResNetOnnxBuilder.InitialValue(spec, "fc.weight", 0);
        float bound = 1 / MathF.Sqrt(512);
        Assert.That(fc.Max(), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.99f * bound));
        Assert.That(fc.Min(), Is.GreaterThanOrEqualTo(-bound).And.LessThan(-0.99f * bound));
        Assert.That(ResNetOnnxBuilder.InitialValue(spec, "bn1.weight", 0), Is.All.EqualTo(1f));
        Assert.That(ResNetOnnxBuilder.InitialValue(spec, "bn1.running_var", 0), Is.All.EqualTo(1f));
        Assert.That(ResNetOnnxBuilder.InitialValue(spec, "bn1.bias", 0), Is.All.EqualTo(0f));
        var pv = ResNetOnnxBuilder.InitialValue(spec, "bn1.running_var", 0, perturbBatchNorm: true);
        Assert.That(pv.Min(), Is.GreaterThanOrEqualTo(0.5f)); Assert.That(pv.Distinct().Count(), Is.EqualTo(64));
        var z = spec with { ZeroInitResidual = true };
        Assert.That(ResNetOnnxBuilder.InitialValue(z, "layer1.0.bn2.weight", 0), Is.All.EqualTo(0f));
        Assert.That(ResNetOnnxBuilder.InitialValue(z, "layer1.0.bn1.weight", 0), Is.All.EqualTo(1f));
        Assert.Throws<ArgumentException>(() => ResNetOnnxBuilder.InitialValue(spec, "nope.weight", 0));
    }

    [Test]
    public void WeightsCallbackIsUsedVerbatim()
    {
        var spec = new ResNetSpec { Name = "tiny", Layers = [1, 1], StageWidths = [4, 8], Cifar = true, NumClasses = 3, InputSize = 8 };
        var seen = new List<string>();
        var model = ResNetOnnxBuilder.Build(spec, 0, (name, shape) =>
        {
            seen.Add(name);
            long n = shape.Aggregate(1L, (a, d) => a * d);
            return Enumerable.Range(0, (int)n).Select(i => name.Length + i * 0.5f).ToArray();
        });
        Assert.That(seen, Is.EquivalentTo(spec.StateShapes().Select(t => t.name)));
        Assert.That(model.Graph.FindInitializer("layer2.0.conv1.weight").ToFloatArray().Take(3), Is.EqualTo(new[] { 21f, 21.5f, 22f }));
        Assert.That(model.GetMetadata(MetadataKeys.Recipe), Is.EqualTo("weights supplied by caller"));
        var ex = Assert.Throws<ArgumentException>(() => ResNetOnnxBuilder.Build(spec, 0, (n, s) => new float[1]));
        Assert.That(ex.Message, Does.Contain("conv1.weight").And.Contain("expected 108"));
    }
}
