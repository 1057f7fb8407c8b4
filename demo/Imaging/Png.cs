using System.Buffers.Binary;
using System.IO.Compression;

namespace ResNetRealtime.Demo.Imaging;

/// <summary>CRC-32 (ISO-HDLC, polynomial 0xEDB88320) as PNG chunks need it; table built once.</summary>
public static class Crc32
{
    static readonly uint[] Table = BuildTable();

    static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    /// <summary>Continues a running CRC (start with 0). Compute(0, "123456789") = 0xCBF43926.</summary>
    public static uint Compute(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = crc ^ 0xFFFFFFFFu;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}

/// <summary>A decoded 8-bit image: RGB (3) or RGBA (4) interleaved, rows top to bottom.</summary>
public sealed record PngImage(int Width, int Height, int Channels, byte[] Pixels);

/// <summary>
/// PNG encoder/decoder for 8-bit RGB and RGBA only (what screenshots need). The encoder writes
/// IHDR, one IDAT (zlib via System.IO.Compression.ZLibStream) and IEND, choosing per row the
/// Sub or None filter (Sub wins on smooth rendered content); the decoder handles all five filter
/// types so it can read files written by other encoders (ffmpeg) in tests. No interlacing,
/// no palettes, no 16-bit: those are rejected with a clear message.
/// </summary>
public static class Png
{
    static readonly byte[] Signature = { 137, 80, 78, 71, 13, 10, 26, 10 };

    /// <summary>Writes <paramref name="pixels"/> (rows of width*channels bytes, stride <paramref name="stride"/>).
    /// <paramref name="bottomUp"/>: rows are stored bottom first (as glReadPixels returns them).</summary>
    public static void Write(Stream output, ReadOnlySpan<byte> pixels, int width, int height, int channels, int stride = 0, bool bottomUp = false)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"PNG size must be positive (got {width}x{height})");
        if (channels != 3 && channels != 4) throw new ArgumentException($"PNG writer supports 3 or 4 channels (got {channels})");
        int row = width * channels;
        if (stride == 0) stride = row;
        if (stride < row || pixels.Length < (long)stride * (height - 1) + row)
            throw new ArgumentException($"pixel buffer of {pixels.Length} bytes is too small for {width}x{height}x{channels} with stride {stride}");

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;                                 // bit depth
        ihdr[9] = (byte)(channels == 3 ? 2 : 6);     // colour type: truecolour / truecolour+alpha
        ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;    // deflate, adaptive filtering, no interlace

        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var line = new byte[1 + row];
            var sub = new byte[1 + row];
            for (int y = 0; y < height; y++)
            {
                var src = pixels.Slice((bottomUp ? height - 1 - y : y) * stride, row);
                // Pick the filter with the smaller sum of absolute signed bytes (the PNG spec's heuristic).
                line[0] = 0; sub[0] = 1;
                long costNone = 0, costSub = 0;
                for (int i = 0; i < row; i++)
                {
                    byte v = src[i];
                    byte d = (byte)(v - (i >= channels ? src[i - channels] : 0));
                    line[1 + i] = v; sub[1 + i] = d;
                    costNone += Math.Abs((int)(sbyte)v); costSub += Math.Abs((int)(sbyte)d);
                }
                z.Write(costSub < costNone ? sub : line);
            }
        }

        output.Write(Signature);
        WriteChunk(output, "IHDR"u8, ihdr);
        WriteChunk(output, "IDAT"u8, raw.GetBuffer().AsSpan(0, (int)raw.Length));
        WriteChunk(output, "IEND"u8, ReadOnlySpan<byte>.Empty);
    }

    public static void WriteFile(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels, int stride = 0, bool bottomUp = false)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        // Encoded in memory, then replaced by rename: a full disk never leaves a truncated PNG behind.
        var encoded = new MemoryStream();
        Write(encoded, pixels, width, height, channels, stride, bottomUp);
        ResNetRealtime.Runtime.IO.AtomicFile.Write(path, encoded.WriteTo);
    }

    static void WriteChunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> b4 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b4, data.Length);
        s.Write(b4);
        s.Write(type);
        s.Write(data);
        uint crc = Crc32.Compute(Crc32.Compute(0, type), data);
        BinaryPrimitives.WriteUInt32BigEndian(b4, crc);
        s.Write(b4);
    }

    /// <summary>Decodes an 8-bit RGB/RGBA, non-interlaced PNG, verifying every chunk CRC.</summary>
    public static PngImage Read(Stream input)
    {
        var all = new MemoryStream();
        input.CopyTo(all);
        var buf = all.GetBuffer().AsSpan(0, (int)all.Length);
        if (buf.Length < 8 || !buf[..8].SequenceEqual(Signature)) throw new InvalidDataException("not a PNG file (bad signature)");
        int pos = 8, width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            if (pos + 12 > buf.Length) throw new InvalidDataException($"PNG truncated at byte {pos}");
            int len = BinaryPrimitives.ReadInt32BigEndian(buf[pos..]);
            var type = buf.Slice(pos + 4, 4);
            if (len < 0 || pos + 12 + len > buf.Length) throw new InvalidDataException($"PNG chunk length {len} at byte {pos} runs past the end");
            var data = buf.Slice(pos + 8, len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(buf[(pos + 8 + len)..]);
            uint want = Crc32.Compute(Crc32.Compute(0, type), data);
            string name = System.Text.Encoding.ASCII.GetString(type);
            if (crc != want) throw new InvalidDataException($"PNG chunk {name} CRC 0x{crc:X8} != computed 0x{want:X8}");
            switch (name)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    if (data[8] != 8 || (data[9] != 2 && data[9] != 6) || data[12] != 0)
                        throw new NotSupportedException($"PNG reader handles 8-bit RGB/RGBA non-interlaced only (depth {data[8]}, colour type {data[9]}, interlace {data[12]})");
                    channels = data[9] == 2 ? 3 : 4;
                    break;
                case "IDAT": idat.Write(data); break;
                case "IEND": end = true; break;
            }
            pos += 12 + len;
        }
        if (width <= 0 || height <= 0) throw new InvalidDataException("PNG has no IHDR");
        int row = width * channels;
        var raw = new byte[(long)(row + 1) * height];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.ReadExactly(raw);
        var px = new byte[row * height];
        for (int y = 0; y < height; y++)
        {
            byte f = raw[y * (row + 1)];
            var src = raw.AsSpan(y * (row + 1) + 1, row);
            var dst = px.AsSpan(y * row, row);
            var up = y > 0 ? px.AsSpan((y - 1) * row, row) : Span<byte>.Empty;
            for (int i = 0; i < row; i++)
            {
                int a = i >= channels ? dst[i - channels] : 0, b = y > 0 ? up[i] : 0, c = (i >= channels && y > 0) ? up[i - channels] : 0;
                int pred = f switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG row {y} has filter type {f} (0..4 allowed)"),
                };
                dst[i] = (byte)(src[i] + pred);
            }
        }
        return new PngImage(width, height, channels, px);
    }

    public static PngImage ReadFile(string path)
    {
        using var f = File.OpenRead(path);
        return Read(f);
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
