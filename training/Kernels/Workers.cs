namespace ResNetRealtime.Training.Kernels;

/// <summary>
/// Where the engine's ops run their parallel parts. Ops split their work into contiguous chunks
/// (per-part scratch such as partial weight gradients is indexed by part) and call <see cref="For"/>;
/// at most <see cref="Threads"/> threads run them at once, claiming parts as they go, so splitting into
/// a few parts per thread (<see cref="Parts"/>) keeps both cores busy when one is briefly taken away.
/// </summary>
public static class Workers
{
    private static int s_threads = Environment.ProcessorCount;

    /// <summary>How many threads ops use (the trainer's --threads). At least 1.</summary>
    public static int Threads
    {
        get => s_threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"threads must be >= 1, got {value}");
            s_threads = value;
        }
    }

    /// <summary>Runs body(0..parts-1), each once, in parallel; returns when all are done.
    /// parts == 1 runs inline on the calling thread.</summary>
    public static void For(int parts, Action<int> body)
    {
        if (parts <= 0) return;
        if (parts == 1 || s_threads == 1) { for (int p = 0; p < parts; p++) body(p); return; }
        WorkerPool.Shared.Run(parts, s_threads, body);
    }

    /// <summary>How many parts to split <paramref name="items"/> independent items into: one with a single
    /// thread, else <paramref name="perThread"/> per thread (dynamic balancing), at most one per item.</summary>
    public static int Parts(int items, int perThread = 4) =>
        Math.Max(1, s_threads == 1 ? 1 : Math.Min(items, s_threads * perThread));

    /// <summary>The chunk [start, end) of <paramref name="count"/> items that part <paramref name="part"/> of <paramref name="parts"/> owns.</summary>
    public static (int start, int end) Chunk(int count, int part, int parts) =>
        ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));
}
