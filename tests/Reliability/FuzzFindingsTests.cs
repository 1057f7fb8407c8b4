using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Inference;
using ResNetRealtime.Tools.Models;

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
        GraphValidatorTests.BothRefuse(m, "its domain 'ai.onnx' is not imported", "com.microsoft:13");
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
        var eo = Assert.Throws<InvalidDataException>(() => BackendFactory.Create(Backend.OrtCpu, m).Dispose());
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

    /// <summary>Seed-2 cases 60, 163, 873 (a duplicated node, a flipped byte in a node name), 14 (opset 6), 117 (ir_version 21),
    /// 1145 (a node's domain not imported), 862 (a spliced model importing ai.onnx twice): ORT refused, gl built.</summary>
    [TestCase("duplicate-output", "'conv1' is defined twice")]
    [TestCase("duplicate-name", "two nodes are named 'relu1'")]
    [TestCase("opset6", "opset ai.onnx:6", "(7..25)")]
    [TestCase("ir21", "ir_version 21", "(3..13)")]
    [TestCase("domain", "domain 'relu' is not imported")]
    [TestCase("import-twice", "opset domain ai.onnx:13 is imported twice")]
    public void ModelsOrtRefusesAreRefusedByBoth(string what, params string[] shown)
    {
        var m = Plain();
        var g = m.Graph;
        switch (what)
        {
            case "duplicate-output": g.Nodes.Insert(0, new OnnxNode("Conv", "conv1b", g.Nodes[0].Inputs, g.Nodes[0].Outputs, [.. g.Nodes[0].Attributes])); break;
            case "duplicate-name": g.Nodes[2].Name = "relu1"; break;
            case "opset6": m.OpsetImports[0].Version = 6; break;
            case "ir21": m.IrVersion = 21; break;
            case "domain": g.Nodes[1].Domain = "relu"; break;
            case "import-twice": m.OpsetImports.Add(new OnnxOpset("", 13)); break;
        }
        GraphValidatorTests.BothRefuse(m, shown);
    }

    /// <summary>Seed-2 cases 373 and 509: an initializer claiming 2^62 elements over no bytes made ToFloatArray's n·4 wrap to 0,
    /// so the byte count "matched" and new float[2^62] threw OverflowException from inside the validator.</summary>
    [Test]
    public void InitializerClaiming2To62ElementsIsACleanError()
    {
        var m = Plain();
        var t = m.Graph.FindInitializer("fc.bias");
        t.Dims = [1L << 62]; t.RawData = [];
        GraphValidatorTests.BothRefuse(m, "'fc.bias': dims [4611686018427387904] claim 4611686018427387904 elements");
    }

    /// <summary>Seed-2 cases 544, 584: an initializer whose name field a flipped byte removed gave ArgumentNullException;
    /// case 69: a newline in an op_type broke gl's one-line message.</summary>
    [Test]
    public void UnnamedInitializerAndControlCharactersAreCleanOneLineErrors()
    {
        var m = Plain();
        m.Graph.Initializers[0].Name = null;
        GraphValidatorTests.BothRefuse(m, "initializer has no name");
        m = Plain();
        m.Graph.Nodes[1].OpType = "Re\nlu";
        GraphValidatorTests.BothRefuse(m, "op_type 'Re?lu' contains control character U+000A");
    }

    /// <summary>Seed-2 cases 2043, 2249: a 32×1048576 input gave gl logits off by 0.9 of their scale (and the long run's
    /// one hang, a 60 s case); case 2263: a fixed batch of 0 ran on gl and failed on ORT.</summary>
    [TestCase(1L << 20, "every fixed dimension must be in [1, 65536]")]
    [TestCase(0L, "every fixed dimension must be in [1, 65536]")]
    public void OutOfRangeInputDimensionsAreRefusedByBoth(long d, string shown)
    {
        var m = Plain();
        var input = m.Graph.Inputs[0];
        input.Shape[d == 0 ? 0 : 3] = d;
        GraphValidatorTests.BothRefuse(m, "input 'input' has shape", shown);
    }

    [Test]
    public void InputOverTwoTo26ValuesPerImageIsRefused()
    {
        var m = Plain();
        m.Graph.Inputs[0].Shape[2] = 8192; m.Graph.Inputs[0].Shape[3] = 8192;
        GraphValidatorTests.BothRefuse(m, "201326592 values per image, over 67108864");
    }

    /// <summary>Seed-3 cases: transB = 2^40 (gl: transposed; ORT: a shape error), a flipped byte declaring the logits int32,
    /// a MaxPool pad as large as its window (ORT's pool_attributes check), and a graph output whose name a flip removed
    /// (gl: ArgumentNullException from a dictionary).</summary>
    [TestCase("transB", "transB = 1099511627776; 0 or 1 expected")]
    [TestCase("int32-output", "graph output 'logits' is declared Int32; float32 is expected")]
    [TestCase("pool-pad", "must each be smaller than kernel_shape [3,3]")]
    [TestCase("unnamed-output", "a graph output has no name")]
    public void SeedThreeFindingsAreRefusedByBoth(string what, string shown)
    {
        var m = what == "pool-pad" ? ResNetOnnxBuilder.Build(new ResNetSpec { Name = "tiny", Layers = [1, 1], StageWidths = [4, 8], NumClasses = 6, InputSize = 32 }, seed: 2) : Plain();
        switch (what)
        {
            case "transB": Node(m, "Gemm").SetAttribute(OnnxAttribute.Int("transB", 1L << 40)); break;
            case "int32-output": m.Graph.Outputs[0].ElemType = OnnxDataType.Int32; break;
            case "pool-pad": Node(m, "MaxPool").SetAttribute(OnnxAttribute.IntList("pads", 3, 1, 1, 1)); break;
            case "unnamed-output": m.Graph.Outputs[0].Name = null; break;
        }
        GraphValidatorTests.BothRefuse(m, shown);
    }

    /// <summary>Seed-3 cases 258, 10669: from a stream that cannot say its length (a pipe), a 3 KB .npy whose header claimed
    /// a 700 KB header or 8 MB of data made Npy.Read allocate all of it before finding the stream short.</summary>
    [Test]
    public void NpyFromAPipeAllocatesOnlyWhatArrives()
    {
        var header = System.Text.Encoding.Latin1.GetBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 16), }".PadRight(117) + "\n");
        byte[] file = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0, .. header, .. new byte[3072]];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ResNetRealtime.Runtime.Tensors.Npy.Read(new ResNetRealtime.Tests.Fuzz.NonSeekableStream(file), "pipe.npy"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(e.Message, Does.Contain("pipe.npy: truncated data"));
        Assert.That(allocated, Is.LessThan(1 << 20), "bytes allocated for a 3 KB stream claiming 8 MB");
    }

    /// <summary>Seed-4 case 10338: a header byte flipped to a newline inside "shape" made Npy's error echo a two-line header.</summary>
    [Test]
    public void NpyHeaderWithANewlineIsAOneLineError()
    {
        var header = System.Text.Encoding.Latin1.GetBytes("{'descr': '<f4', 'fortran_order': False, 's\nape': (1, 3, 4, 4), }".PadRight(117) + "\n");
        byte[] file = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0, .. header, .. new byte[192]];
        var e = Assert.Throws<InvalidDataException>(() => ResNetRealtime.Runtime.Tensors.Npy.Read(new MemoryStream(file), "nl.npy"));
        Assert.That(e.Message, Does.Contain("nl.npy: .npy header has no 'shape'").And.Contain("'s?ape'").And.Not.Contain("\n"));
    }
}
