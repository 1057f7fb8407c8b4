using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Tests.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>The quantizer's graph passes, metadata and refusals.</summary>
[TestFixture]
public class QuantizerTests
{
    static readonly List<CalibrationBatch> Calib32 = QuantTestData.Gaussian(6, 3, 32, 32, seed: 9, perBatch: 4);

    [Test]
    public void FoldingBatchNormKeepsTheOutputs()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        var (folded, n) = BatchNormFolder.Fold(model);
        Assert.That(n, Is.EqualTo(model.Graph.Nodes.Count(x => x.OpType == "BatchNormalization")));
        Assert.That(folded.Graph.Nodes.Count(x => x.OpType == "BatchNormalization"), Is.EqualTo(0));
        Assert.That(model.Graph.Nodes.Count(x => x.OpType == "BatchNormalization"), Is.EqualTo(n), "the input model is not modified");
        var x = Calib32[0].Data.AsSpan(0, 2 * 3 * 32 * 32).ToArray();
        var a = OrtTestRunner.Run(model.ToBytes(), "input", x, [2, 3, 32, 32], "logits")["logits"].Data;
        var b = OrtTestRunner.Run(folded.ToBytes(), "input", x, [2, 3, 32, 32], "logits")["logits"].Data;
        // Folding reorders float arithmetic only: 1e-4 relative to the logits' scale.
        float scale = a.Max(Math.Abs);
        for (int i = 0; i < a.Length; i++) Assert.That(b[i], Is.EqualTo(a[i]).Within(1e-4f * scale), $"logit {i}");
    }

    [Test]
    public void QuantizedModelKeepsMetadataAndAddsPrecisionAndRecipe()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        model.SetMetadata(MetadataKeys.Labels, MetadataKeys.FormatLabels(Enumerable.Range(0, 10).Select(i => $"c{i}")));
        model.SetMetadata("rr.custom", "kept");
        var r = Int8Quantizer.Quantize(model, Calib32, new QuantizeOptions { Method = CalibrationMethod.Entropy, Samples = 5, DataDescription = "gaussian:test" });
        foreach (var kv in model.MetadataProps) Assert.That(r.Model.GetMetadata(kv.Key), Is.EqualTo(kv.Value), kv.Key);
        Assert.That(r.Model.GetMetadata("rr.precision"), Is.EqualTo("int8"));
        var recipe = JsonDocument.Parse(r.Model.GetMetadata("rr.calibration")).RootElement;
        Assert.That(recipe.GetProperty("method").GetString(), Is.EqualTo("entropy"));
        Assert.That(recipe.GetProperty("samples").GetInt32(), Is.EqualTo(5));
        Assert.That(recipe.GetProperty("data").GetString(), Is.EqualTo("gaussian:test"));
        Assert.That(r.SamplesUsed, Is.EqualTo(5), "--samples caps the images read");
        Assert.That(model.GetMetadata("rr.precision"), Is.Null, "the input model is not modified");
        // The saved file reads back through the project's inspector like the float one.
        var back = OnnxModel.Parse(r.Model.ToBytes());
        var info = ModelInspector.Inspect(back);
        Assert.That(info.Labels, Has.Length.EqualTo(10));
        Assert.That(info.Channels, Is.EqualTo(3));
    }

    [Test]
    public void Int8LogitsFollowFloat32OnARandomResNet()
    {
        // Random weights, Gaussian inputs: a sanity bound, not an accuracy claim (SceneAccuracyTests is that).
        var model = QuantTestData.ResNet("resnet20", 32);
        var r = Int8Quantizer.Quantize(model, Calib32, new QuantizeOptions { Method = CalibrationMethod.MinMax });
        var x = QuantTestData.Gaussian(2, 3, 32, 32, seed: 77)[0].Data;
        var f = OrtTestRunner.Run(model.ToBytes(), "input", x, [2, 3, 32, 32], "logits")["logits"].Data;
        var q = OrtTestRunner.Run(r.Model.ToBytes(), "input", x, [2, 3, 32, 32], "logits")["logits"].Data;
        double dot = 0, nf = 0, nq = 0;
        for (int i = 0; i < f.Length; i++) { dot += f[i] * q[i]; nf += f[i] * f[i]; nq += q[i] * q[i]; }
        double cos = dot / Math.Sqrt(nf * nq);
        TestContext.Out.WriteLine($"cosine(int8 logits, float32 logits) = {cos:F4}");
        Assert.That(cos, Is.GreaterThan(0.95));
    }

    [Test]
    public void OpsTheQuantizerDoesNotKnowStayFloatAndAreReported()
    {
        // A Sigmoid gate inside the first block and a Softmax after the logits.
        var model = QuantTestData.ResNet("resnet20", 32);
        var g = model.Graph;
        int relu = g.Nodes.FindIndex(n => n.Name == "layer1.0.relu1");
        var reluNode = g.Nodes[relu];
        g.Nodes.Insert(relu + 1, new OnnxNode("Sigmoid", "gate", [reluNode.Outputs[0]], ["gated"]));
        g.Nodes.Single(n => n.Name == "layer1.0.conv2").Inputs[0] = "gated";
        g.Nodes.Add(new OnnxNode("Softmax", "softmax", ["logits"], ["probs"], OnnxAttribute.Int("axis", 1)));
        g.Outputs[0] = new OnnxValueInfo("probs", OnnxDataType.Float, "N", 10);
        var r = Int8Quantizer.Quantize(model, Calib32);
        Assert.That(r.UnknownFloatOps, Is.EquivalentTo(new Dictionary<string, int> { ["Sigmoid"] = 1, ["Softmax"] = 1 }));
        Assert.That(r.FloatHeadOps.Keys, Is.EquivalentTo(new[] { "GlobalAveragePool", "Flatten", "Gemm" }));
        // The convs around the float op are still int8 kernels, and the model still runs.
        var f = FusionCheck.Analyze(r.Model.ToBytes());
        Assert.That(f.Int8Convs, Is.EqualTo(g.Nodes.Count(n => n.OpType == "Conv")), f.ToString());
        var y = OrtTestRunner.Run(r.Model.ToBytes(), "input", Calib32[0].Data, [4, 3, 32, 32], "probs")["probs"].Data;
        Assert.That(y.Take(10).Sum(), Is.EqualTo(1f).Within(1e-4f));
    }

    [Test]
    public void Int8HeadIsAnOption()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        var r = Int8Quantizer.Quantize(model, Calib32, new QuantizeOptions { QuantizeHead = true });
        Assert.That(r.FloatHeadOps, Is.Empty);
        var f = FusionCheck.Analyze(r.Model.ToBytes());
        TestContext.Out.WriteLine($"int8 head: {f}; {string.Join(", ", f.Ops.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Assert.That(f.Count("QLinearGlobalAveragePool") + f.Count("QGemm") + f.Count("MatMulIntegerToFloat"), Is.GreaterThan(0), f.ToString());
        Assert.That(JsonDocument.Parse(r.Model.GetMetadata("rr.calibration")).RootElement.GetProperty("head").GetString(), Is.EqualTo("int8"));
    }

    [Test]
    public void AnOpset11ModelIsRaisedTo13AndStillFuses()
    {
        var model = ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet20", 10, 3, 32), new ResNetBuildOptions { Seed = 2, Opset = 11 });
        var r = Int8Quantizer.Quantize(model, Calib32);
        Assert.That(r.Model.DefaultOpsetVersion, Is.EqualTo(13));
        Assert.That(model.DefaultOpsetVersion, Is.EqualTo(11), "the input model is not modified");
        Assert.That(FusionCheck.Analyze(r.Model.ToBytes()).Int8Convs, Is.EqualTo(21));
        // An op whose meaning changed at 13 blocks the raise with a line that says so.
        model.Graph.Nodes.Add(new OnnxNode("Unsqueeze", "u", ["logits"], ["u"], OnnxAttribute.IntList("axes", 2)));
        model.Graph.Outputs[0] = new OnnxValueInfo("u", OnnxDataType.Float, null);
        Assert.That(() => Int8Quantizer.Quantize(model, Calib32), Throws.TypeOf<NotSupportedException>().With.Message.Contains("Unsqueeze").And.Message.Contains("opset 11"));
    }

    [Test]
    public void EmptyCalibrationSetIsRefused()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        Assert.That(() => Int8Quantizer.Quantize(model, []), Throws.ArgumentException.With.Message.Contains("calibration set is empty"));
        Assert.That(() => Int8Quantizer.Quantize(model, [new CalibrationBatch([], 0, 3, 32, 32)]), Throws.ArgumentException.With.Message.Contains("empty"));
    }

    [Test]
    public void CalibrationImagesThatDoNotFitTheModelAreRefusedWithBothShapes()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        Assert.That(() => Int8Quantizer.Quantize(model, QuantTestData.Gaussian(2, 1, 32, 32, 1)),
            Throws.ArgumentException.With.Message.Contains("1x32x32").And.Message.Contains("3x32x32"));
        Assert.That(() => Int8Quantizer.Quantize(model, QuantTestData.Gaussian(2, 3, 28, 28, 1)),
            Throws.ArgumentException.With.Message.Contains("3x28x28").And.Message.Contains("3x32x32"));
        Assert.That(() => Int8Quantizer.Quantize(model, [new CalibrationBatch(new float[10], 2, 3, 32, 32)]),
            Throws.ArgumentException.With.Message.Contains("10 values for 2 images"));
    }

    [Test]
    public void AQuantizedModelIsNotQuantizedAgain()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        var r = Int8Quantizer.Quantize(model, Calib32);
        Assert.That(Int8Quantizer.IsQuantized(r.Model), Is.True);
        Assert.That(() => Int8Quantizer.Quantize(r.Model, Calib32),
            Throws.InvalidOperationException.With.Message.Contains("already quantized").And.Message.Contains("rr.precision=int8").And.Message.Contains("QuantizeLinear"));
        // Recognised by its ops alone too (a model quantized by another tool).
        r.Model.SetMetadata("rr.precision", null);
        Assert.That(() => Int8Quantizer.Quantize(r.Model, Calib32), Throws.InvalidOperationException.With.Message.Contains("DequantizeLinear"));
    }

    [Test]
    public void ZeroSamplesIsRefused()
    {
        var model = QuantTestData.ResNet("resnet20", 32);
        Assert.That(() => Int8Quantizer.Quantize(model, Calib32, new QuantizeOptions { Samples = 0 }),
            Throws.ArgumentException.With.Message.Contains("samples must be >= 1 (got 0)"));
    }
}
