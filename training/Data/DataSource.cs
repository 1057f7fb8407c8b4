namespace ResNetRealtime.Training.Data;

/// <summary>
/// Resolves <c>--data KIND:PATH</c> to train and test splits plus the normalisation constants.
/// KIND: idx | mnist | fashion-mnist (an IDX directory), cifar10 | cifar100 (binary batches),
/// folder (one sub-folder per class), frames (the demo's rr-frames-v1 recording).
/// Mean/std are measured on the training split (after --size and --limit) so every kind, including
/// folders and recordings, gets constants that fit it; they are stored in the checkpoint and the
/// exported model, and a resumed run reuses the stored ones.
/// </summary>
public sealed class DataSource : IDisposable
{
    public static readonly string[] Kinds = { "idx", "mnist", "fashion-mnist", "cifar10", "cifar100", "folder", "frames" };

    public string Kind { get; private init; }
    public string Path { get; private init; }
    public ImageDataset Train { get; private init; }
    public ImageDataset Test { get; private init; }
    public float[] Mean { get; set; }
    public float[] Std { get; set; }
    public string[] Classes => Train.Classes;
    public int Channels => Train.Channels;
    public int Height => Train.Height;
    public int Width => Train.Width;

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the data set: plain <c>--data fashion-mnist</c> reads it.</summary>
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>Splits "KIND:PATH" (the kind is everything before the first ':'); plain "fashion-mnist" is Debian's copy.</summary>
    public static (string Kind, string Path) ParseSpec(string spec)
    {
        if (string.Equals(spec, "fashion-mnist", StringComparison.OrdinalIgnoreCase)) return ("fashion-mnist", DebianFashionMnist);
        int colon = spec?.IndexOf(':') ?? -1;
        if (colon <= 0 || colon == spec.Length - 1)
            throw new ArgumentException($"--data must be KIND:PATH with KIND one of {string.Join(", ", Kinds)}, or plain fashion-mnist (got '{spec}')");
        var kind = spec[..colon].ToLowerInvariant();
        if (!Kinds.Contains(kind)) throw new ArgumentException($"unknown data kind '{kind}' in '{spec}' (expected one of {string.Join(", ", Kinds)})");
        return (kind, spec[(colon + 1)..]);
    }

    /// <param name="size">Square image side to train at; 0 = the data set's own size (folders default to 64).</param>
    /// <param name="limit">Use only the first N training and N/5 (at least 1) test images; 0 = all.</param>
    /// <param name="perClass">Use only the first N training images of each class (after <paramref name="limit"/>); the test split stays whole; 0 = all.</param>
    /// <param name="channels">0 = the data set's own; 3 on a grey set copies the grey plane to R, G and B (a pretrained RGB backbone
    /// on Fashion-MNIST); any other change of channel count is refused.</param>
    public static DataSource Load(string spec, int size = 0, int limit = 0, int perClass = 0, int channels = 0)
    {
        var (kind, path) = ParseSpec(spec);
        if (kind == "fashion-mnist" && System.IO.Path.TrimEndingDirectorySeparator(path) == DebianFashionMnist && !Directory.Exists(DebianFashionMnist))
            throw new DirectoryNotFoundException($"{spec}: {DebianFashionMnist} not found; install Debian's dataset-fashion-mnist package " +
                                                 "(./rr train installs it itself), or give fashion-mnist:PATH to your own copy");
        var owned = new List<IDisposable>();
        (ImageDataset train, ImageDataset test) = kind switch
        {
            "idx" => IdxReader.LoadDirectory(path, null),
            "mnist" => IdxReader.LoadDirectory(path, IdxReader.DigitClasses),
            "fashion-mnist" => IdxReader.LoadDirectory(path, IdxReader.FashionMnistClasses),
            "cifar10" => CifarReader.LoadDirectory(path, cifar100: false),
            "cifar100" => CifarReader.LoadDirectory(path, cifar100: true),
            "folder" => FolderReader.LoadDirectory(path, size > 0 ? size : 64),
            "frames" => FramesSplits(path, owned),
            _ => throw new InvalidOperationException(kind),
        };
        if (limit > 0)
        {
            train = SubsetDataset.Take(train, limit);
            test = SubsetDataset.Take(test, Math.Max(1, limit / 5));
        }
        if (perClass > 0) train = PerClass(train, perClass, spec);
        if (channels > 0 && channels != train.Channels)
        {
            if (!(channels == 3 && train.Channels == 1))
                throw new ArgumentException($"{spec}: has {train.Channels} channel(s); only grey (1) to RGB (3) can be converted, not to {channels}");
            train = new GreyToRgbDataset(train);
            test = new GreyToRgbDataset(test);
        }
        if (size > 0 && (train.Height != size || train.Width != size))
        {
            train = new ResizedDataset(train, size, size);
            test = new ResizedDataset(test, size, size);
        }
        if (train.Count == 0) throw new InvalidDataException($"{spec}: the training split is empty");
        if (test.Count == 0) throw new InvalidDataException($"{spec}: the test split is empty");
        var (mean, std) = train.MeanStd();
        return new DataSource { Kind = kind, Path = path, Train = train, Test = test, Mean = mean, Std = std, _owned = owned };
    }

    List<IDisposable> _owned = new();

    /// <summary>Releases memory-mapped recordings.</summary>
    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }

    /// <summary>The first <paramref name="n"/> images of each class, in data-set order; a class with fewer is one clear error,
    /// since a table row "N per class" must mean N.</summary>
    static ImageDataset PerClass(ImageDataset ds, int n, string spec)
    {
        var taken = new int[ds.Classes.Length];
        var idx = new List<int>();
        for (int i = 0; i < ds.Count; i++)
        {
            int y = ds.Label(i);
            if (taken[y] < n) { taken[y]++; idx.Add(i); }
        }
        var shortOf = Enumerable.Range(0, taken.Length).Where(c => taken[c] < n).Select(c => $"{ds.Classes[c]} {taken[c]}").ToList();
        if (shortOf.Count > 0)
            throw new InvalidDataException($"{spec}: --per-class {n}, but the training split has fewer images of {string.Join(", ", shortOf)} (of {ds.Count} images)");
        return new SubsetDataset(ds, idx.ToArray());
    }

    /// <summary>A recording in DIR, with DIR/test/ as its test split if present, else every 10th frame held out.</summary>
    static (ImageDataset, ImageDataset) FramesSplits(string dir, List<IDisposable> owned)
    {
        var all = FramesDataset.Open(dir);
        owned.Add(all);
        var testDir = System.IO.Path.Combine(dir, "test");
        if (File.Exists(System.IO.Path.Combine(testDir, "info.json")))
        {
            var test = FramesDataset.Open(testDir);
            owned.Add(test);
            if (test.Width != all.Width || test.Height != all.Height || !test.Classes.SequenceEqual(all.Classes))
                throw new InvalidDataException($"{testDir}: test recording is {test.Width}x{test.Height} with classes [{string.Join(",", test.Classes)}], training one {all.Width}x{all.Height} [{string.Join(",", all.Classes)}]");
            return (all, test);
        }
        if (all.Count < 2) throw new InvalidDataException($"{dir}: {all.Count} frame(s) cannot be split into train and test");
        var testIdx = Enumerable.Range(0, all.Count).Where(i => i % 10 == 9).DefaultIfEmpty(all.Count - 1).ToArray();
        var trainIdx = Enumerable.Range(0, all.Count).Except(testIdx).ToArray();
        return (new SubsetDataset(all, trainIdx), new SubsetDataset(all, testIdx));
    }
}
