// OnnxTensor: one TensorProto (an initializer, or the value of a tensor attribute).
//
// Contract:
// - Data is kept exactly as it was read: raw_data (little-endian bytes) and/or the typed fields
//   (float_data, int32_data, int64_data, double_data, uint64_data, string_data). Writing emits the
//   same fields, so a round trip keeps the encoding a model chose.
// - ToFloatArray / ToInt64Array decode whichever encoding is present and check the element count
//   against Dims; a mismatch is an InvalidDataException naming the tensor and both counts.
// - FromFloats / FromInt64s write raw_data, which is what exporters (torch.onnx) write and what ONNX
//   Runtime loads fastest.
// - External data (data_location = EXTERNAL) is refused by the reader; it never reaches this type.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Onnx;

internal sealed class OnnxTensor
{
    public string Name { get; set; }
    public long[] Dims { get; set; } = [];
    public OnnxDataType DataType { get; set; }
    public string DocString { get; set; }

    /// <summary>raw_data: elements packed little-endian; null when the model uses a typed field.</summary>
    public byte[] RawData { get; set; }
    public float[] FloatData { get; set; }
    /// <summary>int32_data also carries int8/uint8/int16/uint16/bool/float16 elements (onnx.proto).</summary>
    public int[] Int32Data { get; set; }
    public long[] Int64Data { get; set; }
    public double[] DoubleData { get; set; }
    public ulong[] UInt64Data { get; set; }
    public List<byte[]> StringData { get; set; }

    internal UnknownFields Unknown { get; set; }

    /// <summary>Product of Dims (1 for a scalar). Negative dims or overflow: InvalidDataException.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims)
            {
                if (d < 0) throw new InvalidDataException($"tensor '{Name}': negative dimension in {FormatDims(Dims)}");
                try { n = checked(n * d); }
                catch (OverflowException) { throw new InvalidDataException($"tensor '{Name}': element count of {FormatDims(Dims)} overflows"); }
            }
            return n;
        }
    }

    public static OnnxTensor FromFloats(string name, long[] dims, float[] data)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(data);
        var t = new OnnxTensor { Name = name, Dims = (long[])dims.Clone(), DataType = OnnxDataType.Float };
        if (t.ElementCount != data.Length)
            throw new ArgumentException($"tensor '{name}': dims {FormatDims(dims)} hold {t.ElementCount} elements but {data.Length} were given");
        var raw = new byte[data.Length * 4L];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(raw);
        else for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        t.RawData = raw;
        return t;
    }

    public static OnnxTensor FromFloats(string name, int[] dims, float[] data) =>
        FromFloats(name, Array.ConvertAll(dims ?? throw new ArgumentNullException(nameof(dims)), d => (long)d), data);

    public static OnnxTensor FromInt64s(string name, long[] dims, long[] data)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(data);
        var t = new OnnxTensor { Name = name, Dims = (long[])dims.Clone(), DataType = OnnxDataType.Int64 };
        if (t.ElementCount != data.Length)
            throw new ArgumentException($"tensor '{name}': dims {FormatDims(dims)} hold {t.ElementCount} elements but {data.Length} were given");
        var raw = new byte[data.Length * 8L];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(raw);
        else for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), data[i]);
        t.RawData = raw;
        return t;
    }

    /// <summary>Elements as float32. Accepts Float (raw or float_data), Double and Float16 (converted).</summary>
    public float[] ToFloatArray()
    {
        long n = ElementCount;
        switch (DataType)
        {
            case OnnxDataType.Float:
                if (RawData != null)
                {
                    CheckCount(RawData.LongLength, Bytes(n, 4), "raw_data bytes");
                    var f = new float[n];
                    if (BitConverter.IsLittleEndian) RawData.AsSpan().CopyTo(MemoryMarshal.AsBytes(f.AsSpan()));
                    else for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(RawData.AsSpan(i * 4));
                    return f;
                }
                if (FloatData != null) { CheckCount(FloatData.Length, n, "float_data elements"); return (float[])FloatData.Clone(); }
                break;
            case OnnxDataType.Double:
                if (RawData != null)
                {
                    CheckCount(RawData.LongLength, Bytes(n, 8), "raw_data bytes");
                    var f = new float[n];
                    for (int i = 0; i < f.Length; i++) f[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(RawData.AsSpan(i * 8));
                    return f;
                }
                if (DoubleData != null) { CheckCount(DoubleData.Length, n, "double_data elements"); return Array.ConvertAll(DoubleData, d => (float)d); }
                break;
            case OnnxDataType.Float16:
                if (RawData != null)
                {
                    CheckCount(RawData.LongLength, Bytes(n, 2), "raw_data bytes");
                    var f = new float[n];
                    for (int i = 0; i < f.Length; i++) f[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(RawData.AsSpan(i * 2));
                    return f;
                }
                // float16 in int32_data: the low 16 bits of each element are the IEEE half bits.
                if (Int32Data != null)
                {
                    CheckCount(Int32Data.Length, n, "int32_data elements");
                    return Array.ConvertAll(Int32Data, v => (float)BitConverter.UInt16BitsToHalf((ushort)v));
                }
                break;
            default:
                throw new InvalidDataException($"tensor '{Name}' has element type {DataType}, not a floating-point type");
        }
        if (n == 0) return [];
        throw new InvalidDataException($"tensor '{Name}' ({DataType} {FormatDims(Dims)}) has no data");
    }

    /// <summary>Elements as int64. Accepts Int64 (raw or int64_data) and Int32 (widened).</summary>
    public long[] ToInt64Array()
    {
        long n = ElementCount;
        switch (DataType)
        {
            case OnnxDataType.Int64:
                if (RawData != null)
                {
                    CheckCount(RawData.LongLength, Bytes(n, 8), "raw_data bytes");
                    var a = new long[n];
                    if (BitConverter.IsLittleEndian) RawData.AsSpan().CopyTo(MemoryMarshal.AsBytes(a.AsSpan()));
                    else for (int i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadInt64LittleEndian(RawData.AsSpan(i * 8));
                    return a;
                }
                if (Int64Data != null) { CheckCount(Int64Data.Length, n, "int64_data elements"); return (long[])Int64Data.Clone(); }
                break;
            case OnnxDataType.Int32:
                if (RawData != null)
                {
                    CheckCount(RawData.LongLength, Bytes(n, 4), "raw_data bytes");
                    var a = new long[n];
                    for (int i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadInt32LittleEndian(RawData.AsSpan(i * 4));
                    return a;
                }
                if (Int32Data != null) { CheckCount(Int32Data.Length, n, "int32_data elements"); return Array.ConvertAll(Int32Data, v => (long)v); }
                break;
            default:
                throw new InvalidDataException($"tensor '{Name}' has element type {DataType}, not an integer type");
        }
        if (n == 0) return [];
        throw new InvalidDataException($"tensor '{Name}' ({DataType} {FormatDims(Dims)}) has no data");
    }

    /// <summary>n elements of <paramref name="size"/> bytes; a count no file could hold (2^62 floats) is an error, not a wrap to 0.</summary>
    long Bytes(long n, int size) => n <= long.MaxValue / size ? n * size
        : throw new InvalidDataException($"tensor '{Name}': dims {FormatDims(Dims)} claim {n} elements, too many bytes for any model");

    void CheckCount(long have, long need, string what)
    {
        if (have != need)
            throw new InvalidDataException($"tensor '{Name}': {what}: have {have}, dims {FormatDims(Dims)} need {need}");
    }

    internal static string FormatDims(long[] dims) => "[" + string.Join(",", dims ?? []) + "]";

    public override string ToString() => $"{Name} {DataType} {FormatDims(Dims)}";
}
