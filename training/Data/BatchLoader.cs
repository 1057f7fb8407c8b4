using System.Collections.Concurrent;

namespace ResNetRealtime.Training.Data;

/// <summary>Training-time augmentation: torchvision's RandomCrop(size, padding=Pad) then RandomHorizontalFlip().</summary>
public sealed record Augmentation(int Pad, bool Flip)
{
    public static readonly Augmentation None = new(0, false);
}

/// <summary>One mini-batch: normalised NCHW floats and labels. Valid until the next batch is requested.</summary>
public sealed class Batch
{
    internal Batch(int capacity, int imageFloats)
    {
        X = new float[capacity * imageFloats];
        Y = new int[capacity];
    }

    /// <summary>Capacity × C × H × W floats; the first Count images are filled.</summary>
    public float[] X { get; }
    public int[] Y { get; }
    public int Count { get; internal set; }
    /// <summary>0-based index of this batch within its epoch.</summary>
    public int Index { get; internal set; }
}

/// <summary>
/// Counter-based random numbers (SplitMix64): the stream for (seed, epoch, batch) is a pure function of
/// those three, so shuffling and augmentation do not depend on thread timing, and a run resumed at any
/// batch draws exactly what an uninterrupted run would have drawn.
/// </summary>
public struct SplitMix
{
    ulong _s;
    public SplitMix(ulong seed) { _s = seed; }
    public static SplitMix For(long seed, long a, long b = 0) =>
        new(Mix(Mix(Mix((ulong)seed) ^ (ulong)a) ^ (ulong)b));

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong Next() { _s += 0x9E3779B97F4A7C15UL; return Mix(_s - 0x9E3779B97F4A7C15UL); }
    /// <summary>Uniform in [0, n) (multiply-shift; bias below 2^-32 for the n used here).</summary>
    public int NextInt(int n) => (int)(((Next() >> 32) * (ulong)n) >> 32);
}

/// <summary>
/// Turns an <see cref="ImageDataset"/> into batches of normalised floats, (x/255 − mean)/std per channel,
/// optionally shuffled per epoch (seeded) and augmented. A background task prepares the next batches
/// while the caller trains on the current one (two batches ahead; buffers are recycled, so an epoch in
/// steady state allocates nothing). The last batch of an epoch may be smaller (PyTorch's drop_last=False).
/// </summary>
public sealed class BatchLoader
{
    readonly ImageDataset _ds;
    readonly float[] _mean, _std;
    readonly Augmentation _aug;
    readonly long _seed;
    readonly bool _shuffle;

    public BatchLoader(ImageDataset ds, int batchSize, float[] mean, float[] std, Augmentation aug, long seed, bool shuffle)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size must be >= 1 (got {batchSize})");
        if (mean.Length != ds.Channels || std.Length != ds.Channels)
            throw new ArgumentException($"mean/std have {mean.Length}/{std.Length} values for {ds.Channels} channels");
        if (std.Any(s => !(s > 0))) throw new ArgumentException($"std must be > 0 (got [{string.Join(", ", std)}])");
        if (aug.Pad < 0) throw new ArgumentException($"crop padding must be >= 0 (got {aug.Pad})");
        _ds = ds; BatchSize = batchSize; _mean = mean; _std = std; _aug = aug; _seed = seed; _shuffle = shuffle;
    }

    public int BatchSize { get; }
    public int BatchesPerEpoch => (_ds.Count + BatchSize - 1) / BatchSize;
    public ImageDataset Dataset => _ds;

    /// <summary>The order images are visited in during <paramref name="epoch"/> (identity when not shuffling).</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, _ds.Count).ToArray();
        if (!_shuffle) return order;
        var rng = SplitMix.For(_seed, 0x5A17, epoch);
        for (int i = order.Length - 1; i > 0; i--)   // Fisher–Yates
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Fills <paramref name="batch"/> with batch <paramref name="index"/> of an epoch visiting <paramref name="order"/>.</summary>
    public void Fill(Batch batch, int[] order, int epoch, int index, byte[] scratch)
    {
        int start = index * BatchSize;
        int count = Math.Min(BatchSize, order.Length - start);
        int c = _ds.Channels, h = _ds.Height, w = _ds.Width, plane = h * w;
        var rng = SplitMix.For(_seed, epoch + 1, index);
        for (int k = 0; k < count; k++)
        {
            int i = order[start + k];
            _ds.CopyImage(i, scratch);
            batch.Y[k] = _ds.Label(i);
            int dy = 0, dx = 0;
            bool flip = false;
            if (_aug.Pad > 0) { dy = rng.NextInt(2 * _aug.Pad + 1) - _aug.Pad; dx = rng.NextInt(2 * _aug.Pad + 1) - _aug.Pad; }
            if (_aug.Flip) flip = (rng.Next() >> 63) != 0;
            var dst = batch.X.AsSpan(k * c * plane, c * plane);
            for (int ch = 0; ch < c; ch++)
            {
                float scale = 1f / (255f * _std[ch]);
                float shift = -_mean[ch] / _std[ch];
                var src = scratch.AsSpan(ch * plane, plane);
                var d = dst.Slice(ch * plane, plane);
                for (int y = 0; y < h; y++)
                {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++)
                    {
                        // Output (y, x) of the crop from the zero-padded image; flip mirrors the crop.
                        int sx = (flip ? w - 1 - x : x) + dx;
                        byte v = (uint)sy < (uint)h && (uint)sx < (uint)w ? src[sy * w + sx] : (byte)0;
                        d[y * w + x] = v * scale + shift;
                    }
                }
            }
        }
        batch.Count = count;
        batch.Index = index;
    }

    /// <summary>
    /// The batches of one epoch, starting at batch <paramref name="startBatch"/> (for resuming mid-epoch).
    /// A batch stays valid until the next MoveNext. Disposing the enumerator (a break or an exception)
    /// stops the producer.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0, CancellationToken cancel = default)
    {
        var order = Order(epoch);
        int n = BatchesPerEpoch;
        if (startBatch >= n) yield break;
        int imageFloats = _ds.ImageBytes;
        var free = new BlockingCollection<Batch>(3);
        for (int i = 0; i < 3; i++) free.Add(new Batch(BatchSize, imageFloats));
        var ready = new BlockingCollection<Batch>(3);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(() =>
        {
            var scratch = new byte[_ds.ImageBytes];
            try
            {
                for (int b = startBatch; b < n; b++)
                {
                    var batch = free.Take(stop.Token);
                    Fill(batch, order, epoch, b, scratch);
                    ready.Add(batch, stop.Token);
                }
            }
            finally
            {
                ready.CompleteAdding();
            }
        });
        Batch previous = null;
        try
        {
            foreach (var batch in ready.GetConsumingEnumerable(cancel))
            {
                if (previous != null) free.Add(previous);
                previous = batch;
                yield return batch;
            }
            producer.GetAwaiter().GetResult();   // surfaces a read error from the producer
        }
        finally
        {
            stop.Cancel();
            // Cancellation is the expected end when the caller stops early; a real producer error was
            // already rethrown above by GetResult.
            try { producer.Wait(); } catch (AggregateException) { }
            free.Dispose();
            ready.Dispose();
        }
    }
}
