using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace ResNetRealtime.Training.Data;

/// <summary>
/// The demo's recorded frames, format "rr-frames-v1": DIR/info.json
/// {"format":"rr-frames-v1","width":W,"height":H,"channels":3,"count":N,"classes":["cube",...]} and
/// DIR/frames.bin = N records of [1 byte label][H·W·3 bytes RGB, interleaved, rows top to bottom].
/// The file is memory-mapped: nothing is read up front except a pass over the label bytes (to reject
/// an out-of-range label at load time, with its record number), and reads never spawn a process.
/// </summary>
public sealed class FramesDataset : ImageDataset, IDisposable
{
    public const string Format = "rr-frames-v1";
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly byte[] _labels;
    readonly long _record;

    FramesDataset(string dir, MemoryMappedFile map, MemoryMappedViewAccessor view, byte[] labels, int h, int w, string[] classes)
        : base(labels.Length, 3, h, w, classes)
    {
        Directory = dir; _map = map; _view = view; _labels = labels;
        _record = 1 + (long)h * w * 3;
    }

    public string Directory { get; }

    public static FramesDataset Open(string dir)
    {
        var infoPath = Path.Combine(dir, "info.json");
        var binPath = Path.Combine(dir, "frames.bin");
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"frames directory not found: {dir}");
        if (!File.Exists(infoPath)) throw new FileNotFoundException($"{dir}: missing info.json (expected an {Format} recording)", infoPath);
        if (!File.Exists(binPath)) throw new FileNotFoundException($"{dir}: missing frames.bin (expected an {Format} recording)", binPath);
        int w, h, c, n;
        string[] classes;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(infoPath));
            var root = doc.RootElement;
            string format = root.TryGetProperty("format", out var f) ? f.GetString() : null;
            if (format != Format) throw new InvalidDataException($"{infoPath}: format is '{format}', expected '{Format}'");
            w = root.GetProperty("width").GetInt32();
            h = root.GetProperty("height").GetInt32();
            c = root.GetProperty("channels").GetInt32();
            n = root.GetProperty("count").GetInt32();
            classes = root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()).ToArray();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{infoPath}: malformed {Format} info ({e.Message.ReplaceLineEndings(" ")})");
        }
        if (c != 3) throw new InvalidDataException($"{infoPath}: channels is {c}, {Format} stores 3 (RGB)");
        if (w < 1 || h < 1 || n < 0) throw new InvalidDataException($"{infoPath}: bad geometry {n} frames of {w}x{h}");
        if (classes.Length == 0 || classes.Length > 256) throw new InvalidDataException($"{infoPath}: {classes.Length} classes (need 1 to 256: labels are one byte)");
        long record = 1 + (long)h * w * 3;
        long expected = record * n;
        long actual = new FileInfo(binPath).Length;
        if (actual != expected) throw new InvalidDataException($"{binPath}: {actual} bytes, expected {expected} for {n} frames of {w}x{h}x3 (+1 label byte each)");
        if (n == 0) throw new InvalidDataException($"{dir}: the recording has no frames");
        var map = MemoryMappedFile.CreateFromFile(binPath, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = view.ReadByte(i * record);
            if (labels[i] >= classes.Length)
            {
                view.Dispose(); map.Dispose();
                throw new InvalidDataException($"{binPath}: frame {i} has label {labels[i]}, out of range for {classes.Length} classes");
            }
        }
        return new FramesDataset(dir, map, view, labels, h, w, classes);
    }

    public override int Label(int index) { CheckIndex(index); return _labels[index]; }

    public override unsafe void CopyImage(int index, Span<byte> chw)
    {
        CheckIndex(index);
        int plane = Height * Width;
        byte* basePtr = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        try
        {
            // HWC interleaved RGB → planar CHW.
            byte* src = basePtr + _view.PointerOffset + index * _record + 1;
            for (int i = 0; i < plane; i++)
            {
                chw[i] = src[3 * i];
                chw[plane + i] = src[3 * i + 1];
                chw[2 * plane + i] = src[3 * i + 2];
            }
        }
        finally
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }

    /// <summary>Writes a recording (used by tests and tools; the demo has its own writer).</summary>
    public static void Write(string dir, int width, int height, string[] classes, IReadOnlyList<(byte Label, byte[] Rgb)> frames)
    {
        System.IO.Directory.CreateDirectory(dir);
        using (var s = File.Create(Path.Combine(dir, "frames.bin")))
            foreach (var (label, rgb) in frames)
            {
                if (rgb.Length != width * height * 3) throw new ArgumentException($"frame of {rgb.Length} bytes, expected {width * height * 3}");
                s.WriteByte(label);
                s.Write(rgb);
            }
        var info = new Dictionary<string, object>
        {
            ["format"] = Format, ["width"] = width, ["height"] = height, ["channels"] = 3, ["count"] = frames.Count, ["classes"] = classes,
        };
        File.WriteAllText(Path.Combine(dir, "info.json"), JsonSerializer.Serialize(info));
    }
}
