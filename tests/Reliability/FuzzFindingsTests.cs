using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>
/// What the fuzz harness (tests/Fuzz) found, one test per defect, each failing on the code before its fix.
/// The case that found it is named in each summary (seed 1 unless said).
/// </summary>
public class FuzzFindingsTests
{
    static OnnxModel Plain() => TestModels.PlainCnn(size: 16, classes: 5, seed: 3);
    static OnnxModel TinyResNet() => ResNetOnnxBuilder.Build(
        new ResNetSpec { Name = "tiny", Cifar = true, Layers = [1, 1], StageWidths = [4, 8], NumClasses = 5, InputSize = 16 }, seed: 1);
    static OnnxNode Node(OnnxModel m, string op) => m.Graph.Nodes.First(n => n.OpType == op);

    /// <summary>Case 7: ORT took √ of a negative running variance (NaN logits) while gl folded it into finite wrong ones.</summary>
    [Test]
    public void NegativeBatchNormVarianceIsRefusedByBoth()
    {
        var m = TinyResNet();
        var bn = Node(m, "BatchNormalization");
        var v = m.Graph.FindInitializer(bn.Inputs[4]);
        var data = v.ToFloatArray();
        data[2] = -8.3f;
        v.RawData = null; v.FloatData = data;
        GraphValidatorTests.BothRefuse(m, $"variance '{v.Name}' element 2 is -8.3", "var + epsilon must be > 0");
    }

    /// <summary>Case 14: a stride of 2^40 passed the ≥ 1 check, then gl truncated it to int 0 and divided by it.</summary>
    [Test]
    public void HugeStrideIsRefusedNotDividedByZero()
    {
        var m = Plain();
        Node(m, "Conv").SetAttribute(OnnxAttribute.IntList("strides", 2, 1L << 40));
        GraphValidatorTests.BothRefuse(m, "strides [2,1099511627776]", $"[1, {GraphValidator.MaxWindow}]");
    }

    /// <summary>Case 30: a Relu turned Add (one input) threw ArgumentOutOfRangeException from inside the gl builder;
    /// case 63: an Add turned Relu (two inputs) was built by gl, which ignored the second input, while ORT refused it.</summary>
    [TestCase("Relu", "Add", "has 1 inputs [conv1]; Add takes 2")]
    [TestCase("Add", "Relu", "has 2 inputs")]
    public void WrongInputCountIsRefusedByBoth(string from, string to, string shown)
    {
        var m = from == "Relu" ? Plain() : TinyResNet();
        var n = Node(m, from);
        n.OpType = to;
        GraphValidatorTests.BothRefuse(m, $"node '{n.Name}' ({to})", shown);
    }

    /// <summary>Case 54: with the only opset import renamed to com.microsoft, ORT refused with a C++ signature and gl built the model.</summary>
    [Test]
    public void ModelWithoutAnAiOnnxOpsetIsRefusedByBoth()
    {
        var m = Plain();
        m.OpsetImports[0].Domain = "com.microsoft";
        GraphValidatorTests.BothRefuse(m, "imports no ai.onnx opset", "com.microsoft:13");
    }

    /// <summary>Cases 2 and 72: a flipped byte in rr.std, or a model with rr.mean but no rr.std, was refused by ort-cpu
    /// (ModelInspector) but run by gl with ImageNet's numbers, because gl had its own lenient metadata parser.</summary>
    [TestCase("0.5,0.5Y,0.5", "is not a positive number")]
    [TestCase(null, "give both or neither")]
    public void CorruptNormalisationMetadataIsRefusedByGlAsByOrt(string std, string shown)
    {
        var m = Plain();
        m.SetMetadata(MetadataKeys.Mean, "0.5,0.5,0.5");
        m.SetMetadata(MetadataKeys.Std, std);
        var eo = Assert.Throws<InvalidDataException>(() => BackendFactory.Create("ort-cpu", m).Dispose());
        // gl refuses while reading the model, before it needs a GL context.
        var eg = Assert.Throws<InvalidDataException>(() => GlBackendFactory.Create(m, new BackendOptions()).Dispose());
        Assert.That(eg.Message, Is.EqualTo(eo.Message).And.Contain(shown));
    }

    /// <summary>Seed-1 cases 63, 153 and 167: a Flatten turned Relu (keeping axis), and BatchNormalization's momentum as
    /// FLOATS or STRING, were refused by ORT's schema check and built by gl.</summary>
    [Test]
    public void AttributesOutsideTheOpsSchemaAreRefusedByBoth()
    {
        var m = Plain();
        Node(m, "Flatten").OpType = "Relu";
        GraphValidatorTests.BothRefuse(m, "node 'flatten' (Relu): unknown attribute 'axis'");
        m = TinyResNet();
        var bn = Node(m, "BatchNormalization");
        bn.SetAttribute(OnnxAttribute.String("momentum", "3"));
        GraphValidatorTests.BothRefuse(m, $"node '{bn.Name}' (BatchNormalization): attribute 'momentum' is String; Float expected");
    }
}
