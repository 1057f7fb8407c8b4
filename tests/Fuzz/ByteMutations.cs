namespace ResNetRealtime.Tests.Fuzz;

/// <summary>One fuzz input: what was done to the seed (printed with every finding, so a case can be read
/// without replaying it) and the resulting bytes.</summary>
public readonly record struct Mutant(string What, byte[] Bytes);

/// <summary>
/// Mutations that know nothing of ONNX beyond the protobuf wire format: truncations, byte flips, wrong
/// field tags, splices, and well-formed protobufs (or other files) that are not ONNX models.
/// Byte positions are half uniform, half drawn from the first 4 KB and last 2 KB: our writer emits a
/// ModelProto's fields in field order, so the graph's nodes and attributes sit at the start and the
/// inputs, outputs and metadata at the end, while the middle is mostly weight bytes.
/// </summary>
static class ByteMutations
{
    public static Mutant Truncate(byte[] seed, Random r)
    {
        int at = Position(seed.Length, r);
        return new Mutant($"truncated at byte {at} of {seed.Length}", seed[..at]);
    }

    public static Mutant FlipBytes(byte[] seed, Random r)
    {
        var b = (byte[])seed.Clone();
        int n = 1 + r.Next(8);
        var where = new List<string>();
        for (int i = 0; i < n; i++)
        {
            int at = Position(b.Length, r);
            byte old = b[at];
            b[at] = r.Next(3) switch { 0 => (byte)(old ^ (1 << r.Next(8))), 1 => (byte)r.Next(256), _ => (byte)(old ^ 0xFF) };
            where.Add($"{at}:{old:X2}->{b[at]:X2}");
        }
        return new Mutant($"bytes flipped {string.Join(" ", where)}", b);
    }

    /// <summary>Overwrites or inserts a field tag: a valid field number with a wire type the field does not have,
    /// the deprecated group types (3, 4), the undefined ones (6, 7), or field number 0.</summary>
    public static Mutant WrongTag(byte[] seed, Random r)
    {
        int at = Position(seed.Length, r);
        int field = r.Next(4) == 0 ? 0 : 1 + r.Next(r.Next(2) == 0 ? 16 : 5000);
        var tag = Varint(((ulong)(uint)field << 3) | (uint)r.Next(8));
        bool insert = r.Next(2) == 0;
        var b = new List<byte>(seed.Length + tag.Length);
        b.AddRange(seed.AsSpan(0, at));
        b.AddRange(tag);
        b.AddRange(seed.AsSpan(insert ? at : Math.Min(seed.Length, at + tag.Length)));
        return new Mutant($"tag field {field} wire {tag[0] & 7} {(insert ? "inserted" : "written")} at byte {at}", b.ToArray());
    }

    /// <summary>The seed followed by a piece of itself: protobuf merges repeated fields, so this is a
    /// well-formed model with duplicated nodes, initializers and graph inputs/outputs.</summary>
    public static Mutant Splice(byte[] seed, Random r)
    {
        int from = r.Next(2) == 0 ? 0 : Position(seed.Length, r);
        return new Mutant($"seed + its bytes from {from}", [.. seed, .. seed.AsSpan(from)]);
    }

    /// <summary>Valid protobuf that is not ONNX (random fields of every wire type, nested messages), or other files.</summary>
    public static Mutant NotOnnx(Random r)
    {
        switch (r.Next(5))
        {
            case 0: return new Mutant("PNG signature + bytes", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. RandomBytes(r, 64)]);
            case 1: return new Mutant("text", System.Text.Encoding.UTF8.GetBytes("{\"model\": \"resnet\", \"ir_version\": 8}\n"));
            case 2: return new Mutant("random bytes", RandomBytes(r, 1 + r.Next(512)));
            default:
                var b = new List<byte>();
                RandomMessage(b, r, depth: 0);
                return new Mutant($"random protobuf of {b.Count} bytes", b.ToArray());
        }
    }

    static void RandomMessage(List<byte> b, Random r, int depth)
    {
        int fields = 1 + r.Next(12);
        for (int i = 0; i < fields; i++)
        {
            int field = 1 + r.Next(20);   // 1..20 covers every ModelProto/GraphProto field number
            switch (r.Next(depth < 3 ? 4 : 3))
            {
                case 0: b.AddRange(Varint((ulong)field << 3)); b.AddRange(Varint(RandomVarint(r))); break;
                case 1: b.AddRange(Varint(((ulong)field << 3) | 1)); b.AddRange(RandomBytes(r, 8)); break;
                case 2: b.AddRange(Varint(((ulong)field << 3) | 5)); b.AddRange(RandomBytes(r, 4)); break;
                default:
                    var inner = new List<byte>();
                    if (r.Next(2) == 0) RandomMessage(inner, r, depth + 1); else inner.AddRange(RandomBytes(r, r.Next(40)));
                    b.AddRange(Varint(((ulong)field << 3) | 2)); b.AddRange(Varint((ulong)inner.Count)); b.AddRange(inner);
                    break;
            }
        }
    }

    static ulong RandomVarint(Random r) => r.Next(4) switch
    {
        0 => (ulong)r.Next(16),
        1 => (ulong)r.NextInt64(),
        2 => ulong.MaxValue - (ulong)r.Next(4),
        _ => (ulong)r.Next(1 << 20),
    };

    static byte[] RandomBytes(Random r, int n) { var b = new byte[n]; r.NextBytes(b); return b; }

    public static byte[] Varint(ulong v)
    {
        var b = new List<byte>(10);
        do { byte x = (byte)(v & 0x7F); v >>= 7; b.Add(v != 0 ? (byte)(x | 0x80) : x); } while (v != 0);
        return b.ToArray();
    }

    public static int Position(int length, Random r)
    {
        if (length <= 1) return 0;
        return r.Next(4) switch
        {
            0 or 1 => r.Next(length),
            2 => r.Next(Math.Min(length, 4096)),
            _ => length - 1 - r.Next(Math.Min(length, 2048)),
        };
    }
}
