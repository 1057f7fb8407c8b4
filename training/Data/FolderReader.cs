using System.Diagnostics;

namespace ResNetRealtime.Training.Data;

/// <summary>
/// An image-folder data set: one sub-folder per class (sorted names = class order, like torchvision's
/// ImageFolder), PNG/JPEG/BMP/WebP images inside. With DIR/train/ and DIR/test/ (or DIR/val/) those
/// are the splits; otherwise every 10th image of each class (sorted by file name) is held out for test.
///
/// Decoding goes through ffmpeg (a real decoder), one process per class folder and image type — not
/// one per image: the files are listed for ffmpeg's concat demuxer, scaled to a fixed size and piped
/// back as raw RGB frames, which are checked to be exactly one frame per file.
/// </summary>
public static class FolderReader
{
    static readonly string[] Extensions = { ".png", ".jpg", ".jpeg", ".bmp", ".webp" };

    public static (ImageDataset Train, ImageDataset Test) LoadDirectory(string dir, int size)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"image folder not found: {dir}");
        if (size < 1) throw new ArgumentException($"image size must be >= 1 (got {size})");
        var trainDir = Path.Combine(dir, "train");
        var testDir = new[] { "test", "val" }.Select(n => Path.Combine(dir, n)).FirstOrDefault(Directory.Exists);
        if (Directory.Exists(trainDir) && testDir != null)
        {
            var classes = ClassNames(trainDir);
            var testClasses = ClassNames(testDir);
            var unknown = testClasses.Except(classes).ToArray();
            if (unknown.Length > 0) throw new InvalidDataException($"{testDir}: class folder(s) {string.Join(", ", unknown)} not in {trainDir}");
            return (Load(trainDir, classes, size), Load(testDir, classes, size));
        }
        var all = Load(dir, ClassNames(dir), size);
        var test = Enumerable.Range(0, all.Count).Where(i => HeldOut(i)).ToArray();
        var train = Enumerable.Range(0, all.Count).Where(i => !HeldOut(i)).ToArray();
        return (new SubsetDataset(all, train), new SubsetDataset(all, test));
        bool HeldOut(int i) => all.RankInClass[i] % 10 == 9;
    }

    static string[] ClassNames(string dir)
    {
        var names = Directory.GetDirectories(dir).Select(Path.GetFileName).Where(n => !n.StartsWith('.')).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (names.Length == 0) throw new InvalidDataException($"{dir}: no class folders (expected one sub-folder of images per class)");
        if (names.Length > 256) throw new InvalidDataException($"{dir}: {names.Length} class folders, at most 256 supported");
        return names;
    }

    /// <summary>A decoded folder tree plus each image's position within its class (for hold-out splits).</summary>
    sealed class FolderDataset : ImageDataset
    {
        readonly ArrayDataset _inner;
        public FolderDataset(ArrayDataset inner, int[] rank) : base(inner.Count, 3, inner.Height, inner.Width, inner.Classes)
        { _inner = inner; RankInClass = rank; }
        public int[] RankInClass { get; }
        public override int Label(int index) => _inner.Label(index);
        public override void CopyImage(int index, Span<byte> chw) => _inner.CopyImage(index, chw);
    }

    static FolderDataset Load(string dir, string[] classes, int size)
    {
        var pixels = new List<byte[]>();
        var labels = new List<byte>();
        var rank = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            var classDir = Path.Combine(dir, classes[c]);
            if (!Directory.Exists(classDir)) continue;   // a test split may lack a class
            var files = Directory.GetFiles(classDir)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new InvalidDataException($"{classDir}: no images ({string.Join("/", Extensions)})");
            // The concat demuxer needs one codec per list: decode each image type in its own run.
            var decoded = new byte[files.Length][];
            foreach (var group in files.Select((f, i) => (f, i)).GroupBy(t => NormalExt(t.f)))
            {
                var items = group.ToArray();
                var rgb = Decode(classDir, items.Select(t => t.f).ToArray(), size);
                int frame = size * size * 3;
                for (int k = 0; k < items.Length; k++) decoded[items[k].i] = ToChw(rgb.AsSpan(k * frame, frame), size);
            }
            for (int k = 0; k < files.Length; k++) { pixels.Add(decoded[k]); labels.Add((byte)c); rank.Add(k); }
        }
        if (labels.Count == 0) throw new InvalidDataException($"{dir}: no images found");
        int bytes = 3 * size * size;
        var all = new byte[(long)labels.Count * bytes];
        for (int i = 0; i < pixels.Count; i++) pixels[i].CopyTo(all, (long)i * bytes);
        return new FolderDataset(new ArrayDataset(all, labels.ToArray(), 3, size, size, classes, dir), rank.ToArray());
    }

    static string NormalExt(string f)
    {
        var e = Path.GetExtension(f).ToLowerInvariant();
        return e == ".jpeg" ? ".jpg" : e;
    }

    static byte[] ToChw(ReadOnlySpan<byte> hwc, int size)
    {
        int plane = size * size;
        var chw = new byte[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            chw[i] = hwc[3 * i];
            chw[plane + i] = hwc[3 * i + 1];
            chw[2 * plane + i] = hwc[3 * i + 2];
        }
        return chw;
    }

    /// <summary>Decodes <paramref name="files"/> (same type) with one ffmpeg process into size×size RGB24 frames.</summary>
    internal static byte[] Decode(string what, string[] files, int size)
    {
        var list = Path.Combine(Path.GetTempPath(), $"rr-folder-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        // concat list syntax: file 'path' with ' escaped as '\''.
        File.WriteAllLines(list, files.Select(f => "file '" + Path.GetFullPath(f).Replace("'", "'\\''") + "'"));
        try
        {
            var psi = new ProcessStartInfo("ffmpeg")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", list,
                                      "-vf", $"scale={size}:{size}:flags=bilinear,format=rgb24", "-fps_mode", "passthrough",
                                      "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1" })
                psi.ArgumentList.Add(a);
            Process p;
            try { p = Process.Start(psi); }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"image folders are decoded with ffmpeg, which could not be started ({e.Message}); install ffmpeg");
            }
            using (p)
            {
                var errTask = p.StandardError.ReadToEndAsync();
                using var ms = new MemoryStream();
                p.StandardOutput.BaseStream.CopyTo(ms);
                p.WaitForExit();
                string err = errTask.Result.Trim();
                long expected = (long)files.Length * size * size * 3;
                if (p.ExitCode != 0)
                    throw new InvalidDataException($"{what}: ffmpeg could not decode the images (exit {p.ExitCode}): {FirstLine(err)}");
                if (ms.Length != expected)
                    throw new InvalidDataException($"{what}: ffmpeg gave {ms.Length / (size * size * 3)} frames for {files.Length} images{(err.Length > 0 ? ": " + FirstLine(err) : "")}");
                return ms.ToArray();
            }
        }
        finally
        {
            File.Delete(list);
        }
    }

    static string FirstLine(string s) => s.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
}
