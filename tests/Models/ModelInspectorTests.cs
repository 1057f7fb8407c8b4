// ModelInspector and Taps on builder models and hand-made graphs: structure across depths, metadata
// parsing, non-image and non-ResNet models, and tap resolution errors.
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Models;

public class ModelInspectorTests
{
    /// <summary>Builder graph with empty weights: the inspector reads only structure and dims, so no values are needed.</summary>
    static OnnxModel Skeleton(ResNetSpec spec) =>
        ResNetOnnxBuilder.Build(spec, 0, (n, s) => new float[s.Aggregate(1, (a, d) => a * d)]);

    [TestCase("resnet18", 18, nameof(BlockKind.Basic), new[] { 2, 2, 2, 2 })]
    [TestCase("resnet34", 34, nameof(BlockKind.Basic), new[] { 3, 4, 6, 3 })]
    [TestCase("resnet50", 50, nameof(BlockKind.Bottleneck), new[] { 3, 4, 6, 3 })]
    [TestCase("resnext50_32x4d", 50, nameof(BlockKind.Bottleneck), new[] { 3, 4, 6, 3 })]
    [TestCase("resnet20", 20, nameof(BlockKind.Basic), new[] { 3, 3, 3 })]
    [TestCase("resnet110", 110, nameof(BlockKind.Basic), new[] { 18, 18, 18 })]
    // The enum by name: BlockKind is internal to the runtime, and a public test method cannot take it.
    public void RecognisesBuilderModels(string name, int depth, string kindName, int[] blocks)
    {
        var kind = Enum.Parse<BlockKind>(kindName);
        var spec = ResNetSpec.FromName(name, numClasses: 10);
        var info = ModelInspector.Inspect(Skeleton(spec));
        var r = info.RequireResNet();
        Assert.That(r.Depth, Is.EqualTo(depth));
        Assert.That(r.Block, Is.EqualTo(kind));
        Assert.That(r.BlocksPerStage, Is.EqualTo(blocks));
        Assert.That(r.Stages.Select(s => s.OutputName), Is.EqualTo(r.Stages.Select(s => s.Name)));
        Assert.That(r.Stages.Select(s => s.Channels), Is.EqualTo(spec.StageWidths.Select(w => w * spec.Expansion)));
        Assert.That(r.Stages.Select(s => s.Stride), Is.EqualTo(Enumerable.Range(0, spec.StageCount).Select(i => spec.StemStride << i)));
        Assert.That(r.StemOutput, Is.EqualTo("stem"));
        Assert.That(r.PoolOutput, Is.EqualTo("avgpool"));
        Assert.That(info.Classes, Is.EqualTo(10));
        Assert.That(info.DynamicBatch, Is.True);
        Assert.That(info.InputShape, Is.EqualTo(new long[] { -1, 3, spec.InputSize, spec.InputSize }));
        Assert.That(info.Arch, Is.EqualTo(name));
        Assert.That(info.NormalizationSource, Is.EqualTo(ValueSource.Metadata));
        Assert.That(info.Mean, Is.EqualTo(MetadataKeys.ImageNetMean));
    }

    static OnnxModel PlainCnn(params OnnxDim[] inputShape)
    {
        // Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm: a classifier with no residual adds.
        var m = new OnnxModel { IrVersion = 8, OpsetImports = [new OnnxOpset(null, 17)] };
        var g = m.Graph;
        g.Inputs.Add(new OnnxValueInfo("x", OnnxDataType.Float, inputShape));
        g.Outputs.Add(new OnnxValueInfo("y", OnnxDataType.Float, "N", 4));
        g.Initializers.Add(OnnxTensor.FromFloats("w", new long[] { 8, 3, 3, 3 }, new float[216]));
        g.Initializers.Add(OnnxTensor.FromFloats("fc", new long[] { 4, 8 }, new float[32]));
        g.Nodes.Add(new OnnxNode("Conv", "c", ["x", "w"], ["c"], OnnxAttribute.IntList("pads", 1, 1, 1, 1)));
        g.Nodes.Add(new OnnxNode("Relu", "r", ["c"], ["r"]));
        g.Nodes.Add(new OnnxNode("GlobalAveragePool", "p", ["r"], ["p"]));
        g.Nodes.Add(new OnnxNode("Flatten", "f", ["p"], ["f"]));
        g.Nodes.Add(new OnnxNode("Gemm", "fc", ["f", "fc"], ["y"], OnnxAttribute.Int("transB", 1)));
        return m;
    }

    [Test]
    public void PlainCnnIsUsableButNotAResNet()
    {
        var m = PlainCnn("N", 3, "H", "W");
        var info = ModelInspector.Inspect(m);
        Assert.That(info.ResNet, Is.Null);
        Assert.That(info.Classes, Is.EqualTo(4));
        Assert.That(info.InputSizeSource, Is.EqualTo(ValueSource.Default));
        Assert.That(info.InputHeight, Is.EqualTo(224));
        var ex = Assert.Throws<InvalidDataException>(() => info.RequireResNet());
        Assert.That(ex.Message, Does.Contain("'x'").And.Contain("not a ResNet"));
        // Metadata input size fills symbolic H/W; the plain model still runs in ORT with it.
        m.SetMetadata(MetadataKeys.InputSize, "40");
        info = ModelInspector.Inspect(m);
        Assert.That((info.InputHeight, info.InputWidth, info.InputSizeSource), Is.EqualTo((40, 40, ValueSource.Metadata)));
        var y = OrtTestRunner.Run(m.ToBytes(), "x", new float[3 * 40 * 40], [1, 3, 40, 40])["y"];
        Assert.That(y.Shape, Is.EqualTo(new long[] { 1, 4 }));
        // Taps on a non-ResNet: node outputs work, stage names explain there are none.
        var (tapped, names) = Taps.AddOutputs(m, ["r"]);
        Assert.That(names, Is.EqualTo(new[] { "r" }));
        var tex = Assert.Throws<ArgumentException>(() => Taps.AddOutputs(m, ["layer1"]));
        Assert.That(tex.Message, Does.Contain("not a ResNet"));
    }

    [Test]
    public void NonImageInputIsRejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(PlainCnn("N", 784)));
        Assert.That(ex.Message, Is.EqualTo("model input 'x' has shape [N,784]: expected an image tensor [N,C,H,W]"));
        var m = PlainCnn("N", 3, 8, 8);
        m.Graph.Inputs[0].Shape = null;
        ex = Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m));
        Assert.That(ex.Message, Does.Contain("'x'").And.Contain("no shape declared"));
        m = PlainCnn("N", 3, 8, 8);
        m.Graph.Inputs.Add(new OnnxValueInfo("mask", OnnxDataType.Float, 1));
        ex = Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m));
        Assert.That(ex.Message, Does.Contain("2 inputs").And.Contain("'mask'"));
        m = PlainCnn("N", 3, 8, 8);
        m.Graph.Inputs[0].ElemType = OnnxDataType.UInt8;
        ex = Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m));
        Assert.That(ex.Message, Does.Contain("UInt8"));
    }

    [Test]
    public void LabelsInEveryAcceptedForm()
    {
        var m = PlainCnn("N", 3, 8, 8);
        m.SetMetadata(MetadataKeys.Labels, "[\"a\",\"b\",\"c, d\",\"é\"]");
        Assert.That(ModelInspector.Inspect(m).Labels, Is.EqualTo(new[] { "a", "b", "c, d", "é" }));
        Assert.That(ModelInspector.Inspect(m).LabelFor(2), Is.EqualTo("c, d"));
        Assert.That(ModelInspector.Inspect(m).LabelFor(9), Is.EqualTo("class 9"));
        m.SetMetadata(MetadataKeys.Labels, null);
        m.SetMetadata("classes", "w\nx\ny\nz");
        Assert.That(ModelInspector.Inspect(m).Labels, Is.EqualTo(new[] { "w", "x", "y", "z" }));
        m.SetMetadata("classes", null);
        m.SetMetadata("labels", "{\"1\": \"one\", \"0\": \"zero\", \"3\": \"three\", \"2\": \"two\"}");
        Assert.That(ModelInspector.Inspect(m).Labels, Is.EqualTo(new[] { "zero", "one", "two", "three" }));
        m.SetMetadata("labels", "p, q ,r,s");
        Assert.That(ModelInspector.Inspect(m).Labels, Is.EqualTo(new[] { "p", "q", "r", "s" }));
        m.SetMetadata(MetadataKeys.Labels, "[\"only\",\"three\",\"names\"]");
        var ex = Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m));
        Assert.That(ex.Message, Is.EqualTo("model metadata rr.labels has 3 names but the model outputs 4 classes"));
        m.SetMetadata(MetadataKeys.Labels, "[\"unterminated");
        ex = Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m));
        Assert.That(ex.Message, Does.StartWith("model metadata rr.labels is not a JSON array of strings"));
    }

    [Test]
    public void MeanStdAndInputSizeMetadata()
    {
        var m = PlainCnn("N", 3, "H", "W");
        m.SetMetadata(MetadataKeys.Mean, "0.5,0.25,0.125");
        m.SetMetadata(MetadataKeys.Std, "0.5");
        var info = ModelInspector.Inspect(m);
        Assert.That(info.Mean, Is.EqualTo(new[] { 0.5f, 0.25f, 0.125f }));
        Assert.That(info.Std, Is.EqualTo(new[] { 0.5f, 0.5f, 0.5f }));
        Assert.That(info.NormalizationSource, Is.EqualTo(ValueSource.Metadata));
        m.SetMetadata(MetadataKeys.Std, "0.5,0,1");
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m)).Message, Does.Contain("rr.std").And.Contain("'0'"));
        m.SetMetadata(MetadataKeys.Std, "0.5,0.5");
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m)).Message, Does.Contain("2 values").And.Contain("3 channels"));
        m.SetMetadata(MetadataKeys.Std, null);
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m)).Message, Does.Contain("give both or neither"));
        m.SetMetadata(MetadataKeys.Mean, null);
        m.SetMetadata(MetadataKeys.InputSize, "big");
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelInspector.Inspect(m)).Message, Does.Contain("rr.input_size = 'big'"));
    }

    [Test]
    public void GrayscaleBuilderModelGetsPerChannelDefaults()
    {
        var m = Skeleton(ResNetSpec.FromName("resnet20", 10, inChannels: 1));
        m.SetMetadata(MetadataKeys.Mean, null);
        m.SetMetadata(MetadataKeys.Std, null);
        var info = ModelInspector.Inspect(m);
        Assert.That(info.Channels, Is.EqualTo(1));
        // The one default for non-RGB input, the same the CPU preprocessor and the gl backend apply.
        Assert.That(info.NormalizationSource, Is.EqualTo(ValueSource.Default));
        Assert.That(info.Mean, Is.EqualTo(new[] { 0.5f }));
        Assert.That(info.Std, Is.EqualTo(new[] { 0.5f }));
        Assert.That(new ResNetRealtime.Runtime.Imaging.Preprocessor(1, 8, 8).Mean.ToArray(), Is.EqualTo(info.Mean));
    }

    [Test]
    public void UnknownTapListsStagesAndExamples()
    {
        var m = Skeleton(ResNetSpec.FromName("resnet18", 10));
        var ex = Assert.Throws<ArgumentException>(() => Taps.AddOutputs(m, ["layer5"]));
        Assert.That(ex.Message, Does.Contain("'layer5'").And.Contain("stem, layer1, layer2, layer3, layer4, pool"));
        ex = Assert.Throws<ArgumentException>(() => Taps.AddOutputs(m, ["relu1"]));
        Assert.That(ex.Message, Does.Contain("layer1.0.relu1"));
        Assert.Throws<ArgumentException>(() => Taps.AddOutputs(m, [""]));
        // Any node output by exact name works, and duplicates / existing outputs are not added twice.
        var (t, names) = Taps.AddOutputs(m, ["layer2.0.conv1", "layer2", "layer2", "logits"]);
        Assert.That(names, Is.EqualTo(new[] { "layer2.0.conv1", "layer2", "layer2", "logits" }));
        Assert.That(t.Graph.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "logits", "layer2.0.conv1", "layer2" }));
        Assert.That(m.Graph.Outputs, Has.Count.EqualTo(1));
    }

    [Test]
    public void TapsOnBuilderModelRunInOrt()
    {
        var spec = ResNetSpec.FromName("resnet18", numClasses: 3, inputSize: 61);
        var model = ResNetOnnxBuilder.Build(spec, new ResNetBuildOptions { Seed = 5, PerturbBatchNorm = true });
        var (tapped, names) = Taps.AddOutputs(model, ["stem", "layer1", "layer2", "layer3", "layer4", "pool"]);
        var outs = OrtTestRunner.Run(OnnxModel.Parse(tapped.ToBytes()).ToBytes(), "input", ResNetOnnxBuilderTests.RandomInput(2 * 3 * 61 * 61, 1), [2, 3, 61, 61], ["logits", .. names]);
        // 61 -> conv/2 31 -> pool/2 16 -> 16, 8, 4, 2.
        Assert.That(outs["stem"].Shape, Is.EqualTo(new long[] { 2, 64, 16, 16 }));
        Assert.That(outs["layer1"].Shape, Is.EqualTo(new long[] { 2, 64, 16, 16 }));
        Assert.That(outs["layer2"].Shape, Is.EqualTo(new long[] { 2, 128, 8, 8 }));
        Assert.That(outs["layer3"].Shape, Is.EqualTo(new long[] { 2, 256, 4, 4 }));
        Assert.That(outs["layer4"].Shape, Is.EqualTo(new long[] { 2, 512, 2, 2 }));
        Assert.That(outs["avgpool"].Shape, Is.EqualTo(new long[] { 2, 512, 1, 1 }));
        Assert.That(outs["layer4"].Data.Min(), Is.GreaterThanOrEqualTo(0f), "stage outputs are after the block's ReLU");
        // pool is the mean of layer4 over H,W (checks the tap is the tensor it claims to be).
        var l4 = outs["layer4"].Data; var pool = outs["avgpool"].Data;
        // Tolerance: a float32 mean of 4 values summed in another order differs by a few ulps.
        for (int c = 0; c < 512 * 2; c++)
        {
            float mean = (l4[c * 4] + l4[c * 4 + 1] + l4[c * 4 + 2] + l4[c * 4 + 3]) / 4;
            Assert.That(pool[c], Is.EqualTo(mean).Within(1e-6f + 1e-6f * Math.Abs(mean)), $"channel {c}");
        }
    }
}
