using System.Buffers.Binary;
using System.Text;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Tests.Fuzz;

/// <summary>
/// Mutated .npy files around a valid float32 [1,C,H,W] one: truncations, byte flips in the preamble and
/// header, header lengths up to 0xFFFFFFF0, shapes with zero, negative, huge and overflowing dims (65536⁴
/// wraps to 0 in 64-bit unchecked arithmetic), other dtypes, fortran order, other format versions.
/// </summary>
static class NpyMutations
{
    public static byte[] Valid(int c, int h, int w, Random r)
    {
        var x = new float[c * h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        using var s = new MemoryStream();
        Npy.Write(s, x, new[] { 1, c, h, w });
        return s.ToArray();
    }

    public static Mutant Mutate(byte[] valid, Random r)
    {
        int headerEnd = 10 + BinaryPrimitives.ReadUInt16LittleEndian(valid.AsSpan(8));
        switch (r.Next(7))
        {
            case 0:
            {
                int at = r.Next(2) == 0 ? r.Next(Math.Min(valid.Length, headerEnd + 8)) : r.Next(valid.Length);
                return new Mutant($"npy truncated at {at} of {valid.Length}", valid[..at]);
            }
            case 1:
            {
                var b = (byte[])valid.Clone();
                int at = r.Next(headerEnd);
                b[at] = (byte)r.Next(256);
                return new Mutant($"npy header byte {at} = {b[at]:X2}", b);
            }
            case 2:
            {
                uint[] lens = [0, 1, 0xFFFF, 0xFFFFFFF0, 0x7FFFFFFF, (uint)(headerEnd - 10 + 1), (uint)r.Next(1 << 21)];
                uint len = lens[r.Next(lens.Length)];
                byte major = (byte)(len > 0xFFFF ? 2 + r.Next(2) : 1 + r.Next(3));
                return new Mutant($"npy v{major} header length 0x{len:X}", WithPreamble(valid[10..], major, len));
            }
            default:
                return WithHeader(valid, headerEnd, r);
        }
    }

    static readonly string[] Dims = ["0", "-1", "1", "3", "16", "65536", "2147483647", "2147483648", "99999999999999999999", "1.5", "", "x"];

    /// <summary>A new header dict (shape, descr, fortran_order varied), data kept or resized.</summary>
    static Mutant WithHeader(byte[] valid, int headerEnd, Random r)
    {
        string shape = r.Next(4) switch
        {
            0 => "(65536, 65536, 65536, 65536)",
            1 => "(" + string.Join(", ", Enumerable.Range(0, r.Next(6)).Select(_ => Dims[r.Next(Dims.Length)])) + (r.Next(3) == 0 ? ",)" : ")"),
            2 => "(1, 3, 16, 16)",
            _ => Dims[r.Next(Dims.Length)],
        };
        string descr = r.Next(3) == 0 ? Pick(["<f8", ">f4", "<i4", "|u1", "<f2", "f4", "<c8", "O"], r) : "<f4";
        string fortran = r.Next(6) == 0 ? "True" : "False";
        string dict = r.Next(8) == 0 ? Pick(["{}", "not a dict", "{'descr': '<f4', 'shape': (1,3,16,16)}", "{'shape': (1,3,16,16), 'fortran_order': False, 'descr': '<f4', }"], r)
                                     : $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}";
        var header = Encoding.Latin1.GetBytes(dict.PadRight(118) + "\n");
        var data = valid[headerEnd..];
        if (r.Next(4) == 0) data = data[..r.Next(data.Length)];
        else if (r.Next(4) == 0) data = [.. data, .. data];
        return new Mutant($"npy header \"{dict}\", {data.Length} data bytes", WithPreamble([.. header, .. data], 1, (uint)header.Length));
    }

    static byte[] WithPreamble(byte[] rest, byte major, uint headerLen)
    {
        var b = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        if (major == 1) { b.Add((byte)headerLen); b.Add((byte)(headerLen >> 8)); }
        else for (int i = 0; i < 4; i++) b.Add((byte)(headerLen >> (8 * i)));
        b.AddRange(rest);
        return b.ToArray();
    }

    static string Pick(string[] s, Random r) => s[r.Next(s.Length)];
}
