namespace ResNetRealtime.Training.Data;

/// <summary>
/// CIFAR-10 / CIFAR-100 "binary version" batches. CIFAR-10: data_batch_1..5.bin and test_batch.bin,
/// records of [label byte][3072 bytes: 1024 R, 1024 G, 1024 B, rows of 32] (already CHW);
/// class names in batches.meta.txt. CIFAR-100: train.bin and test.bin, records of
/// [coarse label][fine label][3072 bytes]; the fine label is used; names in fine_label_names.txt.
/// The directory may be the archive's top folder or the one inside it (cifar-10-batches-bin/, cifar-100-binary/).
/// </summary>
public static class CifarReader
{
    const int Side = 32, Pixels = 3 * Side * Side;

    public static readonly string[] Cifar10Classes =
        { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    public static (ImageDataset Train, ImageDataset Test) LoadDirectory(string dir, bool cifar100)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"CIFAR data directory not found: {dir}");
        var inner = Path.Combine(dir, cifar100 ? "cifar-100-binary" : "cifar-10-batches-bin");
        if (Directory.Exists(inner)) dir = inner;
        int classCount = cifar100 ? 100 : 10;
        string[] classes = ReadNames(Path.Combine(dir, cifar100 ? "fine_label_names.txt" : "batches.meta.txt"), classCount)
                           ?? (cifar100 ? Enumerable.Range(0, 100).Select(i => "class_" + i).ToArray() : Cifar10Classes);
        string[] trainFiles = cifar100 ? new[] { "train.bin" } : Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
        string[] testFiles = { cifar100 ? "test.bin" : "test_batch.bin" };
        return (Load(dir, trainFiles, cifar100, classes), Load(dir, testFiles, cifar100, classes));
    }

    static string[] ReadNames(string path, int count)
    {
        if (!File.Exists(path)) return null;
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != count) throw new InvalidDataException($"{path}: {names.Length} class names, expected {count}");
        return names;
    }

    static ArrayDataset Load(string dir, string[] files, bool cifar100, string[] classes)
    {
        int record = (cifar100 ? 2 : 1) + Pixels;
        var paths = files.Select(f => Path.Combine(dir, f)).ToArray();
        long total = 0;
        foreach (var p in paths)
        {
            if (!File.Exists(p)) throw new FileNotFoundException($"{dir}: missing CIFAR batch {Path.GetFileName(p)}", p);
            long len = new FileInfo(p).Length;
            if (len == 0 || len % record != 0) throw new InvalidDataException($"{p}: {len} bytes is not a whole number of {record}-byte CIFAR records");
            total += len / record;
        }
        var pixels = new byte[total * Pixels];
        var labels = new byte[total];
        long n = 0;
        var rec = new byte[record];
        foreach (var p in paths)
        {
            using var s = new BufferedStream(File.OpenRead(p), 1 << 20);
            long count = new FileInfo(p).Length / record;
            for (long i = 0; i < count; i++, n++)
            {
                s.ReadExactly(rec);
                int label = cifar100 ? rec[1] : rec[0];
                if (label >= classes.Length) throw new InvalidDataException($"{p}: record {i} has label {label}, out of range for {classes.Length} classes");
                labels[n] = (byte)label;
                rec.AsSpan(record - Pixels).CopyTo(pixels.AsSpan((int)(n * Pixels), Pixels));
            }
        }
        return new ArrayDataset(pixels, labels, 3, Side, Side, classes, dir);
    }
}
