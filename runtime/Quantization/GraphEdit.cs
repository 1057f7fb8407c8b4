// GraphEdit: the few graph-rewriting helpers the quantizer's passes share — a shallow model copy
// (own node/initializer/output lists, shared unchanged nodes and tensors, so the caller's model is
// never modified), typed initializers the ONNX classes do not build themselves, and unique names.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal static class GraphEdit
{
    /// <summary>A copy whose lists can be edited freely; nodes and tensors are shared until replaced.</summary>
    public static OnnxModel ShallowCopy(OnnxModel m)
    {
        var g = m.Graph;
        return new OnnxModel
        {
            IrVersion = m.IrVersion, ProducerName = m.ProducerName, ProducerVersion = m.ProducerVersion,
            Domain = m.Domain, ModelVersion = m.ModelVersion, DocString = m.DocString, Unknown = m.Unknown,
            OpsetImports = m.OpsetImports.Select(o => new OnnxOpset(o.Domain, o.Version)).ToList(),
            MetadataProps = [.. m.MetadataProps],
            Graph = new OnnxGraph
            {
                Name = g.Name, DocString = g.DocString, Unknown = g.Unknown,
                Nodes = [.. g.Nodes], Initializers = [.. g.Initializers],
                Inputs = [.. g.Inputs], Outputs = [.. g.Outputs], ValueInfo = [.. g.ValueInfo],
            },
        };
    }

    /// <summary>A copy of a node (attributes shared: they are not edited) that can be rewired.</summary>
    public static OnnxNode CopyNode(OnnxNode n) => new(n.OpType, n.Name, n.Inputs, n.Outputs, [.. n.Attributes])
    {
        Domain = n.Domain, DocString = n.DocString, Unknown = n.Unknown,
    };

    public static OnnxTensor Scalar(string name, float value) => OnnxTensor.FromFloats(name, Array.Empty<long>(), [value]);

    public static OnnxTensor Floats(string name, float[] values) => OnnxTensor.FromFloats(name, [values.LongLength], values);

    public static OnnxTensor UInt8(string name, long[] dims, byte[] values) =>
        Raw(name, dims, OnnxDataType.UInt8, (byte[])values.Clone());

    public static OnnxTensor Int8(string name, long[] dims, sbyte[] values)
    {
        var raw = new byte[values.Length];
        Buffer.BlockCopy(values, 0, raw, 0, values.Length);
        return Raw(name, dims, OnnxDataType.Int8, raw);
    }

    public static OnnxTensor Int32(string name, long[] dims, int[] values)
    {
        var raw = new byte[values.Length * 4L];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), values[i]);
        return Raw(name, dims, OnnxDataType.Int32, raw);
    }

    static OnnxTensor Raw(string name, long[] dims, OnnxDataType type, byte[] raw)
    {
        var t = new OnnxTensor { Name = name, Dims = (long[])dims.Clone(), DataType = type, RawData = raw };
        if (t.ElementCount * ElementSize(type) != raw.LongLength)
            throw new ArgumentException($"tensor '{name}': dims {OnnxTensor.FormatDims(dims)} do not match {raw.Length} bytes of {type}");
        return t;
    }

    static int ElementSize(OnnxDataType t) => t switch { OnnxDataType.Int32 => 4, _ => 1 };

    /// <summary>Every tensor and node name in use, so new names never collide with the model's own.</summary>
    public static HashSet<string> UsedNames(OnnxGraph g)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
        {
            if (n.Name != null) used.Add(n.Name);
            foreach (var s in n.Inputs) used.Add(s);
            foreach (var s in n.Outputs) used.Add(s);
        }
        foreach (var t in g.Initializers) used.Add(t.Name);
        foreach (var v in g.Inputs.Concat(g.Outputs).Concat(g.ValueInfo)) used.Add(v.Name);
        return used;
    }

    /// <summary><paramref name="wanted"/>, or wanted_1, wanted_2, … if taken; the result is reserved.</summary>
    public static string Unique(HashSet<string> used, string wanted)
    {
        string name = wanted;
        for (int i = 1; !used.Add(name); i++) name = $"{wanted}_{i}";
        return name;
    }

    /// <summary>Constant float tensor by name (initializer), or null when the name is not an initializer.</summary>
    public static Dictionary<string, OnnxTensor> Initializers(OnnxGraph g)
    {
        var d = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in g.Initializers) d[t.Name] = t;
        return d;
    }

    /// <summary>Number of nodes reading each tensor (a node reading it twice counts twice), plus graph outputs.</summary>
    public static Dictionary<string, int> UseCounts(OnnxGraph g)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var s in n.Inputs) if (!string.IsNullOrEmpty(s)) d[s] = d.GetValueOrDefault(s) + 1;
        foreach (var o in g.Outputs) d[o.Name] = d.GetValueOrDefault(o.Name) + 1;
        return d;
    }
}
