// Fields the reader does not model (graph-valued attributes, sparse initializers, functions,
// training info, doc fields of rare messages, fields from newer ONNX versions) are kept verbatim so
// that load -> save never drops part of a model. They are written back after the modelled fields,
// which protobuf permits (field order on the wire is not significant).
using Google.Protobuf;

namespace ResNetRealtime.Runtime.Onnx;

internal sealed class UnknownFields
{
    internal readonly struct Field
    {
        public readonly uint Tag;
        public readonly ulong Number;   // varint, fixed32, fixed64 payloads
        public readonly byte[] Bytes;   // length-delimited payload
        public Field(uint tag, ulong number, byte[] bytes) { Tag = tag; Number = number; Bytes = bytes; }
    }

    public readonly List<Field> Fields = [];

    /// <summary>Reads the value of the field whose tag was just read, and keeps it.</summary>
    public static void Capture(ref UnknownFields fields, CodedInputStream input, uint tag)
    {
        Field f;
        switch (WireFormat.GetTagWireType(tag))
        {
            case WireFormat.WireType.Varint: f = new Field(tag, input.ReadUInt64(), null); break;
            case WireFormat.WireType.Fixed64: f = new Field(tag, input.ReadFixed64(), null); break;
            case WireFormat.WireType.Fixed32: f = new Field(tag, input.ReadFixed32(), null); break;
            case WireFormat.WireType.LengthDelimited: f = new Field(tag, 0, input.ReadBytes().ToByteArray()); break;
            default:
                // Groups are deprecated and unused by onnx.proto: skip them (this also validates them).
                input.SkipLastField();
                return;
        }
        (fields ??= new UnknownFields()).Fields.Add(f);
    }

    public void Write(ProtoSink sink)
    {
        foreach (var f in Fields) sink.Raw(f.Tag, f.Number, f.Bytes);
    }
}
