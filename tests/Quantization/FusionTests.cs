using NUnit.Framework;
using ResNetRealtime.Runtime.Quantization;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>
/// ORT must run every convolution of a quantized ResNet in an int8 kernel: the Q/DQ placement is
/// only worth anything if ORT fuses it (FusionCheck reads ORT's own optimised graph). Random weights
/// and random calibration data are enough here: fusion depends on the graph, not on the values.
/// </summary>
[TestFixture]
public class FusionTests
{
    [TestCase("resnet20", 32)]
    [TestCase("resnet18", 64)]
    [TestCase("resnet50", 64)]
    public void EveryConvOfAQuantizedResNetRunsInAnInt8Kernel(string arch, int size)
    {
        var model = QuantTestData.ResNet(arch, size);
        int convs = model.Graph.Nodes.Count(n => n.OpType == "Conv");
        int adds = model.Graph.Nodes.Count(n => n.OpType == "Add");
        var r = Int8Quantizer.Quantize(model, QuantTestData.Gaussian(4, 3, size, size, seed: 5), new QuantizeOptions { Samples = 4 });
        var f = FusionCheck.Analyze(r.Model.ToBytes());
        TestContext.Out.WriteLine($"{arch}@{size}: {convs} Conv, {adds} Add in the float model; ORT optimised int8 model: {f}");
        TestContext.Out.WriteLine(string.Join(", ", f.Ops.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.That(f.FloatConvsLeft, Is.EqualTo(0), $"float convolutions left after ORT's optimisation: {f}");
        Assert.That(f.Int8Convs, Is.EqualTo(convs), $"int8 convolution kernels vs the model's {convs} Conv: {f}");
        Assert.That(f.Count("QLinearAdd"), Is.EqualTo(adds), $"residual Adds in QLinearAdd: {f}");
    }

    [Test]
    public void TheFloatModelHasNoInt8Kernels()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        var f = FusionCheck.Analyze(model.ToBytes());
        Assert.That(f.Int8Total, Is.EqualTo(0), f.ToString());
        Assert.That(f.FloatConvsLeft, Is.EqualTo(model.Graph.Nodes.Count(n => n.OpType == "Conv")), f.ToString());
    }
}
