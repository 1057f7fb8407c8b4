using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ResNetRealtime.Runtime.Tensors;

/// <summary>A float32 tensor read from a .npy file: C-order data and its shape.</summary>
internal sealed class NpyArray
{
    public NpyArray(int[] shape, float[] data) { Shape = shape; Data = data; }
    public int[] Shape { get; }
    public float[] Data { get; }
    public string ShapeText => Npy.ShapeText(Shape);
}

/// <summary>
/// NumPy .npy files (format versions 1.0–3.0). Write: little-endian float32, C order, version 1.0.
/// Read: float32 or float64 (converted to float32), little-endian, fortran_order False only.
/// Anything else is rejected with an <see cref="InvalidDataException"/> naming the file and what was found.
/// </summary>
internal static class Npy
{
    // Not a u8 literal: "\x93" there would be UTF-8 encoded as two bytes.
    static ReadOnlySpan<byte> Magic => new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var fs = File.OpenRead(path);
        return Read(fs, path);
    }

    public static NpyArray Read(Stream stream, string name = "stream")
    {
        Span<byte> pre = stackalloc byte[10];
        if (ReadFully(stream, pre) < 8 || !pre[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{name}: not a .npy file (missing \\x93NUMPY magic)");
        int major = pre[6];
        long headerLen;
        if (major == 1)
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..10]);
        else if (major is 2 or 3)
        {
            Span<byte> more = stackalloc byte[2];
            if (ReadFully(stream, more) != 2) throw new InvalidDataException($"{name}: truncated .npy header (version {major}.{pre[7]} needs a 4-byte header length)");
            Span<byte> len = stackalloc byte[4];
            pre[8..10].CopyTo(len); more.CopyTo(len[2..]);
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(len);   // as unsigned: 0xFFFFFFF0 stays positive
        }
        else throw new InvalidDataException($"{name}: unsupported .npy format version {major}.{pre[7]}");
        // Bounded by what the file can hold (when the stream knows its length) and by 1 MB: a real header is ~128 bytes.
        long left = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
        if (headerLen <= 0 || headerLen > 1 << 20 || headerLen > left)
            throw new InvalidDataException($"{name}: bad .npy header length {headerLen} (0x{headerLen:X}): " +
                                           (headerLen > left ? $"the file has only {left} bytes after the preamble" : "expected 1 byte to 1 MB"));
        var hb = ReadExactly(stream, headerLen) ?? throw new InvalidDataException($"{name}: truncated .npy header");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb).Trim();

        string descr = DictValue(header, "descr", name);
        string fortran = DictValue(header, "fortran_order", name);
        string shapeText = DictValue(header, "shape", name);
        descr = descr.Trim('\'', '"');
        if (fortran != "False")
            throw new InvalidDataException($"{name}: fortran_order={fortran}; only C-order arrays are supported (use np.ascontiguousarray)");
        int elemSize = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            _ => throw new InvalidDataException($"{name}: dtype '{descr}' is not supported; use float32 ('<f4') or float64 ('<f8')"),
        };
        int[] shape = ParseShape(shapeText, name);
        // Checked product, stopped at the first overflow: 65536^4 must not wrap to 0 elements.
        long count = 1;
        const long MaxElements = int.MaxValue / 8;   // the float[] and the f8 byte buffer must both fit in an array
        foreach (var d in shape)
        {
            count *= d;   // d ≤ int.MaxValue and count ≤ MaxElements before this: no long overflow
            if (count > MaxElements)
                throw new InvalidDataException($"{name}: array of shape {ShapeText(shape)} is too large (over {MaxElements} elements)");
        }
        long need = count * elemSize;
        if (stream.CanSeek && need > stream.Length - stream.Position)   // before allocating what the file cannot fill
            throw new InvalidDataException($"{name}: truncated data: shape {ShapeText(shape)} needs {need} bytes of {descr}, file has {stream.Length - stream.Position}");
        var raw = ReadExactly(stream, need)
            ?? throw new InvalidDataException($"{name}: truncated data: shape {ShapeText(shape)} needs {need} bytes of {descr}, the stream ended before");
        var data = new float[count];
        if (elemSize == 4)
        {
            if (BitConverter.IsLittleEndian) Buffer.BlockCopy(raw, 0, data, 0, raw.Length);
            else for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4));
        }
        else
            for (int i = 0; i < data.Length; i++) data[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(i * 8));
        return new NpyArray(shape, data);
    }

    public static void Write(string path, ReadOnlySpan<float> data, ReadOnlySpan<int> shape)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var fs = File.Create(path);
        Write(fs, data, shape);
    }

    public static void Write(Stream stream, ReadOnlySpan<float> data, ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {ShapeText(shape.ToArray())}");
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"shape {ShapeText(shape.ToArray())} holds {count} elements but data has {data.Length}");
        var sb = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.Length; i++) sb.Append(shape[i].ToString(CultureInfo.InvariantCulture)).Append(shape.Length == 1 || i < shape.Length - 1 ? ", " : "");
        sb.Append("), }");
        // Total of magic(6)+version(2)+len(2)+header must be a multiple of 64, header ends in '\n'.
        int unpadded = 10 + sb.Length + 1;
        sb.Append(' ', (64 - unpadded % 64) % 64).Append('\n');
        var header = Encoding.Latin1.GetBytes(sb.ToString());
        stream.Write(Magic);
        stream.WriteByte(1); stream.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
        stream.Write(len);
        stream.Write(header);
        if (BitConverter.IsLittleEndian) stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
        else
        {
            Span<byte> b = stackalloc byte[4];
            foreach (var v in data) { BinaryPrimitives.WriteSingleLittleEndian(b, v); stream.Write(b); }
        }
    }

    public static string ShapeText(int[] shape) => "[" + string.Join(",", shape) + "]";

    static string DictValue(string header, string key, string name)
    {
        int k = header.IndexOf("'" + key + "'", StringComparison.Ordinal);
        if (k < 0) k = header.IndexOf("\"" + key + "\"", StringComparison.Ordinal);
        if (k < 0) throw new InvalidDataException($"{name}: .npy header has no '{key}': {Shown(header)}");
        int colon = header.IndexOf(':', k);
        if (colon < 0) throw new InvalidDataException($"{name}: malformed .npy header: {Shown(header)}");
        int start = colon + 1;
        while (start < header.Length && header[start] == ' ') start++;
        int end;
        if (start < header.Length && header[start] == '(')
            end = header.IndexOf(')', start) + 1;
        else if (start < header.Length && header[start] is '\'' or '"')
            end = header.IndexOf(header[start], start + 1) + 1;
        else
        {
            end = start;
            while (end < header.Length && header[end] != ',' && header[end] != '}') end++;
        }
        if (end <= start) throw new InvalidDataException($"{name}: malformed .npy header: {Shown(header)}");
        return header[start..end].Trim();
    }

    static int[] ParseShape(string text, string name)
    {
        if (!text.StartsWith('(') || !text.EndsWith(')')) throw new InvalidDataException($"{name}: bad .npy shape '{text}'");
        var parts = text[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw new InvalidDataException($"{name}: bad .npy shape '{text}'");
        return shape;
    }

    /// <summary>
    /// Exactly <paramref name="count"/> bytes, or null when the stream ends first. A stream that cannot say its length
    /// (a pipe) is read in chunks that grow as data arrives, so a header claiming gigabytes allocates only what
    /// actually came (the fuzzer's non-seekable reads allocated a header's 16 MB claim up front).
    /// </summary>
    static byte[] ReadExactly(Stream s, long count)
    {
        if (s.CanSeek) { var all = new byte[count]; return ReadFully(s, all) == count ? all : null; }
        var buf = new byte[Math.Min(count, 1 << 16)];
        long have = 0;
        while (have < count)
        {
            if (have == buf.Length) Array.Resize(ref buf, (int)Math.Min(count, 2L * buf.Length));
            int n = s.Read(buf, (int)have, buf.Length - (int)have);
            if (n == 0) return null;
            have += n;
        }
        return buf;
    }

    /// <summary>A header as shown in a one-line error: control characters (a flipped byte can make a newline) as '?', at most 200 characters.</summary>
    static string Shown(string header)
    {
        var t = new string(header.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return t.Length <= 200 ? t : t[..200] + "…";
    }

    static int ReadFully(Stream s, Span<byte> buf)
    {
        int total = 0;
        while (total < buf.Length)
        {
            int n = s.Read(buf[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
