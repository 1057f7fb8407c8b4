// TeachAugmenter: teaches the TeachAugment variants of every taught frame, off the frame loop. The frame thread
// hands over the taught frame's pixels (copied into one of a fixed set of slots, or dropped when all are busy:
// the frame itself is taught either way); a background thread runs each variant through its own copy of the
// frozen backbone on the CPU (ONNX Runtime, one thread) and adds the embeddings to the TeachLearner under the
// frame's class, which retrains as after any other sample. On a GPU backend the live path stays on the GPU and
// this runs beside it on the CPU; on ort-cpu it competes with the frame loop for cores while it works
// (≈ 10 backbone passes per taught frame), and is idle otherwise.
// Each variant's object sits on the background of a class taught
// before (TeachBackgrounds), where the frame has a clean object mask. The first class taught has no class before
// it: its frames wait (up to 3/4 of the slots, so a 20-frame burst with the default 32) until a second class
// comes, and then borrow its background (or keep their own, if it has none); a class taught alone gets no variants.
// Were they taught on their own background instead, seed 3's goal run gave 88.7% rather than 90.6% (its first
// class, a cube, is what it then gets wrong).
// Clear goes through here: it drops the class's queued frames and clears the learner under one lock, and a frame
// in flight adds its embeddings only if its class was not cleared meanwhile, so a cleared class stays empty.
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;

namespace ResNetRealtime.Runtime.Teach;

internal sealed class TeachAugmenter : IDisposable
{
    readonly object _lock = new();
    readonly TeachLearner _learner;
    readonly TeachBackbone _backbone;
    readonly Thread _thread;
    readonly Job[] _slots;
    readonly Queue<int> _queue, _free;
    readonly List<int> _waiting = new();              // slots whose frame waits for a class to borrow a background from
    readonly long[] _generation = new long[TeachLearner.MaxClasses];
    readonly float[] _embeddings;
    readonly TeachBackgrounds _backgrounds = new();   // worker thread only; Clear reaches it through _generation
    readonly long[] _backgroundGeneration = new long[TeachLearner.MaxClasses];
    byte[] _scratch = [], _composed = [];
    int _busy = -1;
    bool _stop;

    sealed class Job { public byte[] Pixels = []; public int Width, Height, ClassId; public long Generation; }

    /// <param name="learner">the head the variants are taught to; its layout must be what <paramref name="stages"/> and <paramref name="pooling"/> make of this backbone.</param>
    /// <param name="slots">frames that can wait at once (each holds a copy of one frame's pixels).</param>
    public TeachAugmenter(TeachLearner learner, LoadedModel model, IReadOnlyList<string> stages, TeachPooling pooling, int slots = 32, int threads = 1)
    {
        _learner = learner ?? throw new ArgumentNullException(nameof(learner));
        if (slots < 1) throw new ArgumentException($"slots must be ≥ 1, got {slots}");
        _backbone = new TeachBackbone(model, stages, Backend.OrtCpu, threads: threads, pooling: pooling);
        if (_backbone.Features.Length != learner.Features.Length || _backbone.Features.Pooling != learner.Features.Pooling)
        {
            _backbone.Dispose();
            throw new ArgumentException($"the augmenter's features ({_backbone.Features.Length} values, {_backbone.Features.Pooling}) do not match the learner's ({learner.Features.Length}, {learner.Features.Pooling})");
        }
        _slots = Enumerable.Range(0, slots).Select(_ => new Job()).ToArray();
        _queue = new Queue<int>(slots);
        _free = new Queue<int>(Enumerable.Range(0, slots));
        _embeddings = new float[TeachAugment.Count * learner.Features.Length];
        _thread = new Thread(Loop) { IsBackground = true, Name = "rr-teach-augment", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>Variants added to the learner so far.</summary>
    public long Added { get; private set; }
    /// <summary>Variants whose object was put on another class's background.</summary>
    public long Swapped { get; private set; }
    /// <summary>Frames of the first class taught whose variants wait for a second class's background.</summary>
    public int Waiting { get { lock (_lock) return _waiting.Count; } }
    /// <summary>Frames not augmented because every slot was busy.</summary>
    public long Dropped { get; private set; }
    /// <summary>Frames waiting or in flight.</summary>
    public int Pending { get { lock (_lock) return _queue.Count + (_busy >= 0 ? 1 : 0); } }
    /// <summary>Why the worker stopped (a backbone failure), or null; frames are then taught without variants.</summary>
    public string Fault { get; private set; }

    /// <summary>Queues frame <paramref name="rgb"/> (RGB24, tight rows) of class <paramref name="classId"/>. Copies it and
    /// returns at once; false (and counted in <see cref="Dropped"/>) when every slot is busy or the worker has stopped.</summary>
    public bool Enqueue(int classId, ReadOnlySpan<byte> rgb, int width, int height)
    {
        if ((uint)classId >= TeachLearner.MaxClasses) throw new ArgumentOutOfRangeException(nameof(classId), $"class slot {classId} is not 0..{TeachLearner.MaxClasses - 1}");
        if (width < 1 || height < 1 || rgb.Length < width * height * 3)
            throw new ArgumentException($"a {width}x{height} RGB24 frame needs {width * height * 3} bytes, got {rgb.Length}");
        lock (_lock)
        {
            if (Fault != null || _stop || _free.Count == 0) { Dropped++; return false; }
            int i = _free.Dequeue();
            var job = _slots[i];
            int n = width * height * 3;
            if (job.Pixels.Length < n) job.Pixels = new byte[n]; // once per slot and frame size
            rgb[..n].CopyTo(job.Pixels);
            (job.Width, job.Height, job.ClassId, job.Generation) = (width, height, classId, _generation[classId]);
            _queue.Enqueue(i);
            Monitor.PulseAll(_lock);
            return true;
        }
    }

    /// <summary>Forgets class <paramref name="classId"/>: its queued frames and, through the learner, all its samples.</summary>
    public void Clear(int classId)
    {
        lock (_lock)
        {
            _generation[classId]++;
            for (int n = _queue.Count; n > 0; n--)
            {
                int i = _queue.Dequeue();
                if (_slots[i].ClassId == classId) _free.Enqueue(i); else _queue.Enqueue(i);
            }
            foreach (int i in _waiting) if (_slots[i].ClassId == classId) _free.Enqueue(i);
            _waiting.RemoveAll(i => _slots[i].ClassId == classId);
            _learner.Clear(classId);
        }
    }

    /// <summary>Blocks until every queued frame's variants are in the learner (scripted runs); false on timeout.
    /// A worker that faulted has emptied its queue, so it counts as idle (<see cref="Fault"/> says why).</summary>
    public bool WaitIdle(int timeoutMs)
    {
        long end = Environment.TickCount64 + timeoutMs;
        lock (_lock)
            while (_queue.Count > 0 || _busy >= 0)
            {
                int left = (int)(end - Environment.TickCount64);
                if (left <= 0) return false;
                Monitor.Wait(_lock, left);
            }
        return true;
    }

    void Loop()
    {
        int d = _learner.Features.Length;
        while (true)
        {
            Job job;
            lock (_lock)
            {
                while (!_stop && _queue.Count == 0) Monitor.Wait(_lock);
                if (_stop) return;
                _busy = _queue.Dequeue();
                job = _slots[_busy];
                for (int k = 0; k < TeachLearner.MaxClasses; k++)
                    if (_backgroundGeneration[k] != _generation[k]) { _backgrounds.Clear(k); _backgroundGeneration[k] = _generation[k]; }
            }
            try
            {
                int n = job.Width * job.Height * 3;
                if (_scratch.Length < n) { _scratch = new byte[n]; _composed = new byte[n]; }
                _backgrounds.Observe(job.ClassId, job.Pixels.AsSpan(0, n), job.Width, job.Height);
                bool held = false;
                lock (_lock)
                {
                    // the waiting frames (all of the one class taught so far) go when a second class comes: they
                    // borrow its background, or keep their own if it has none
                    if (_waiting.Count > 0 && _backgrounds.Classes > 1) { foreach (int i in _waiting) _queue.Enqueue(i); _waiting.Clear(); }
                    if (_backgrounds.Masked && _backgrounds.Lenders == 0 && _backgrounds.Classes == 1 && _waiting.Count < _slots.Length * 3 / 4)
                    {
                        _waiting.Add(_busy); _busy = -1; held = true;
                        Monitor.PulseAll(_lock);
                    }
                }
                if (held) continue;
                int swapped = 0;
                for (int v = 0; v < TeachAugment.Count; v++)
                {
                    var (w, h) = TeachAugment.Size(v, job.Width, job.Height);
                    bool composed = _backgrounds.Compose(v, job.Pixels, _composed);
                    if (composed) swapped++;
                    TeachAugment.Apply(v, composed ? _composed : job.Pixels, job.Width, job.Height, _scratch);
                    _backbone.Embed(_scratch.AsSpan(0, n), w, h, w * 3, PixelFormat.Rgb24, _embeddings.AsSpan(v * d, d));
                }
                lock (_lock)
                {
                    if (job.Generation == _generation[job.ClassId]) // not cleared while in flight
                    {
                        for (int v = 0; v < TeachAugment.Count; v++) { _learner.Add(job.ClassId, _embeddings.AsSpan(v * d, d)); Added++; }
                        Swapped += swapped;
                    }
                    _free.Enqueue(_busy);
                    _busy = -1;
                    Monitor.PulseAll(_lock);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                lock (_lock) { Fault = e.Message; _free.Enqueue(_busy); _busy = -1; _queue.Clear(); Monitor.PulseAll(_lock); }
                return;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock) { _stop = true; Monitor.PulseAll(_lock); }
        if (Thread.CurrentThread != _thread) _thread.Join();
        _backbone.Dispose();
    }
}
