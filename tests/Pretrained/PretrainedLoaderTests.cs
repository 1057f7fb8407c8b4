using NUnit.Framework;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Training.Export;
using ResNetRealtime.Training.Models;

namespace ResNetRealtime.Tests.Pretrained;

/// <summary>`rr train --init-from pretrained:resnet18`: the converted backbone onto the engine's ResNet-18.</summary>
public class PretrainedLoaderTests
{
    [Test]
    public void Backbone_loads_into_resnet18_by_name_and_the_extra_cntk_block_is_named()
    {
        var (_, converted) = PretrainedFixture.Require();
        var net = ResNet.Create("resnet18", classes: 10, inChannels: 3, seed: 1);
        var before = net.StateDict().ToDictionary(e => e.name, e => (float[])e.data.Clone());
        var r = PretrainedLoader.Load(net, converted);
        TestContext.Out.WriteLine($"{r.Mode}: {r.LoadedParameters.Count} tensors");
        Assert.That(r.NewHead, Is.True);
        Assert.That(r.Mode, Does.Contain("without a classifier").And.Contain("layer4.2").And.Contain("dropped"));
        var parameters = net.Parameters().Select(p => p.Name).ToList();
        Assert.That(r.LoadedParameters, Is.EquivalentTo(parameters.Where(n => !n.StartsWith("fc."))), "every backbone parameter of ResNet-18 is loaded");

        var model = OnnxModel.Load(converted);
        var after = net.StateDict().ToDictionary(e => e.name, e => e.data);
        foreach (var name in new[] { "conv1.weight", "layer3.1.conv2.weight", "layer4.1.bn2.running_var", "layer2.0.downsample.0.weight" })
            Assert.That(after[name], Is.EqualTo(model.Graph.FindInitializer(name).ToFloatArray()), name);
        Assert.That(after["fc.weight"], Is.EqualTo(before["fc.weight"]), "the new head keeps its fresh initialisation");
        // Training must feed the backbone what it was trained on: 0..255 pixels minus the channel means (std 1/255).
        Assert.That(r.Std, Is.EqualTo(new[] { 1 / 255f, 1 / 255f, 1 / 255f }).Within(1e-9));
        Assert.That(r.Mean.Select(v => v * 255), Is.EqualTo(new[] { 123.15, 115.90, 103.06 }).Within(0.01));
    }
}
