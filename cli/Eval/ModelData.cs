// ModelData: a KIND:PATH data set (as `rr train --data` reads it) prepared for a given model — resized to
// the model's square input, its channels checked, and normalised with the model's own mean/std. The one
// place `rr quantize` (calibration) and `rr eval` (scoring) get images from a data set.
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Cli.Eval;

internal static class ModelData
{
    /// <summary>The data set resized to the model's square input; its channels must be the model's (as `rr train` makes them; grey is copied to RGB for a 3-channel model).</summary>
    /// <param name="role">What the data is for, in messages ("calibration data", "evaluation data").</param>
    public static DataSource Load(string spec, ModelInfo info, string role)
    {
        if (info.InputHeight != info.InputWidth)
            throw new ArgumentException($"the model takes {info.InputWidth}x{info.InputHeight} input; {role} sets are resized to square inputs only");
        var data = DataSource.Load(spec, size: info.InputHeight, channels: info.Channels == 3 ? 3 : 0);   // grey sets into an RGB model: copied to 3 channels, as rr train --channels 3 trains them
        if (data.Channels != info.Channels)
        {
            data.Dispose();
            throw new ArgumentException($"{role} {spec} has {data.Channels} channel(s) of {data.Width}x{data.Height}, the model takes {info.Channels} channel(s) of {info.InputWidth}x{info.InputHeight}");
        }
        return data;
    }

    /// <summary>Normalised float batches, (x/255 − mean)/std per channel as training feeds them, no augmentation;
    /// shuffled with seed 0 unless <paramref name="shuffle"/> is false (then in data-set order).</summary>
    public static IEnumerable<CalibrationBatch> Batches(ImageDataset ds, float[] mean, float[] std, int batchSize = 16, bool shuffle = true)
    {
        var loader = new BatchLoader(ds, batchSize, mean, std, Augmentation.None, seed: 0, shuffle: shuffle);
        foreach (var b in loader.Epoch(0))
            yield return new CalibrationBatch(b.X, b.Count, ds.Channels, ds.Height, ds.Width);
    }
}

/// <summary>The images of one dataset followed by another's (`rr eval --split all`); same geometry and classes.</summary>
internal sealed class ConcatDataset : ImageDataset
{
    readonly ImageDataset _a, _b;

    public ConcatDataset(ImageDataset a, ImageDataset b) : base(a.Count + b.Count, a.Channels, a.Height, a.Width, a.Classes)
    {
        if (b.Channels != a.Channels || b.Height != a.Height || b.Width != a.Width || !b.Classes.SequenceEqual(a.Classes))
            throw new ArgumentException($"cannot join {a.Channels}x{a.Height}x{a.Width} [{a.Classes.Length} classes] and {b.Channels}x{b.Height}x{b.Width} [{b.Classes.Length} classes]");
        _a = a; _b = b;
    }

    public override int Label(int index) { CheckIndex(index); return index < _a.Count ? _a.Label(index) : _b.Label(index - _a.Count); }

    public override void CopyImage(int index, Span<byte> chw)
    {
        CheckIndex(index);
        if (index < _a.Count) _a.CopyImage(index, chw); else _b.CopyImage(index - _a.Count, chw);
    }
}
