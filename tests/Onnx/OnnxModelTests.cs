// Round-trip and bad-input tests for the ONNX reader/writer (runtime/Onnx).
using Google.Protobuf;
using NUnit.Framework;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Onnx;

public class OnnxModelTests
{
    /// <summary>A model that uses every modelled field and every encoding, plus unmodelled fields.</summary>
    internal static OnnxModel KitchenSink()
    {
        var m = new OnnxModel
        {
            IrVersion = 8, ProducerName = "rr-tests", ProducerVersion = "1.0", Domain = "org.test", ModelVersion = 42,
            DocString = "kitchen sink ünïcödé",
            OpsetImports = [new OnnxOpset("", 17), new OnnxOpset("com.microsoft", 1)],
        };
        m.SetMetadata("rr.labels", "[\"a\",\"b\"]");
        m.SetMetadata("empty", "");
        var g = m.Graph;
        g.Name = "g"; g.DocString = "graph doc";
        g.Inputs.Add(new OnnxValueInfo("input", OnnxDataType.Float, "N", 3, 7, 13));
        g.Outputs.Add(new OnnxValueInfo("out", OnnxDataType.Float, "N", 3, 7, 13));
        g.ValueInfo.Add(new OnnxValueInfo { Name = "unknown_rank", ElemType = OnnxDataType.Float, HasTensorType = true });
        g.ValueInfo.Add(new OnnxValueInfo("scalar", OnnxDataType.Int64));
        g.ValueInfo.Add(new OnnxValueInfo("anon_dim", OnnxDataType.Float, new OnnxDim(), 5) { DocString = "vi doc" });
        g.Initializers.Add(OnnxTensor.FromFloats("w_raw", new long[] { 2, 3 }, [1, -2.5f, 3, float.MaxValue, float.Epsilon, -0f]));
        g.Initializers.Add(OnnxTensor.FromInt64s("shape_raw", new long[] { 2 }, [long.MinValue, -1]));
        g.Initializers.Add(new OnnxTensor { Name = "f_typed", Dims = [3], DataType = OnnxDataType.Float, FloatData = [0.5f, float.NaN, -7], DocString = "t doc" });
        g.Initializers.Add(new OnnxTensor { Name = "i32", Dims = [2], DataType = OnnxDataType.Int32, Int32Data = [int.MinValue, 7] });
        g.Initializers.Add(new OnnxTensor { Name = "i64", Dims = [3], DataType = OnnxDataType.Int64, Int64Data = [1, -1, long.MaxValue] });
        g.Initializers.Add(new OnnxTensor { Name = "d", Dims = [1], DataType = OnnxDataType.Double, DoubleData = [Math.PI] });
        g.Initializers.Add(new OnnxTensor { Name = "u64", Dims = [1], DataType = OnnxDataType.UInt64, UInt64Data = [ulong.MaxValue] });
        g.Initializers.Add(new OnnxTensor { Name = "s", Dims = [2], DataType = OnnxDataType.String, StringData = [[0x41, 0x00, 0xff], []] });
        g.Initializers.Add(new OnnxTensor { Name = "scalar_empty", Dims = [0], DataType = OnnxDataType.Float, RawData = [] });
        var node = new OnnxNode("Identity", "id0", ["input"], ["out"],
            OnnxAttribute.Float("f", -1.25f),
            OnnxAttribute.Int("i", -9_000_000_000),
            OnnxAttribute.String("s", "héllo"),
            OnnxAttribute.Tensor("t", OnnxTensor.FromFloats("tt", new long[] { 1 }, [3f])),
            OnnxAttribute.FloatList("floats", 1, 2, -3),
            OnnxAttribute.IntList("ints", 0, -1, long.MaxValue),
            OnnxAttribute.StringList("strings", "x", "", "z"),
            OnnxAttribute.TensorList("tensors", OnnxTensor.FromInt64s("a", new long[] { 1 }, [5]), OnnxTensor.FromFloats("b", new long[] { 0 }, [])),
            OnnxAttribute.IntList("empty_ints"))
        { Domain = "", DocString = "node doc" };
        // A graph-valued attribute (not modelled): kept as raw bytes; must survive.
        var graphAttr = new OnnxAttribute { Name = "body", Type = OnnxAttributeType.Graph, Unknown = new UnknownFields() };
        graphAttr.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(6, WireFormat.WireType.LengthDelimited), 0, [0x12, 0x03, (byte)'s', (byte)'u', (byte)'b']));
        node.Attributes.Add(graphAttr);
        g.Nodes.Add(node);
        // Unmodelled model-level fields of each wire type (e.g. from a newer ONNX).
        m.Unknown = new UnknownFields();
        m.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(99, WireFormat.WireType.Varint), 12345, null));
        m.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(98, WireFormat.WireType.Fixed32), 0xdeadbeef, null));
        m.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(97, WireFormat.WireType.Fixed64), 0x0123456789abcdef, null));
        m.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(96, WireFormat.WireType.LengthDelimited), 0, [1, 2, 3]));
        return m;
    }

    [Test]
    public void RoundTripKeepsEveryModelledField()
    {
        var m = KitchenSink();
        byte[] bytes = m.ToBytes();
        Assert.That(bytes.LongLength, Is.EqualTo(m.CalculateSize()));
        var back = OnnxModel.Parse(bytes, "sink.onnx");
        OnnxAssert.ModelsEqual(back, m);
        // Writing what we read gives the same bytes: nothing is reordered or dropped.
        Assert.That(back.ToBytes(), Is.EqualTo(bytes));
        Assert.That(back.Unknown.Fields, Has.Count.EqualTo(4));
        Assert.That(back.Graph.Nodes[0].GetAttribute("body").Unknown.Fields[0].Bytes, Is.EqualTo(new byte[] { 0x12, 0x03, (byte)'s', (byte)'u', (byte)'b' }));
    }

    [Test]
    public void TypedAndRawDataDecode()
    {
        var g = OnnxModel.Parse(KitchenSink().ToBytes()).Graph;
        Assert.That(g.FindInitializer("w_raw").ToFloatArray(), Is.EqualTo(new[] { 1, -2.5f, 3, float.MaxValue, float.Epsilon, -0f }));
        Assert.That(g.FindInitializer("w_raw").RawData, Is.Not.Null);
        Assert.That(g.FindInitializer("shape_raw").ToInt64Array(), Is.EqualTo(new[] { long.MinValue, -1 }));
        var typed = g.FindInitializer("f_typed").ToFloatArray();
        Assert.That(typed[0], Is.EqualTo(0.5f)); Assert.That(float.IsNaN(typed[1])); Assert.That(typed[2], Is.EqualTo(-7f));
        Assert.That(g.FindInitializer("i32").ToInt64Array(), Is.EqualTo(new long[] { int.MinValue, 7 }));
        Assert.That(g.FindInitializer("i64").ToInt64Array(), Is.EqualTo(new long[] { 1, -1, long.MaxValue }));
        Assert.That(g.FindInitializer("d").ToFloatArray(), Is.EqualTo(new[] { (float)Math.PI }));
        Assert.That(g.FindInitializer("scalar_empty").ToFloatArray(), Is.Empty);
        var ex = Assert.Throws<InvalidDataException>(() => g.FindInitializer("i64").ToFloatArray());
        Assert.That(ex.Message, Does.Contain("'i64'").And.Contain("Int64"));
    }

    [Test]
    public void ElementCountMismatchNamesTheTensor()
    {
        var t = new OnnxTensor { Name = "w", Dims = [2, 7], DataType = OnnxDataType.Float, RawData = new byte[13 * 4] };
        var ex = Assert.Throws<InvalidDataException>(() => t.ToFloatArray());
        Assert.That(ex.Message, Does.Contain("'w'").And.Contain("[2,7]").And.Contain("52").And.Contain("56"));
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("x", new long[] { 3 }, new float[2]));
    }

    [Test]
    public void NodeAttributeHelpers()
    {
        var n = OnnxModel.Parse(KitchenSink().ToBytes()).Graph.Nodes[0];
        Assert.That(n.GetInt("i", 0), Is.EqualTo(-9_000_000_000));
        Assert.That(n.GetInt("missing", 17), Is.EqualTo(17));
        Assert.That(n.GetInts("ints"), Is.EqualTo(new long[] { 0, -1, long.MaxValue }));
        Assert.That(n.GetInts("empty_ints"), Is.Empty);
        Assert.That(n.GetInts("missing"), Is.Null);
        Assert.That(n.GetFloat("f", 0), Is.EqualTo(-1.25f));
        Assert.That(n.GetString("s"), Is.EqualTo("héllo"));
        Assert.That(n.GetAttribute("floats").Floats, Is.EqualTo(new[] { 1f, 2, -3 }));
        Assert.That(n.GetAttribute("strings").Strings, Is.EqualTo(new[] { "x", "", "z" }));
        Assert.That(n.GetAttribute("t").T.ToFloatArray(), Is.EqualTo(new[] { 3f }));
        Assert.That(n.GetAttribute("tensors").Tensors.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }));
        var ex = Assert.Throws<InvalidDataException>(() => n.GetInt("f", 0));
        Assert.That(ex.Message, Does.Contain("'f'").And.Contain("Float").And.Contain("INT"));
    }

    [Test]
    public void GraphLookups()
    {
        var g = KitchenSink().Graph;
        Assert.That(g.FindProducer("out").Name, Is.EqualTo("id0"));
        Assert.That(g.FindProducer("input"), Is.Null);
        Assert.That(g.FindConsumers("input").Select(n => n.Name), Is.EqualTo(new[] { "id0" }));
        Assert.That(g.FindValueInfo("anon_dim").Shape[1].Value, Is.EqualTo(5));
        Assert.That(g.FindValueInfo("anon_dim").ShapeOrMinusOne(), Is.EqualTo(new long[] { -1, 5 }));
        Assert.That(g.FindValueInfo("unknown_rank").Shape, Is.Null);
    }

    [Test]
    public void MetadataHelpers()
    {
        var m = new OnnxModel();
        m.SetMetadata("a", "1"); m.SetMetadata("b", "2"); m.SetMetadata("a", "3");
        Assert.That(m.MetadataProps.Select(kv => kv.Key + "=" + kv.Value), Is.EqualTo(new[] { "a=3", "b=2" }));
        Assert.That(m.GetMetadata("a"), Is.EqualTo("3"));
        Assert.That(m.GetMetadata("zzz"), Is.Null);
        m.SetMetadata("a", null);
        Assert.That(m.GetMetadata("a"), Is.Null);
    }

    [Test]
    public void OrtRunsWhatWeWrite()
    {
        // Y = Relu(X) + B, with B a raw initializer; proves ORT accepts our encoding, shapes and attributes.
        var m = new OnnxModel { IrVersion = 8, OpsetImports = [new OnnxOpset("", 17)] };
        m.Graph.Inputs.Add(new OnnxValueInfo("X", OnnxDataType.Float, "N", 7));
        m.Graph.Outputs.Add(new OnnxValueInfo("Y", OnnxDataType.Float, "N", 7));
        m.Graph.Initializers.Add(OnnxTensor.FromFloats("B", new long[] { 7 }, [1, 2, 3, 4, 5, 6, 7]));
        m.Graph.Nodes.Add(new OnnxNode("Relu", "r", ["X"], ["R"]));
        m.Graph.Nodes.Add(new OnnxNode("Add", "a", ["R", "B"], ["Y"]));
        var x = new float[] { -1, 1, -2, 2, -3, 3, 0, 5, -5, 0.5f, -0.5f, 9, -9, 1 };
        var y = OrtTestRunner.Run(OnnxModel.Parse(m.ToBytes()).ToBytes(), "X", x, [2, 7])["Y"];
        Assert.That(y.Shape, Is.EqualTo(new long[] { 2, 7 }));
        for (int i = 0; i < x.Length; i++) Assert.That(y.Data[i], Is.EqualTo(Math.Max(0, x[i]) + (i % 7 + 1)), $"element {i}");
    }

    [Test]
    public void SaveIsAtomicAndLoadable()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rr-onnx-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "sub", "m.onnx");
            var m = KitchenSink();
            m.Save(path);
            m.ProducerName = "second";
            m.Save(path);   // overwrite
            Assert.That(OnnxModel.Load(path).ProducerName, Is.EqualTo("second"));
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)), Has.Length.EqualTo(1), "no temp files left behind");
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(m.ToBytes()));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    // ------------------------------------------------------------ bad input

    [Test]
    public void MissingFile()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxModel.Load("/nonexistent/dir/nope.onnx"));
        Assert.That(ex.Message, Does.Contain("nope.onnx").And.Contain("not found"));
    }

    [Test]
    public void EmptyFile()
    {
        string path = Path.GetTempFileName();
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path));
            Assert.That(ex.Message, Does.StartWith(Path.GetFileName(path) + ":").And.Contain("empty"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void TruncatedInsideTheGraphIsReportedWithPosition()
    {
        byte[] bytes = KitchenSink().ToBytes();
        // Cut at every position: either a clear InvalidDataException or (only at a top-level field
        // boundary after the graph) a model that still parses. Never another exception type.
        int truncatedErrors = 0;
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            try { OnnxModel.Parse(bytes.AsSpan(0, cut), "m.onnx"); }
            catch (InvalidDataException e)
            {
                Assert.That(e.Message, Does.StartWith("m.onnx: "));
                Assert.That(e.Message, Does.Not.Contain("\n"));
                if (e.Message.Contains($"truncated protobuf at byte")) truncatedErrors++;
            }
        }
        Assert.That(truncatedErrors, Is.GreaterThan(bytes.Length / 2));
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(bytes.AsSpan(0, bytes.Length / 2), "m.onnx"));
        Assert.That(ex.Message, Does.Match(@"^m\.onnx: truncated protobuf at byte \d+ of " + bytes.Length / 2));
    }

    [Test]
    public void RandomBytesNeverCrashOrHang()
    {
        var rng = new Random(1234);
        string current = "";
        foreach (int len in new[] { 1, 2, 3, 7, 13, 127, 1000, 65537 })
        {
            for (int rep = 0; rep < 50; rep++)
            {
                var b = new byte[len];
                rng.NextBytes(b);
                current = $"random bytes, length {len}, rep {rep}";
                var ex = Assert.Throws<InvalidDataException>(() => WithinLimit(() => OnnxModel.Parse(b, "rand.onnx"), current));
                Assert.That(ex.Message, Does.StartWith("rand.onnx: "));
            }
        }
        // Mutate a valid model too: flipped bytes inside real structure reach deeper code paths.
        byte[] good = KitchenSink().ToBytes();
        for (int rep = 0; rep < 500; rep++)
        {
            var b = (byte[])good.Clone();
            for (int k = 0; k < 3; k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            current = $"mutated model, rep {rep}";
            try { WithinLimit(() => OnnxModel.Parse(b, "mut.onnx"), current); }
            catch (InvalidDataException e) { Assert.That(e.Message, Does.StartWith("mut.onnx: ")); }
        }
    }

    /// <summary>
    /// Runs one parse with a limit, so a hang fails at once and names its input (a check of the total time after the loop
    /// is never reached by a real hang). 10 s: a parse of these ≤ 64 KB inputs takes milliseconds; the whole loop of 900
    /// took under 20 s on a loaded 2-core machine. The stuck parse is left running on its pool thread; the run fails.
    /// </summary>
    static void WithinLimit(Action parse, string input)
    {
        var t = Task.Run(parse);
        bool done;
        try { done = t.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw(); throw; }
        if (!done) Assert.Fail($"OnnxModel.Parse did not return within 10 s on {input}");
    }

    [Test]
    public void ValidProtobufThatIsNotAModel()
    {
        // A serialized OperatorSetIdProto-like message: valid protobuf, fields mismatch ModelProto.
        var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("hello");
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(5);
        o.Flush();
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(ms.ToArray(), "x.pb"));
        Assert.That(ex.Message, Is.EqualTo("x.pb: not an ONNX model: no graph"));
    }

    [Test]
    public void WrongFileKinds()
    {
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52 };
        Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(png, "cat.png"));
        var text = System.Text.Encoding.UTF8.GetBytes("{\"this\": \"is json, not onnx\"}\n");
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(text, "x.json"));
        Assert.That(ex.Message, Does.StartWith("x.json: "));
    }

    [Test]
    public void ExternalDataIsRefusedClearly()
    {
        var m = KitchenSink();
        var t = new OnnxTensor { Name = "big_weight", Dims = [4], DataType = OnnxDataType.Float, Unknown = new UnknownFields() };
        var entry = new MemoryStream();
        var eo = new CodedOutputStream(entry);
        eo.WriteTag(1, WireFormat.WireType.LengthDelimited); eo.WriteString("location");
        eo.WriteTag(2, WireFormat.WireType.LengthDelimited); eo.WriteString("weights.bin");
        eo.Flush();
        t.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(13, WireFormat.WireType.LengthDelimited), 0, entry.ToArray()));
        t.Unknown.Fields.Add(new UnknownFields.Field(WireFormat.MakeTag(14, WireFormat.WireType.Varint), 1, null));
        m.Graph.Initializers.Add(t);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(m.ToBytes(), "ext.onnx"));
        Assert.That(ex.Message, Does.StartWith("ext.onnx: ").And.Contain("'big_weight'").And.Contain("weights.bin").And.Contain("external data not supported"));
    }

    [Test]
    public void DirectoryInsteadOfFile()
    {
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(Path.GetTempPath()));
        Assert.That(ex.Message, Does.Contain("directory"));
    }
}
