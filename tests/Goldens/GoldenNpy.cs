// Minimal .npy reader for the golden files: float32, little-endian, C order, format 1.0/2.0 only.
// (The runtime's full reader/writer is runtime/Tensors/Npy.cs, owned by the inference layer.)
using System.Text;

namespace ResNetRealtime.Tests.Goldens;

internal static class GoldenNpy
{
    public static (float[] data, long[] shape) Read(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY") throw new InvalidDataException($"{path}: not a .npy file");
        int headerLen = b[6] == 1 ? BitConverter.ToUInt16(b, 8) : BitConverter.ToInt32(b, 8);
        int offset = b[6] == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(b, offset, headerLen);
        if (!header.Contains("'descr': '<f4'") || !header.Contains("'fortran_order': False"))
            throw new InvalidDataException($"{path}: only little-endian float32 C-order arrays are supported, header {header.Trim()}");
        int s = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10;
        string dims = header[s..header.IndexOf(')', s)];
        long[] shape = dims.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        int start = offset + headerLen;
        var data = new float[(b.Length - start) / 4];
        Buffer.BlockCopy(b, start, data, 0, data.Length * 4);
        if (data.LongLength != shape.Aggregate(1L, (x, y) => x * y)) throw new InvalidDataException($"{path}: {data.Length} values for shape ({dims})");
        return (data, shape);
    }
}
