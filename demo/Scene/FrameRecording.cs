using ResNetRealtime.Runtime.IO;
using System.Text.Json;
using ResNetRealtime.Demo.Render;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Demo.Scene;

/// <summary>
/// The "rr-frames-v1" layout that the training app reads (keep it exactly):
///   DIR/info.json  {"format":"rr-frames-v1","width":W,"height":H,"channels":3,"count":N,"classes":[...]}
///   DIR/frames.bin N records of [1 byte label][H*W*3 bytes RGB, interleaved, rows top to bottom]
/// One sequential file of fixed-size records: training reads it with one read per batch, no decoding.
/// </summary>
public static class FrameRecording
{
    public const string Format = "rr-frames-v1";

    public sealed record Info(string format, int width, int height, int channels, int count, string[] classes, ulong seed);

    /// <summary>
    /// Renders <paramref name="count"/> independent scene samples at <paramref name="size"/>×<paramref name="size"/>
    /// into <paramref name="dir"/> with the current GL context. Returns the per-class counts.
    /// <paramref name="live"/>: the first <paramref name="count"/> frames of the live animation instead (what
    /// `rr demo --seed S` shows, 45-frame segments; the teach experiments replay it), not independent samples.
    /// </summary>
    public static int[] Record(GL gl, string dir, int count, int size, ulong seed, Action<int> progress = null, bool live = false)
    {
        if (count <= 0) throw new ArgumentException($"--frames must be ≥ 1 for --record (got {count})");
        if (size < 8 || size > 1024) throw new ArgumentException($"--size must be in [8, 1024] (got {size})");
        Directory.CreateDirectory(dir);
        var script = new SceneScript(seed);
        using var renderer = new SceneRenderer(gl);
        using var target = new RenderTarget(gl, size, size);
        var record = new byte[1 + size * size * 3];
        var perClass = new int[SceneScript.Classes.Length];
        // Replace-by-rename: a recording cut short (full disk, Ctrl-C) never leaves a torn frames.bin.
        AtomicFile.Write(Path.Combine(dir, "frames.bin"), f =>
        {
            for (int i = 0; i < count; i++)
            {
                var state = live ? script.StateAt(i) : script.Sample(i);
                target.Bind();
                renderer.Draw(state, size, size);
                target.ReadRgb(record.AsSpan(1));
                record[0] = (byte)state.Label;
                perClass[state.Label]++;
                f.Write(record);
                progress?.Invoke(i + 1);
            }
        });
        WriteInfo(dir, new Info(Format, size, size, 3, count, SceneScript.Classes, seed));
        return perClass;
    }

    public static void WriteInfo(string dir, Info info) =>
        AtomicFile.WriteAllText(Path.Combine(dir, "info.json"), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));

    public static Info ReadInfo(string dir)
    {
        var path = Path.Combine(dir, "info.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing (not an {Format} recording)");
        var info = JsonSerializer.Deserialize<Info>(File.ReadAllText(path));
        if (info?.format != Format) throw new InvalidDataException($"{path}: format '{info?.format}' is not {Format}");
        long want = (long)info.count * (1 + info.width * info.height * info.channels);
        var bin = new FileInfo(Path.Combine(dir, "frames.bin"));
        if (!bin.Exists || bin.Length != want) throw new InvalidDataException($"{bin.FullName}: {(bin.Exists ? bin.Length : 0)} bytes, expected {want} for {info.count} frames of {info.width}x{info.height}x{info.channels}");
        return info;
    }
}
