namespace ResNetRealtime.Training.Kernels;

/// <summary>
/// A small persistent pool: the caller runs part 0 itself and background threads pick up the other
/// parts, so a parallel op costs no thread start and no allocation (Parallel.For allocates per call).
/// Parts are claimed with an interlocked counter; workers spin briefly before sleeping because ops
/// come in quick succession during a training step.
/// </summary>
internal sealed class WorkerPool
{
    public static readonly WorkerPool Shared = new();

    private readonly object _gate = new();
    private readonly List<Thread> _threads = new();
    private readonly SemaphoreSlim _wake = new(0);
    private Action<int> _body;
    private int _parts;
    private int _next;
    private int _remaining;
    private Exception _error;
    private readonly ManualResetEventSlim _done = new(false);
    private readonly object _runLock = new();

    public void Run(int parts, Action<int> body)
    {
        // One parallel op at a time; a nested or concurrent call runs inline rather than deadlock.
        if (!Monitor.TryEnter(_runLock))
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        try
        {
            EnsureThreads(parts - 1);
            _body = body;
            _parts = parts;
            _error = null;
            _done.Reset();
            Volatile.Write(ref _remaining, parts);
            Volatile.Write(ref _next, 0);
            _wake.Release(parts - 1);
            Work();
            if (Volatile.Read(ref _remaining) != 0) _done.Wait();
            _body = null;
            if (_error != null) throw new AggregateException(_error);
        }
        finally
        {
            Monitor.Exit(_runLock);
        }
    }

    private void Work()
    {
        while (true)
        {
            int p = Interlocked.Increment(ref _next) - 1;
            if (p >= _parts) return;
            try { _body(p); }
            catch (Exception e) { lock (_gate) _error ??= e; }
            if (Interlocked.Decrement(ref _remaining) == 0) _done.Set();
        }
    }

    private void EnsureThreads(int count)
    {
        lock (_gate)
        {
            while (_threads.Count < count)
            {
                var t = new Thread(Loop) { IsBackground = true, Name = $"rr-train-worker-{_threads.Count}" };
                _threads.Add(t);
                t.Start();
            }
        }
    }

    private void Loop()
    {
        while (true)
        {
            _wake.Wait();
            if (Volatile.Read(ref _next) < _parts) Work();
        }
    }
}
