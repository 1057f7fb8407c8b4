// Reader and writer for the ONNX protobuf subset (field numbers from onnx.proto, ONNX 1.12).
//
// Reading: Google.Protobuf's CodedInputStream over the whole file. Nested messages go through
// ReadMessage with a small IMessage adapter, so the stream enforces each message's length limit and
// the nesting limit (100) — hostile input cannot make us loop or recurse without bound. A field whose
// number or wire type we do not model is kept verbatim (UnknownFields). Repeated scalars are accepted
// packed and unpacked, as protobuf requires of readers.
//
// Writing: modelled fields in field-number order, then unknown fields. TensorProto data fields are
// written packed (as declared in onnx.proto), AttributeProto floats/ints and TensorProto dims
// unpacked (proto2 default), matching what the onnx Python package writes.
using System.Runtime.InteropServices;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using static Google.Protobuf.WireFormat;

namespace ResNetRealtime.Runtime.Onnx;

internal static class OnnxSerializer
{
    // ---------------------------------------------------------------- reading

    /// <summary>Lets CodedInputStream.ReadMessage drive our hand-written field loops.</summary>
    sealed class Adapter(Action<CodedInputStream> merge) : IMessage
    {
        public void MergeFrom(CodedInputStream input) => merge(input);
        public void WriteTo(CodedOutputStream output) => throw new NotSupportedException();
        public int CalculateSize() => throw new NotSupportedException();
        public MessageDescriptor Descriptor => null;
    }

    static void Sub(CodedInputStream input, Action<CodedInputStream> body) => input.ReadMessage(new Adapter(body));

    static uint T(int field, WireType wt) => MakeTag(field, wt);

    /// <summary>
    /// Byte offset of the last field whose tag was read. CodedInputStream.Position reads 0 after a
    /// failure inside ReadMessage (its parse state is not copied back), so error messages use this.
    /// </summary>
    [ThreadStatic] internal static long LastFieldStart;

    static uint Tag(CodedInputStream s) { LastFieldStart = s.Position; return s.ReadTag(); }

    public static OnnxModel ReadModel(CodedInputStream input, bool[] sawGraph)
    {
        var m = new OnnxModel();
        LastFieldStart = 0;
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            switch (tag)
            {
                case var t when t == T(1, WireType.Varint): m.IrVersion = input.ReadInt64(); break;
                case var t when t == T(2, WireType.LengthDelimited): m.ProducerName = input.ReadString(); break;
                case var t when t == T(3, WireType.LengthDelimited): m.ProducerVersion = input.ReadString(); break;
                case var t when t == T(4, WireType.LengthDelimited): m.Domain = input.ReadString(); break;
                case var t when t == T(5, WireType.Varint): m.ModelVersion = input.ReadInt64(); break;
                case var t when t == T(6, WireType.LengthDelimited): m.DocString = input.ReadString(); break;
                case var t when t == T(7, WireType.LengthDelimited):
                    sawGraph[0] = true;
                    Sub(input, s => ReadGraph(s, m.Graph));
                    break;
                case var t when t == T(8, WireType.LengthDelimited):
                {
                    var op = new OnnxOpset();
                    Sub(input, s => ReadOpset(s, op));
                    m.OpsetImports.Add(op);
                    break;
                }
                case var t when t == T(14, WireType.LengthDelimited):
                {
                    string k = null, v = null;
                    Sub(input, s => ReadStringPair(s, ref k, ref v));
                    m.MetadataProps.Add(new KeyValuePair<string, string>(k, v));
                    break;
                }
                default:
                {
                    var u = m.Unknown;
                    UnknownFields.Capture(ref u, input, tag);
                    m.Unknown = u;
                    break;
                }
            }
        }
        return m;
    }

    static void ReadOpset(CodedInputStream input, OnnxOpset op)
    {
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            if (tag == T(1, WireType.LengthDelimited)) op.Domain = input.ReadString();
            else if (tag == T(2, WireType.Varint)) op.Version = input.ReadInt64();
            else input.SkipLastField();
        }
    }

    static void ReadStringPair(CodedInputStream input, ref string key, ref string value)
    {
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            if (tag == T(1, WireType.LengthDelimited)) key = input.ReadString();
            else if (tag == T(2, WireType.LengthDelimited)) value = input.ReadString();
            else input.SkipLastField();
        }
    }

    static void ReadGraph(CodedInputStream input, OnnxGraph g)
    {
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            switch (tag)
            {
                case var t when t == T(1, WireType.LengthDelimited):
                {
                    var n = new OnnxNode();
                    Sub(input, s => ReadNode(s, n));
                    g.Nodes.Add(n);
                    break;
                }
                case var t when t == T(2, WireType.LengthDelimited): g.Name = input.ReadString(); break;
                case var t when t == T(5, WireType.LengthDelimited):
                {
                    var tensor = new OnnxTensor();
                    Sub(input, s => ReadTensor(s, tensor));
                    g.Initializers.Add(tensor);
                    break;
                }
                case var t when t == T(10, WireType.LengthDelimited): g.DocString = input.ReadString(); break;
                case var t when t == T(11, WireType.LengthDelimited): g.Inputs.Add(ReadValueInfo(input)); break;
                case var t when t == T(12, WireType.LengthDelimited): g.Outputs.Add(ReadValueInfo(input)); break;
                case var t when t == T(13, WireType.LengthDelimited): g.ValueInfo.Add(ReadValueInfo(input)); break;
                default:
                {
                    var u = g.Unknown;
                    UnknownFields.Capture(ref u, input, tag);
                    g.Unknown = u;
                    break;
                }
            }
        }
    }

    static void ReadNode(CodedInputStream input, OnnxNode n)
    {
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            switch (tag)
            {
                case var t when t == T(1, WireType.LengthDelimited): n.Inputs.Add(input.ReadString()); break;
                case var t when t == T(2, WireType.LengthDelimited): n.Outputs.Add(input.ReadString()); break;
                case var t when t == T(3, WireType.LengthDelimited): n.Name = input.ReadString(); break;
                case var t when t == T(4, WireType.LengthDelimited): n.OpType = input.ReadString(); break;
                case var t when t == T(5, WireType.LengthDelimited):
                {
                    var a = new OnnxAttribute();
                    Sub(input, s => ReadAttribute(s, a));
                    n.Attributes.Add(a);
                    break;
                }
                case var t when t == T(6, WireType.LengthDelimited): n.DocString = input.ReadString(); break;
                case var t when t == T(7, WireType.LengthDelimited): n.Domain = input.ReadString(); break;
                default:
                {
                    var u = n.Unknown;
                    UnknownFields.Capture(ref u, input, tag);
                    n.Unknown = u;
                    break;
                }
            }
        }
    }

    static void ReadAttribute(CodedInputStream input, OnnxAttribute a)
    {
        bool hasType = false;
        var seen = OnnxAttributeType.Undefined;   // for IR v1 models, which had no 'type' field
        List<float> floats = null;
        List<long> ints = null;
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            switch (tag)
            {
                case var t when t == T(1, WireType.LengthDelimited): a.Name = input.ReadString(); break;
                case var t when t == T(2, WireType.Fixed32): a.F = input.ReadFloat(); seen = OnnxAttributeType.Float; break;
                case var t when t == T(3, WireType.Varint): a.I = input.ReadInt64(); seen = OnnxAttributeType.Int; break;
                case var t when t == T(4, WireType.LengthDelimited): a.S = input.ReadString(); seen = OnnxAttributeType.String; break;
                case var t when t == T(5, WireType.LengthDelimited):
                {
                    var tensor = new OnnxTensor();
                    Sub(input, s => ReadTensor(s, tensor));
                    a.T = tensor;
                    seen = OnnxAttributeType.Tensor;
                    break;
                }
                case var t when t == T(7, WireType.Fixed32): (floats ??= []).Add(input.ReadFloat()); seen = OnnxAttributeType.Floats; break;
                case var t when t == T(7, WireType.LengthDelimited): (floats ??= []).AddRange(UnpackFloats(input)); seen = OnnxAttributeType.Floats; break;
                case var t when t == T(8, WireType.Varint): (ints ??= []).Add(input.ReadInt64()); seen = OnnxAttributeType.Ints; break;
                case var t when t == T(8, WireType.LengthDelimited): (ints ??= []).AddRange(UnpackVarints(input)); seen = OnnxAttributeType.Ints; break;
                case var t when t == T(9, WireType.LengthDelimited): (a.Strings ??= []).Add(input.ReadString()); seen = OnnxAttributeType.Strings; break;
                case var t when t == T(10, WireType.LengthDelimited):
                {
                    var tensor = new OnnxTensor();
                    Sub(input, s => ReadTensor(s, tensor));
                    (a.Tensors ??= []).Add(tensor);
                    seen = OnnxAttributeType.Tensors;
                    break;
                }
                case var t when t == T(13, WireType.LengthDelimited): a.DocString = input.ReadString(); break;
                case var t when t == T(20, WireType.Varint): a.Type = (OnnxAttributeType)input.ReadEnum(); hasType = true; break;
                default:
                {
                    var u = a.Unknown;
                    UnknownFields.Capture(ref u, input, tag);
                    a.Unknown = u;
                    break;
                }
            }
        }
        if (floats != null) a.Floats = [.. floats];
        if (ints != null) a.Ints = [.. ints];
        if (!hasType) a.Type = seen;
    }

    static void ReadTensor(CodedInputStream input, OnnxTensor x)
    {
        List<long> dims = null;
        bool external = false;
        string location = null;
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            switch (tag)
            {
                case var t when t == T(1, WireType.Varint): (dims ??= []).Add(input.ReadInt64()); break;
                case var t when t == T(1, WireType.LengthDelimited): (dims ??= []).AddRange(UnpackVarints(input)); break;
                case var t when t == T(2, WireType.Varint): x.DataType = (OnnxDataType)input.ReadInt32(); break;
                case var t when t == T(4, WireType.LengthDelimited): x.FloatData = Concat(x.FloatData, UnpackFloats(input)); break;
                case var t when t == T(4, WireType.Fixed32): x.FloatData = Concat(x.FloatData, [input.ReadFloat()]); break;
                case var t when t == T(5, WireType.LengthDelimited): x.Int32Data = Concat(x.Int32Data, UnpackVarints(input).Select(v => (int)v).ToArray()); break;
                case var t when t == T(5, WireType.Varint): x.Int32Data = Concat(x.Int32Data, [input.ReadInt32()]); break;
                case var t when t == T(6, WireType.LengthDelimited): (x.StringData ??= []).Add(ReadByteArray(input)); break;
                case var t when t == T(7, WireType.LengthDelimited): x.Int64Data = Concat(x.Int64Data, UnpackVarints(input)); break;
                case var t when t == T(7, WireType.Varint): x.Int64Data = Concat(x.Int64Data, [input.ReadInt64()]); break;
                case var t when t == T(8, WireType.LengthDelimited): x.Name = input.ReadString(); break;
                case var t when t == T(9, WireType.LengthDelimited): x.RawData = ReadByteArray(input); break;
                case var t when t == T(10, WireType.LengthDelimited): x.DoubleData = Concat(x.DoubleData, UnpackDoubles(input)); break;
                case var t when t == T(10, WireType.Fixed64): x.DoubleData = Concat(x.DoubleData, [input.ReadDouble()]); break;
                case var t when t == T(11, WireType.LengthDelimited): x.UInt64Data = Concat(x.UInt64Data, UnpackVarints(input).Select(v => (ulong)v).ToArray()); break;
                case var t when t == T(11, WireType.Varint): x.UInt64Data = Concat(x.UInt64Data, [input.ReadUInt64()]); break;
                case var t when t == T(12, WireType.LengthDelimited): x.DocString = input.ReadString(); break;
                case var t when t == T(13, WireType.LengthDelimited):
                {
                    string k = null, v = null;
                    Sub(input, s => ReadStringPair(s, ref k, ref v));
                    external = true;
                    if (k == "location") location = v;
                    break;
                }
                case var t when t == T(14, WireType.Varint):
                    if (input.ReadEnum() == 1) external = true;
                    break;
                default:
                {
                    var u = x.Unknown;
                    UnknownFields.Capture(ref u, input, tag);
                    x.Unknown = u;
                    break;
                }
            }
        }
        if (dims != null) x.Dims = [.. dims];
        if (external)
            throw new OnnxReadException(
                $"tensor '{x.Name}' keeps its data in an external file{(location != null ? $" ('{location}')" : "")}: external data not supported; " +
                "save the model with all tensors inside (onnx.save_model(m, path, save_as_external_data=False))");
    }

    static OnnxValueInfo ReadValueInfo(CodedInputStream input)
    {
        var vi = new OnnxValueInfo();
        Sub(input, s =>
        {
            uint tag;
            while ((tag = Tag(s)) != 0)
            {
                if (tag == T(1, WireType.LengthDelimited)) vi.Name = s.ReadString();
                else if (tag == T(2, WireType.LengthDelimited)) Sub(s, ts => ReadTypeProto(ts, vi));
                else if (tag == T(3, WireType.LengthDelimited)) vi.DocString = s.ReadString();
                else { var u = vi.Unknown; UnknownFields.Capture(ref u, s, tag); vi.Unknown = u; }
            }
        });
        return vi;
    }

    static void ReadTypeProto(CodedInputStream input, OnnxValueInfo vi)
    {
        uint tag;
        while ((tag = Tag(input)) != 0)
        {
            if (tag == T(1, WireType.LengthDelimited))
            {
                vi.HasTensorType = true;
                Sub(input, s =>
                {
                    uint tt;
                    while ((tt = Tag(s)) != 0)
                    {
                        if (tt == T(1, WireType.Varint)) vi.ElemType = (OnnxDataType)s.ReadInt32();
                        else if (tt == T(2, WireType.LengthDelimited)) vi.Shape = ReadShape(s);
                        else { var u = vi.TensorTypeUnknown; UnknownFields.Capture(ref u, s, tt); vi.TensorTypeUnknown = u; }
                    }
                });
            }
            else { var u = vi.TypeUnknown; UnknownFields.Capture(ref u, input, tag); vi.TypeUnknown = u; }
        }
    }

    static OnnxDim[] ReadShape(CodedInputStream input)
    {
        var dims = new List<OnnxDim>();
        Sub(input, s =>
        {
            uint tag;
            while ((tag = Tag(s)) != 0)
            {
                if (tag != T(1, WireType.LengthDelimited)) { s.SkipLastField(); continue; }
                var d = new OnnxDim();
                Sub(s, ds =>
                {
                    uint dt;
                    while ((dt = Tag(ds)) != 0)
                    {
                        if (dt == T(1, WireType.Varint)) { d.Value = ds.ReadInt64(); d.Param = null; }
                        else if (dt == T(2, WireType.LengthDelimited)) { d.Param = ds.ReadString(); d.Value = null; }
                        else { var u = d.Unknown; UnknownFields.Capture(ref u, ds, dt); d.Unknown = u; }
                    }
                });
                dims.Add(d);
            }
        });
        return [.. dims];
    }

    /// <summary>Bytes of a length-delimited field, without a second copy where the runtime allows.</summary>
    static byte[] ReadByteArray(CodedInputStream input)
    {
        var bs = input.ReadBytes();
        if (MemoryMarshal.TryGetArray(bs.Memory, out ArraySegment<byte> seg) && seg.Offset == 0 && seg.Count == seg.Array.Length)
            return seg.Array;
        return bs.ToByteArray();
    }

    static float[] UnpackFloats(CodedInputStream input)
    {
        var b = ReadByteArray(input);
        if (b.Length % 4 != 0) throw new OnnxReadException($"corrupt protobuf: packed float field of {b.Length} bytes is not a multiple of 4");
        var f = new float[b.Length / 4];
        for (int i = 0; i < f.Length; i++) f[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(i * 4));
        return f;
    }

    static double[] UnpackDoubles(CodedInputStream input)
    {
        var b = ReadByteArray(input);
        if (b.Length % 8 != 0) throw new OnnxReadException($"corrupt protobuf: packed double field of {b.Length} bytes is not a multiple of 8");
        var d = new double[b.Length / 8];
        for (int i = 0; i < d.Length; i++) d[i] = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(i * 8));
        return d;
    }

    static long[] UnpackVarints(CodedInputStream input)
    {
        var b = ReadByteArray(input);
        var list = new List<long>();
        var s = new CodedInputStream(b);
        while (!s.IsAtEnd) list.Add(s.ReadInt64());
        return [.. list];
    }

    static TA[] Concat<TA>(TA[] a, TA[] b) => a == null ? b : [.. a, .. b];

    // ---------------------------------------------------------------- writing

    public static void EmitModel(ProtoSink w, OnnxModel m)
    {
        w.Int64(1, m.IrVersion);
        w.String(2, m.ProducerName);
        w.String(3, m.ProducerVersion);
        w.String(4, m.Domain);
        if (m.ModelVersion != 0) w.Int64(5, m.ModelVersion);
        w.String(6, m.DocString);
        w.Message(7, m.Graph, EmitGraph);
        foreach (var op in m.OpsetImports) w.Message(8, op, EmitOpset);
        foreach (var kv in m.MetadataProps) w.Message(14, kv, EmitStringPair);
        m.Unknown?.Write(w);
    }

    static void EmitOpset(ProtoSink w, OnnxOpset op)
    {
        w.String(1, op.Domain);
        w.Int64(2, op.Version);
    }

    static void EmitStringPair(ProtoSink w, KeyValuePair<string, string> kv)
    {
        w.String(1, kv.Key);
        w.String(2, kv.Value);
    }

    static void EmitGraph(ProtoSink w, OnnxGraph g)
    {
        foreach (var n in g.Nodes) w.Message(1, n, EmitNode);
        w.String(2, g.Name);
        foreach (var t in g.Initializers) w.Message(5, t, EmitTensor);
        w.String(10, g.DocString);
        foreach (var v in g.Inputs) w.Message(11, v, EmitValueInfo);
        foreach (var v in g.Outputs) w.Message(12, v, EmitValueInfo);
        foreach (var v in g.ValueInfo) w.Message(13, v, EmitValueInfo);
        g.Unknown?.Write(w);
    }

    static void EmitNode(ProtoSink w, OnnxNode n)
    {
        foreach (var s in n.Inputs) w.String(1, s ?? "");
        foreach (var s in n.Outputs) w.String(2, s ?? "");
        w.String(3, n.Name);
        w.String(4, n.OpType);
        foreach (var a in n.Attributes) w.Message(5, a, EmitAttribute);
        w.String(6, n.DocString);
        w.String(7, n.Domain);
        n.Unknown?.Write(w);
    }

    static void EmitAttribute(ProtoSink w, OnnxAttribute a)
    {
        w.String(1, a.Name);
        switch (a.Type)
        {
            case OnnxAttributeType.Float: w.Float(2, a.F); break;
            case OnnxAttributeType.Int: w.Int64(3, a.I); break;
            case OnnxAttributeType.String: w.String(4, a.S ?? ""); break;
            case OnnxAttributeType.Tensor: w.Message(5, a.T, EmitTensor); break;
            case OnnxAttributeType.Floats: w.RepeatedFloats(7, a.Floats); break;
            case OnnxAttributeType.Ints: w.RepeatedInt64s(8, a.Ints); break;
            case OnnxAttributeType.Strings: if (a.Strings != null) foreach (var s in a.Strings) w.String(9, s ?? ""); break;
            case OnnxAttributeType.Tensors: if (a.Tensors != null) foreach (var t in a.Tensors) w.Message(10, t, EmitTensor); break;
        }
        w.String(13, a.DocString);
        w.Int64(20, (long)a.Type);
        a.Unknown?.Write(w);
    }

    static void EmitTensor(ProtoSink w, OnnxTensor x)
    {
        w.RepeatedInt64s(1, x.Dims);
        w.Int64(2, (long)x.DataType);
        w.PackedFloats(4, x.FloatData);
        w.PackedInt32s(5, x.Int32Data);
        if (x.StringData != null) foreach (var s in x.StringData) w.Bytes(6, s ?? []);
        w.PackedInt64s(7, x.Int64Data);
        w.String(8, x.Name);
        w.Bytes(9, x.RawData);
        w.PackedDoubles(10, x.DoubleData);
        w.PackedUInt64s(11, x.UInt64Data);
        w.String(12, x.DocString);
        x.Unknown?.Write(w);
    }

    static void EmitValueInfo(ProtoSink w, OnnxValueInfo v)
    {
        w.String(1, v.Name);
        bool tensorType = v.HasTensorType || v.ElemType != OnnxDataType.Undefined || v.Shape != null;
        if (tensorType || v.TypeUnknown != null) w.Message(2, v, EmitTypeProto);
        w.String(3, v.DocString);
        v.Unknown?.Write(w);
    }

    static void EmitTypeProto(ProtoSink w, OnnxValueInfo v)
    {
        bool tensorType = v.HasTensorType || v.ElemType != OnnxDataType.Undefined || v.Shape != null;
        if (tensorType) w.Message(1, v, EmitTensorType);
        v.TypeUnknown?.Write(w);
    }

    static void EmitTensorType(ProtoSink w, OnnxValueInfo v)
    {
        if (v.ElemType != OnnxDataType.Undefined) w.Int64(1, (long)v.ElemType);
        if (v.Shape != null) w.Message(2, v.Shape, EmitShape);
        v.TensorTypeUnknown?.Write(w);
    }

    static void EmitShape(ProtoSink w, OnnxDim[] shape)
    {
        foreach (var d in shape) w.Message(1, d ?? new OnnxDim(), EmitDim);
    }

    static void EmitDim(ProtoSink w, OnnxDim d)
    {
        if (d.Value.HasValue) w.Int64(1, d.Value.Value);
        else if (d.Param != null) w.String(2, d.Param);
        d.Unknown?.Write(w);
    }
}

/// <summary>Thrown inside the reader for content it refuses (external data, bad packed lengths); surfaces as InvalidDataException.</summary>
internal sealed class OnnxReadException(string message) : Exception(message);
