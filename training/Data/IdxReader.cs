using System.IO.Compression;

namespace ResNetRealtime.Training.Data;

/// <summary>
/// IDX files (MNIST, Fashion-MNIST), plain or gzipped: a big-endian header — 0x00 0x00, a type byte
/// (0x08 = unsigned byte, the only type these data sets use), the number of dimensions — then one
/// big-endian int32 per dimension, then the values. Images are [N, H, W] (one channel), labels [N].
/// </summary>
public static class IdxReader
{
    public static readonly string[] FashionMnistClasses =
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
    public static readonly string[] DigitClasses = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };

    /// <summary>Reads an IDX file (".gz" decompressed): its dimensions and its bytes.</summary>
    public static (int[] Dims, byte[] Data) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            Span<byte> head = stackalloc byte[4];
            s.ReadExactly(head);
            if (head[0] != 0 || head[1] != 0) throw new InvalidDataException($"{path}: not an IDX file (magic {head[0]:x2} {head[1]:x2}, expected 00 00)");
            if (head[2] != 0x08) throw new InvalidDataException($"{path}: IDX value type 0x{head[2]:x2} is not supported (only 0x08, unsigned byte)");
            int rank = head[3];
            if (rank < 1 || rank > 4) throw new InvalidDataException($"{path}: IDX rank {rank} (expected 1 to 4)");
            var dims = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++)
            {
                s.ReadExactly(head);
                dims[i] = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
                if (dims[i] < 0) throw new InvalidDataException($"{path}: negative IDX dimension {dims[i]}");
                total *= dims[i];
            }
            if (total > Array.MaxLength) throw new InvalidDataException($"{path}: IDX dimensions [{string.Join(",", dims)}] are too large");
            var data = new byte[total];
            s.ReadExactly(data);
            return (dims, data);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated IDX file");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})");
        }
    }

    /// <summary>An image file [N,H,W] and a label file [N] as one dataset.</summary>
    public static ArrayDataset Load(string imagesPath, string labelsPath, string[] classes)
    {
        var (idims, pixels) = Read(imagesPath);
        var (ldims, labels) = Read(labelsPath);
        if (idims.Length != 3) throw new InvalidDataException($"{imagesPath}: IDX images must be [N, H, W], got [{string.Join(",", idims)}]");
        if (ldims.Length != 1) throw new InvalidDataException($"{labelsPath}: IDX labels must be [N], got [{string.Join(",", ldims)}]");
        if (ldims[0] != idims[0]) throw new InvalidDataException($"{imagesPath} has {idims[0]} images but {labelsPath} has {ldims[0]} labels");
        if (classes == null)
        {
            int max = labels.Length == 0 ? 0 : labels.Max();
            classes = Enumerable.Range(0, max + 1).Select(i => i.ToString()).ToArray();
        }
        return new ArrayDataset(pixels, labels, 1, idims[1], idims[2], classes, imagesPath);
    }

    /// <summary>
    /// The train and test splits of a directory holding the four standard files
    /// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
    /// each optionally ".gz").
    /// </summary>
    public static (ImageDataset Train, ImageDataset Test) LoadDirectory(string dir, string[] classes)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"IDX data directory not found: {dir}");
        string Find(string stem)
        {
            foreach (var name in new[] { stem, stem + ".gz" })
            {
                var p = Path.Combine(dir, name);
                if (File.Exists(p)) return p;
            }
            throw new FileNotFoundException($"{dir}: missing {stem} (or {stem}.gz)");
        }
        var train = Load(Find("train-images-idx3-ubyte"), Find("train-labels-idx1-ubyte"), classes);
        var test = Load(Find("t10k-images-idx3-ubyte"), Find("t10k-labels-idx1-ubyte"), train.Classes);
        if (test.Height != train.Height || test.Width != train.Width)
            throw new InvalidDataException($"{dir}: test images are {test.Height}x{test.Width}, train images {train.Height}x{train.Width}");
        return (train, test);
    }
}
