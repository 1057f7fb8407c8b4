namespace ResNetRealtime.Training.Kernels;

/// <summary>
/// A small persistent pool: the caller works on the op itself and up to threads − 1 background threads
/// join it, so a parallel op costs no thread start (Parallel.For allocates and schedules per call).
/// Each op is a <see cref="Job"/> whose parts are claimed with an interlocked counter, so an op split
/// into more parts than threads balances itself: when one thread is descheduled (the machine is shared)
/// the others take its parts. A worker woken late holds the old job, finds its counter exhausted and
/// goes back to sleep, so it can never run a part twice. Workers spin briefly before sleeping because
/// ops come in quick succession during a training step.
/// </summary>
internal sealed class WorkerPool
{
    public static readonly WorkerPool Shared = new();

    private sealed class Job
    {
        public Action<int> Body;
        public int Parts;
        public int Next;
        public int Remaining;
        public Exception Error;
    }

    private readonly object _gate = new();
    private readonly List<Thread> _threads = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private readonly object _runLock = new();
    private volatile Job _job;

    /// <summary>Runs body(0..parts−1), each exactly once, on the caller plus up to threads − 1 workers.</summary>
    public void Run(int parts, int threads, Action<int> body)
    {
        // One parallel op at a time; a nested or concurrent call runs inline rather than deadlock.
        if (!Monitor.TryEnter(_runLock))
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        try
        {
            int helpers = Math.Min(threads, parts) - 1;
            EnsureThreads(helpers);
            var job = new Job { Body = body, Parts = parts, Remaining = parts };
            _done.Reset();
            _job = job;
            if (helpers > 0) _wake.Release(helpers);
            Work(job);
            // A late Set from an earlier job can wake this wait spuriously: re-check this job's count.
            while (Volatile.Read(ref job.Remaining) != 0)
            {
                _done.Wait();
                _done.Reset();
            }
            _job = null;
            if (job.Error != null) throw new AggregateException(job.Error);
        }
        finally
        {
            Monitor.Exit(_runLock);
        }
    }

    private void Work(Job job)
    {
        while (true)
        {
            int p = Interlocked.Increment(ref job.Next) - 1;
            if (p >= job.Parts) return;
            try { job.Body(p); }
            catch (Exception e) { lock (_gate) job.Error ??= e; }
            if (Interlocked.Decrement(ref job.Remaining) == 0) _done.Set();
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
            var job = _job;
            if (job != null) Work(job);
        }
    }
}
