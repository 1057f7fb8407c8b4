// LoadedModel: one inspection carried to every consumer — stage map, fc weights for the CAM (both
// weight layouts), errors naming the file, and the demo's ModelProvider reading mean/std from it
// (a 1-channel model's rr.mean used to be dropped for 0.5).
using NUnit.Framework;
using ResNetRealtime.Demo.App;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Models;

public class LoadedModelTests
{
    static string TempDir(string name)
    {
        var d = Path.Combine(TestContext.CurrentContext.WorkDirectory, "loaded-model", name);
        Directory.CreateDirectory(d);
        return d;
    }

    [Test]
    public void Carries_info_stage_map_and_fc_weights_of_a_builder_model()
    {
        var spec = ResNetSpec.FromName("resnet20", numClasses: 10, inChannels: 3, inputSize: 32);
        var onnx = ResNetOnnxBuilder.Build(spec, new ResNetBuildOptions { Seed = 3, Labels = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray() });
        var m = LoadedModel.From(onnx, "test");
        Assert.That(m.Info.ResNet.Depth, Is.EqualTo(20));
        Assert.That(m.Stages, Is.EqualTo(new[] { "layer1", "layer2", "layer3" }));
        Assert.That(m.StageTensors.Keys, Is.EqualTo(new[] { "stem", "layer1", "layer2", "layer3", "pool" }));
        Assert.That(m.StageTensors["pool"], Is.EqualTo("avgpool"));
        Assert.That(m.Labels[9], Is.EqualTo("c9"));
        Assert.That(m.Head, Is.EqualTo(HeadKind.Classifier));
        // Gemm with transB=1 stores fc.weight as [classes, features] already: the CAM gets it as is.
        var fcw = onnx.Graph.FindInitializer("fc.weight").ToFloatArray();
        Assert.That(m.Fc.Classes, Is.EqualTo(10));
        Assert.That(m.Fc.Features, Is.EqualTo(64));
        Assert.That(m.Fc.Weight, Is.EqualTo(fcw));
    }

    [Test]
    public void MatMul_fc_is_transposed_to_classes_by_features()
    {
        // x [N,3] -> MatMul W [3 features, 2 classes]: Fc.Weight must be W^T = [2,3].
        var m = new OnnxModel { IrVersion = 8, OpsetImports = [new OnnxOpset(null, 17)] };
        var g = m.Graph;
        g.Inputs.Add(new OnnxValueInfo("x", OnnxDataType.Float, "N", 3, 4, 4));
        g.Outputs.Add(new OnnxValueInfo("y", OnnxDataType.Float, "N", 2));
        g.Initializers.Add(OnnxTensor.FromFloats("w", new long[] { 3, 2 }, new float[] { 1, 2, 3, 4, 5, 6 }));
        g.Nodes.Add(new OnnxNode("GlobalAveragePool", "p", ["x"], ["p"]));
        g.Nodes.Add(new OnnxNode("Flatten", "f", ["p"], ["f"]));
        g.Nodes.Add(new OnnxNode("MatMul", "fc", ["f", "w"], ["y"]));
        var lm = LoadedModel.From(m);
        Assert.That(lm.Head, Is.EqualTo(HeadKind.Classifier), "a MatMul after the pool is a classifier head");
        Assert.That(lm.Fc.Weight, Is.EqualTo(new float[] { 1, 3, 5, 2, 4, 6 }));
        Assert.That((lm.Fc.Classes, lm.Fc.Features), Is.EqualTo((2, 3)));
        Assert.That(lm.StageTensors, Is.Empty, "not a ResNet: no stages");
    }

    [Test]
    public void Load_errors_name_the_file()
    {
        var path = Path.Combine(TempDir("bad"), "text.onnx");
        // A valid model whose input is not an image: the inspector's message, prefixed with the path.
        var m = new OnnxModel { IrVersion = 8, OpsetImports = [new OnnxOpset(null, 17)] };
        m.Graph.Inputs.Add(new OnnxValueInfo("x", OnnxDataType.Float, "N", 7));
        m.Graph.Outputs.Add(new OnnxValueInfo("y", OnnxDataType.Float, "N", 7));
        m.Graph.Nodes.Add(new OnnxNode("Relu", "r", ["x"], ["y"]));
        m.Save(path);
        var e = Assert.Throws<InvalidDataException>(() => LoadedModel.Load(path));
        Assert.That(e.Message, Does.StartWith(path + ": ").And.Contain("[N,C,H,W]"));
    }

    [Test]
    public void Backends_take_the_input_size_from_the_model_object()
    {
        var lm = LoadedModel.From(ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet20", 10, 1, 28), 1));
        using var be = BackendFactory.Create(Backend.OrtCpu, lm, new BackendOptions());
        Assert.That((be.Channels, be.Height, be.Width, be.Classes), Is.EqualTo((1, 28, 28, 10)));
    }

    [Test]
    public void One_channel_mean_and_std_reach_the_demo()
    {
        // A Fashion-MNIST-like 1-channel ResNet-20 with its own normalisation in rr.mean/rr.std.
        var path = Path.Combine(TempDir("gray"), "gray.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet20", 10, 1, 28),
            new ResNetBuildOptions { Seed = 2, Mean = [0.2860f], Std = [0.3530f] }).Save(path);
        var choice = ModelProvider.Choose(new DemoOptions { ModelPath = path }, 18, sceneSource: false, 28);
        Assert.That(choice.Mean, Is.EqualTo(new[] { 0.2860f }));
        Assert.That(choice.Std, Is.EqualTo(new[] { 0.3530f }));
        Assert.That(choice.Loaded.Info.NormalizationSource, Is.EqualTo(ValueSource.Metadata));
        Assert.That(choice.Depth, Is.EqualTo(20), "the graph's depth, not the depth key");
        Assert.That(choice.FcIn, Is.EqualTo(64));
        Assert.That(choice.FcWeight, Has.Length.EqualTo(10 * 64));
    }

    [Test]
    public void Demo_refuses_a_feature_extractor_in_one_line()
    {
        var path = Path.Combine(TempDir("headless"), "feat.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet20", 10, 3, 32), new ResNetBuildOptions { Output = ResNetOutput.PooledFeatures }).Save(path);
        var e = Assert.Throws<InvalidDataException>(() => ModelProvider.Choose(new DemoOptions { ModelPath = path }, 18, sceneSource: false, 32));
        Assert.That(e.Message, Does.Contain("feature extractor (64 features)"));
    }
}
