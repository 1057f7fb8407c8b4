// ResNetSpec: parameter counts pinned to the paper / torchvision, names and shapes, validation.
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;

namespace ResNetRealtime.Tests.Models;

public class ResNetSpecTests
{
    // torchvision 0.14 parameter counts at 1000 classes (sum of p.numel() over model.parameters());
    // the paper's table 1 rounds the first five to 11.7M, 21.8M, 25.6M, 44.5M, 60.2M.
    [TestCase("resnet18", 11_689_512, 18)]
    [TestCase("resnet34", 21_797_672, 34)]
    [TestCase("resnet50", 25_557_032, 50)]
    [TestCase("resnet101", 44_549_160, 101)]
    [TestCase("resnet152", 60_192_808, 152)]
    [TestCase("resnext50_32x4d", 25_028_904, 50)]
    [TestCase("resnext101_32x8d", 88_791_336, 101)]
    [TestCase("wide_resnet50_2", 68_883_240, 50)]
    public void ImageNetParameterCounts(string name, long expected, int depth)
    {
        var spec = ResNetSpec.FromName(name);
        Assert.That(spec.ParameterCount(), Is.EqualTo(expected));
        Assert.That(spec.Depth, Is.EqualTo(depth));
        Assert.That(spec.InputSize, Is.EqualTo(224));
    }

    [Test]
    public void CifarResNet20Count()
    {
        // He et al. 2016 report 0.27M for ResNet-20 with parameter-free "option A" shortcuts:
        // 269,722 at 10 classes. We use projection shortcuts (option B, see ResNetSpec's header): two
        // 1x1 convs (16*32 + 32*64 = 2,560 weights) and their BN (2*32 + 2*64 = 192) add 2,752.
        var spec = ResNetSpec.FromName("resnet20", numClasses: 10);
        Assert.That(spec.ParameterCount(), Is.EqualTo(269_722 + 2_752));
        Assert.That(spec.InputSize, Is.EqualTo(32));
        Assert.That(spec.Depth, Is.EqualTo(20));
        Assert.That(spec.Layers, Is.EqualTo(new[] { 3, 3, 3 }));
        foreach (var (name, depth) in new[] { ("resnet32", 32), ("resnet44", 44), ("resnet56", 56), ("resnet110", 110) })
            Assert.That(ResNetSpec.FromName(name, 10).Depth, Is.EqualTo(depth), name);
    }

    [Test]
    public void TorchvisionNamesAndShapes()
    {
        var s = ResNetSpec.FromName("resnet50").StateShapes().ToList();
        Assert.That(s[0].name, Is.EqualTo("conv1.weight")); Assert.That(s[0].shape, Is.EqualTo(new[] { 64, 3, 7, 7 }));
        Assert.That(s.Select(t => t.name).Take(5), Is.EqualTo(new[] { "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var" }));
        var d = s.ToDictionary(t => t.name, t => t.shape);
        Assert.That(d["layer1.0.downsample.0.weight"], Is.EqualTo(new[] { 256, 64, 1, 1 }));
        Assert.That(d["layer1.0.downsample.1.running_var"], Is.EqualTo(new[] { 256 }));
        Assert.That(d.ContainsKey("layer1.1.downsample.0.weight"), Is.False);
        Assert.That(d["layer2.0.conv2.weight"], Is.EqualTo(new[] { 128, 128, 3, 3 }));
        Assert.That(d["fc.weight"], Is.EqualTo(new[] { 1000, 2048 }));
        var x = ResNetSpec.FromName("resnext50_32x4d").StateShapes().ToDictionary(t => t.name, t => t.shape);
        Assert.That(x["layer1.0.conv2.weight"], Is.EqualTo(new[] { 128, 4, 3, 3 }), "grouped conv: in/groups");
        var r18 = ResNetSpec.FromName("resnet18").StateShapes().ToDictionary(t => t.name, t => t.shape);
        Assert.That(r18.ContainsKey("layer1.0.downsample.0.weight"), Is.False, "resnet18 layer1 keeps shape: identity shortcut");
        Assert.That(r18["layer2.0.downsample.0.weight"], Is.EqualTo(new[] { 128, 64, 1, 1 }));
        var spec = ResNetSpec.FromName("resnet18");
        Assert.That(spec.ParameterShapes().Count() + spec.BufferShapes().Count(), Is.EqualTo(spec.StateShapes().Count()));
        Assert.That(spec.BufferShapes().All(t => t.name.EndsWith("running_mean") || t.name.EndsWith("running_var")));
    }

    [Test]
    public void ClassesChannelsAndSizeFlowThrough()
    {
        var s = ResNetSpec.FromName("ResNet34", numClasses: 7, inChannels: 1, inputSize: 127);
        Assert.That(s.Name, Is.EqualTo("resnet34"));
        var d = s.StateShapes().ToDictionary(t => t.name, t => t.shape);
        Assert.That(d["conv1.weight"], Is.EqualTo(new[] { 64, 1, 7, 7 }));
        Assert.That(d["fc.weight"], Is.EqualTo(new[] { 7, 512 }));
        Assert.That(s.InputSize, Is.EqualTo(127));
        Assert.That(ResNetSpec.FromName("resnet56", 10, 3, 40).InputSize, Is.EqualTo(40));
    }

    [Test]
    public void UnknownNameListsValidOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => ResNetSpec.FromName("resnet19"));
        Assert.That(ex.Message, Does.Contain("resnet19").And.Contain("resnet18").And.Contain("resnet110").And.Contain("wide_resnet50_2"));
        Assert.Throws<ArgumentException>(() => ResNetSpec.FromName(null));
    }

    [Test]
    public void InvalidSpecsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ResNetSpec.FromName("resnet18", numClasses: 0));
        Assert.Throws<ArgumentException>(() => ResNetSpec.FromName("resnet18", inChannels: 0));
        Assert.Throws<ArgumentException>(() => (ResNetSpec.FromName("resnet18") with { Layers = [2, 2] }).Validate());
        Assert.Throws<ArgumentException>(() => (ResNetSpec.FromName("resnet18") with { Layers = [2, 0, 2, 2] }).Validate());
        Assert.Throws<ArgumentException>(() => (ResNetSpec.FromName("resnet18") with { Groups = 2 }).Validate());
    }

    [Test]
    public void SpecIsImmutableAndComparable()
    {
        var a = ResNetSpec.FromName("resnet18");
        a.Layers[0] = 99;
        Assert.That(a.Layers[0], Is.EqualTo(2));
        Assert.That(ResNetSpec.FromName("resnet18"), Is.EqualTo(a));
        Assert.That(a with { NumClasses = 10 }, Is.Not.EqualTo(a));
    }
}
