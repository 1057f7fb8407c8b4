using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>Issue 12: one graph validation, shared by ORT (BackendFactory) and gl (GlNetworkBuilder), same messages.</summary>
public class GraphValidatorTests
{
    static OnnxModel Plain() => TestModels.PlainCnn(size: 16, classes: 5, seed: 3);
    static OnnxNode Conv(OnnxModel m) => m.Graph.Nodes.First(n => n.OpType == "Conv");
    static OnnxTensor Init(OnnxModel m, string name) => m.Graph.Initializers.First(t => t.Name == name);

    static void Replace(OnnxModel m, string name, OnnxTensor t)
    {
        int i = m.Graph.Initializers.FindIndex(x => x.Name == name);
        m.Graph.Initializers[i] = t;
    }

    /// <summary>Both backends refuse with the validator's message (gl needs no GL context to build its network).</summary>
    internal static void BothRefuse(OnnxModel m, params string[] contains)
    {
        var eo = Assert.Throws<InvalidDataException>(() => BackendFactory.Create(Backend.OrtCpu, m).Dispose());
        var eg = Assert.Throws<InvalidDataException>(() => GlNetworkBuilder.Build(m));
        Assert.That(eg.Message, Is.EqualTo(eo.Message));
        Assert.That(eo.Message, Does.Not.Contain("\n"));
        Assert.That(eo.Message.Length, Is.LessThan(200), eo.Message);
        foreach (var c in contains) Assert.That(eo.Message, Does.Contain(c));
    }

    [Test]
    public void ValidModelPasses() => Assert.DoesNotThrow(() => GraphValidator.Validate(Plain()));

    [Test]
    public void KernelShapeDisagreeingWithWeightIsRefused()
    {
        var m = Plain();
        var rnd = new Random(1);
        Replace(m, "conv1.weight", OnnxTensor.FromFloats("conv1.weight", new[] { 4, 3, 5, 5 }, Enumerable.Range(0, 300).Select(_ => (float)rnd.NextDouble()).ToArray()));
        BothRefuse(m, "node 'conv1' (Conv)", "kernel_shape [3,3]", "[4,3,5,5]");
    }

    [TestCase("strides", new long[] { 0, 0 }, "strides [0,0]")]
    [TestCase("dilations", new long[] { 1, -1 }, "dilations [1,-1]")]
    [TestCase("pads", new long[] { 1, -1, 1, 1 }, "pads [1,-1,1,1]")]
    [TestCase("strides", new long[] { 1 }, "1 values; 2 expected")]
    public void OutOfRangeWindowAttributesAreRefused(string attr, long[] value, string shown)
    {
        var m = Plain();
        Conv(m).SetAttribute(OnnxAttribute.IntList(attr, value));
        BothRefuse(m, "conv1", shown);
    }

    [Test]
    public void GroupThatDoesNotDivideIsRefused()
    {
        var m = Plain();
        Conv(m).SetAttribute(OnnxAttribute.Int("group", 3));
        BothRefuse(m, "group 3");
    }

    [TestCase(float.NaN, "is NaN")]
    [TestCase(float.PositiveInfinity, "is Infinity")]
    public void NonFiniteWeightIsCaughtAtLoadNamingTheInitializer(float bad, string shown)
    {
        var m = Plain();
        var w = Init(m, "conv1.weight").ToFloatArray();
        w[50] = bad;
        Replace(m, "conv1.weight", OnnxTensor.FromFloats("conv1.weight", new[] { 4, 3, 3, 3 }, w));
        BothRefuse(m, "initializer 'conv1.weight' element 50 of 108", shown);
    }

    [Test]
    public void HugeWeightIsCaughtAtLoad()
    {
        var m = Plain();
        var w = Init(m, "fc.weight").ToFloatArray();
        w[3] = 1e22f;
        Replace(m, "fc.weight", OnnxTensor.FromFloats("fc.weight", new[] { 5, 4 }, w));
        BothRefuse(m, "'fc.weight' element 3 is 1E+22", "beyond ±1E+10");
    }

    [Test]
    public void UnknownDataTypeAndOpsetAreOneShortLine()
    {
        var m = Plain();
        Init(m, "fc.bias").DataType = (OnnxDataType)99;
        BothRefuse(m, "initializer 'fc.bias' has data_type 99");
        m = Plain();
        m.OpsetImports[0].Version = 1000;
        BothRefuse(m, "opset ai.onnx:1000");
    }

    [Test]
    public void GemmBiasOfTheWrongSizeIsRefused()
    {
        var m = Plain();
        Replace(m, "fc.bias", OnnxTensor.FromFloats("fc.bias", new[] { 3 }, new float[3]));
        BothRefuse(m, "node 'fc' (Gemm)", "5 (or 1) elements");
    }
}
