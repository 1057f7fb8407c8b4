// ProtoSink: one code path that either measures or writes a protobuf message. Each message has one
// Emit function; run on a counting sink it gives the message's size (needed for the length prefix of
// nested messages), run on a writing sink it writes the bytes. Nested sizes are recomputed per level,
// which costs O(depth x size-of-metadata) — the tensor payloads are counted by length, never copied.
using Google.Protobuf;
using static Google.Protobuf.WireFormat;

namespace ResNetRealtime.Runtime.Onnx;

internal sealed class ProtoSink
{
    readonly CodedOutputStream _out;   // null: counting only
    public long Size;

    public ProtoSink(CodedOutputStream output) { _out = output; }

    void Tag(int field, WireType wt)
    {
        uint tag = MakeTag(field, wt);
        if (_out != null) _out.WriteTag(tag); else Size += CodedOutputStream.ComputeRawVarint32Size(tag);
    }

    public void Int64(int field, long v)
    {
        Tag(field, WireType.Varint);
        if (_out != null) _out.WriteInt64(v); else Size += CodedOutputStream.ComputeInt64Size(v);
    }

    public void Float(int field, float v)
    {
        Tag(field, WireType.Fixed32);
        if (_out != null) _out.WriteFloat(v); else Size += 4;
    }

    public void String(int field, string s)
    {
        if (s == null) return;
        Tag(field, WireType.LengthDelimited);
        if (_out != null) _out.WriteString(s); else Size += CodedOutputStream.ComputeStringSize(s);
    }

    public void Bytes(int field, byte[] b)
    {
        if (b == null) return;
        Tag(field, WireType.LengthDelimited);
        if (_out != null) _out.WriteBytes(UnsafeByteOperations.UnsafeWrap(b));
        else Size += CodedOutputStream.ComputeLengthSize(b.Length) + b.Length;
    }

    void Length(long len)
    {
        if (len > int.MaxValue) throw new InvalidDataException($"protobuf message of {len} bytes exceeds the 2 GB protobuf limit");
        if (_out != null) _out.WriteLength((int)len); else Size += CodedOutputStream.ComputeLengthSize((int)len);
    }

    public void PackedFloats(int field, float[] a)
    {
        if (a == null || a.Length == 0) return;
        Tag(field, WireType.LengthDelimited);
        Length(a.Length * 4L);
        if (_out != null) foreach (float v in a) _out.WriteFloat(v); else Size += a.Length * 4L;
    }

    public void PackedDoubles(int field, double[] a)
    {
        if (a == null || a.Length == 0) return;
        Tag(field, WireType.LengthDelimited);
        Length(a.Length * 8L);
        if (_out != null) foreach (double v in a) _out.WriteDouble(v); else Size += a.Length * 8L;
    }

    public void PackedInt64s(int field, long[] a)
    {
        if (a == null || a.Length == 0) return;
        Tag(field, WireType.LengthDelimited);
        long len = 0;
        foreach (long v in a) len += CodedOutputStream.ComputeInt64Size(v);
        Length(len);
        if (_out != null) foreach (long v in a) _out.WriteInt64(v); else Size += len;
    }

    public void PackedInt32s(int field, int[] a)
    {
        if (a == null || a.Length == 0) return;
        Tag(field, WireType.LengthDelimited);
        long len = 0;
        foreach (int v in a) len += CodedOutputStream.ComputeInt32Size(v);
        Length(len);
        if (_out != null) foreach (int v in a) _out.WriteInt32(v); else Size += len;
    }

    public void PackedUInt64s(int field, ulong[] a)
    {
        if (a == null || a.Length == 0) return;
        Tag(field, WireType.LengthDelimited);
        long len = 0;
        foreach (ulong v in a) len += CodedOutputStream.ComputeUInt64Size(v);
        Length(len);
        if (_out != null) foreach (ulong v in a) _out.WriteUInt64(v); else Size += len;
    }

    /// <summary>proto2 non-packed repeated int64 (TensorProto.dims, AttributeProto.ints).</summary>
    public void RepeatedInt64s(int field, long[] a)
    {
        if (a == null) return;
        foreach (long v in a) Int64(field, v);
    }

    /// <summary>proto2 non-packed repeated float (AttributeProto.floats).</summary>
    public void RepeatedFloats(int field, float[] a)
    {
        if (a == null) return;
        foreach (float v in a) Float(field, v);
    }

    public void Message<T>(int field, T value, Action<ProtoSink, T> emit)
    {
        if (value == null) return;
        var counter = new ProtoSink(null);
        emit(counter, value);
        Tag(field, WireType.LengthDelimited);
        Length(counter.Size);
        if (_out != null) emit(this, value); else Size += counter.Size;
    }

    public void Raw(uint tag, ulong number, byte[] bytes)
    {
        if (_out != null) _out.WriteTag(tag); else Size += CodedOutputStream.ComputeRawVarint32Size(tag);
        switch (GetTagWireType(tag))
        {
            case WireType.Varint:
                if (_out != null) _out.WriteUInt64(number); else Size += CodedOutputStream.ComputeUInt64Size(number);
                break;
            case WireType.Fixed64:
                if (_out != null) _out.WriteFixed64(number); else Size += 8;
                break;
            case WireType.Fixed32:
                if (_out != null) _out.WriteFixed32((uint)number); else Size += 4;
                break;
            default:
                if (_out != null) _out.WriteBytes(UnsafeByteOperations.UnsafeWrap(bytes));
                else Size += CodedOutputStream.ComputeLengthSize(bytes.Length) + bytes.Length;
                break;
        }
    }
}
