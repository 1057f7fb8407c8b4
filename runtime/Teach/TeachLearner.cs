// TeachLearner: teach mode's live head. The frame thread adds embeddings (TeachFeatures) under a class slot and
// reads predictions; a background thread retrains after every change and swaps the new TeachHead in with one
// reference write, so a retrain never waits on — or stalls — the frame loop. The frame thread only copies a
// sample into a pre-allocated per-class ring (bounded: the oldest sample of a full class is overwritten) and
// reads the current head; neither allocates once the class's ring exists.
//
// Head choice: the class means until every taught class has MinSamplesForSoftmax samples, softmax regression after
// that: the class means need no training and work from one sample, and softmax regression classified 1.5–2 points
// more of a recorded scene at 5, 10 and 20 taught frames per class (docs/experiments.md has the table).
#nullable enable
using System.Diagnostics;

namespace ResNetRealtime.Runtime.Teach;

public sealed class TeachLearner : IDisposable
{
    public const int MaxClasses = 9;

    readonly object _lock = new();
    readonly float[][] _ring = new float[MaxClasses][];
    readonly int[] _count = new int[MaxClasses], _next = new int[MaxClasses];
    readonly long[] _added = new long[MaxClasses];
    readonly Thread _thread;
    long _changes, _trainedChanges;
    bool _stop;
    TeachHead? _head;
    Exception? _fault;

    public TeachLearner(TeachFeatures features, int capacityPerClass = 256, int minSamplesForSoftmax = 3)
    {
        Features = features ?? throw new ArgumentNullException(nameof(features));
        if (capacityPerClass < 1) throw new ArgumentException($"capacityPerClass must be ≥ 1, got {capacityPerClass}");
        Capacity = capacityPerClass;
        MinSamplesForSoftmax = minSamplesForSoftmax;
        _thread = new Thread(Loop) { IsBackground = true, Name = "rr-teach", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    public TeachFeatures Features { get; }
    public int Capacity { get; }
    public int MinSamplesForSoftmax { get; }
    /// <summary>The newest head, or null before any class is taught. Swapped atomically; never changes under a reader.</summary>
    public TeachHead? Head => Volatile.Read(ref _head);
    /// <summary>Wall time of the last retrain in ms (NaN before the first).</summary>
    public double LastUpdateMs { get; private set; } = double.NaN;
    /// <summary>Retrains finished.</summary>
    public long Updates { get; private set; }

    /// <summary>Samples held for class slot <paramref name="classId"/> (0..8).</summary>
    public int Count(int classId) { CheckClass(classId); lock (_lock) return _count[classId]; }
    /// <summary>Samples ever added to the slot (the ring keeps the last <see cref="Capacity"/>).</summary>
    public long Added(int classId) { CheckClass(classId); lock (_lock) return _added[classId]; }

    /// <summary>Adds one embedded frame (<see cref="TeachFeatures.Length"/> values) to a class. Returns at once.</summary>
    public void Add(int classId, ReadOnlySpan<float> embedding)
    {
        CheckClass(classId);
        if (embedding.Length != Features.Length) throw new ArgumentException($"embedding has {embedding.Length} values, the layout has {Features.Length}");
        lock (_lock)
        {
            ThrowIfFaulted();
            var ring = _ring[classId] ??= new float[Capacity * Features.Length]; // once per class
            embedding.CopyTo(ring.AsSpan(_next[classId] * Features.Length, Features.Length));
            _next[classId] = (_next[classId] + 1) % Capacity;
            _count[classId] = Math.Min(_count[classId] + 1, Capacity);
            _added[classId]++;
            _changes++;
            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Forgets a class (its samples; the head is retrained without it).</summary>
    public void Clear(int classId)
    {
        CheckClass(classId);
        lock (_lock)
        {
            ThrowIfFaulted();
            _count[classId] = _next[classId] = 0;
            _added[classId] = 0;
            _changes++;
            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Classifies an embedded frame with the current head: the head used (null: nothing taught; probs untouched).</summary>
    public TeachHead? Predict(ReadOnlySpan<float> embedding, Span<float> probs)
    {
        lock (_lock) ThrowIfFaulted();
        var h = Head;
        h?.Predict(embedding, probs);
        return h;
    }

    /// <summary>Blocks until the head reflects every Add/Clear so far (tests, scripted runs); false on timeout.</summary>
    public bool WaitUntilCurrent(int timeoutMs)
    {
        long end = Environment.TickCount64 + timeoutMs;
        lock (_lock)
        {
            while (_trainedChanges != _changes)
            {
                ThrowIfFaulted();
                int left = (int)(end - Environment.TickCount64);
                if (left <= 0) return false;
                Monitor.Wait(_lock, left);
            }
            ThrowIfFaulted();
            return true;
        }
    }

    void Loop()
    {
        while (true)
        {
            long version;
            List<float[]>[] samples;
            int[] ids;
            lock (_lock)
            {
                while (!_stop && _trainedChanges == _changes) Monitor.Wait(_lock);
                if (_stop) return;
                version = _changes;
                (samples, ids) = Snapshot(); // copies: training then runs without the lock
            }
            try
            {
                long t0 = Stopwatch.GetTimestamp();
                TeachHead? head = null;
                if (ids.Length > 0)
                    head = samples.All(s => s.Count >= MinSamplesForSoftmax) && ids.Length > 1
                        ? TeachHead.Train(samples, ids, Features.Length)
                        : TeachHead.FromMeans(samples, ids, Features.Length);
                Volatile.Write(ref _head, head);
                LastUpdateMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                lock (_lock) { Updates++; _trainedChanges = version; Monitor.PulseAll(_lock); }
            }
            catch (Exception e)
            {
                lock (_lock) { _fault = e; Monitor.PulseAll(_lock); }
                return;
            }
        }
    }

    (List<float[]>[] Samples, int[] Ids) Snapshot()
    {
        var ids = Enumerable.Range(0, MaxClasses).Where(k => _count[k] > 0).ToArray();
        var samples = new List<float[]>[ids.Length];
        int d = Features.Length;
        for (int i = 0; i < ids.Length; i++)
        {
            int k = ids[i];
            samples[i] = new List<float[]>(_count[k]);
            for (int j = 0; j < _count[k]; j++) samples[i].Add(_ring[k].AsSpan(j * d, d).ToArray());
        }
        return (samples, ids);
    }

    static void CheckClass(int classId)
    {
        if ((uint)classId >= MaxClasses) throw new ArgumentOutOfRangeException(nameof(classId), $"class slot {classId} is not 0..{MaxClasses - 1}");
    }

    void ThrowIfFaulted()
    {
        if (_fault != null) throw new InvalidOperationException($"the teach head's trainer stopped: {_fault.Message}", _fault);
    }

    public void Dispose()
    {
        lock (_lock) { _stop = true; Monitor.PulseAll(_lock); }
        if (Thread.CurrentThread != _thread) _thread.Join();
    }
}
