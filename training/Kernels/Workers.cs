namespace ResNetRealtime.Training.Kernels;

/// <summary>
/// Where the engine's ops run their parallel parts. Ops split their work into at most
/// <see cref="Threads"/> contiguous chunks (one per worker, so per-worker scratch such as partial
/// weight gradients can be indexed by chunk) and call <see cref="For"/>.
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
        if (parts == 1) { body(0); return; }
        WorkerPool.Shared.Run(parts, body);
    }

    /// <summary>The chunk [start, end) of <paramref name="count"/> items that part <paramref name="part"/> of <paramref name="parts"/> owns.</summary>
    public static (int start, int end) Chunk(int count, int part, int parts) =>
        ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));
}
