using System.Runtime.InteropServices;
using System.Text;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Native;

/// <summary>
/// What an rr_classifier* stands for: the managed classifier, its result object, and the native memory the C side
/// reads (labels as UTF-8, the CAM copy, the backend name), all made at create so that steady-state calls allocate
/// nothing. A handle is an id, never a pointer to managed memory: an id is never reused, so a call after
/// rr_destroy finds nothing and gets RR_E_INVALID_HANDLE instead of touching freed memory.
/// </summary>
internal sealed unsafe class Entry : IDisposable
{
    static readonly Dictionary<nint, Entry> Table = new();
    static long _nextId;

    public readonly nint Id;
    public RealtimeClassifier Classifier;
    public RealtimeResult Result;
    GlContext _hostContext;
    byte*[] _labels = new byte*[0];
    float* _cam;
    int _camCap;
    byte* _backend;
    /// <summary>gl: the managed thread that created it (the thread rule of the managed API); -1 = any thread.</summary>
    public int OwnerThread = -1;
    public readonly object Gate = new();

    // Unity (deferred) mode: created, fed and polled on the render thread by the render event; the host thread reads
    // a mirror of the latest result under Gate.
    public readonly bool Deferred;
    public string DeferredModelPath;
    public RrOptions DeferredOptions;
    public string DeferredError;
    public int DeferredErrorStatus;
    public uint PendingTexture;
    public int PendingWidth, PendingHeight, PendingFlip;
    public long PendingFrameId;
    public bool HasPending, MirrorFresh;
    public RrResult Mirror;

    Entry(bool deferred)
    {
        Deferred = deferred;
        Id = (nint)Interlocked.Increment(ref _nextId);
    }

    public static Entry Register(bool deferred)
    {
        var e = new Entry(deferred);
        lock (Table) Table.Add(e.Id, e);
        return e;
    }

    public static Entry Find(nint id)
    {
        lock (Table) return Table.TryGetValue(id, out var e) ? e : null;
    }

    public static Entry Remove(nint id)
    {
        lock (Table) return Table.Remove(id, out var e) ? e : null;
    }

    /// <summary>Builds the classifier on the calling thread (its GL context, for gl) and the native views of it.</summary>
    public void Build(string path, byte[] bytes, in RrOptions o)
    {
        var backend = Abi.BackendOf(o.Backend);
        if (o.TopK < 0 || o.TopK > Abi.MaxTopK) throw new ArgumentException($"rr_options.top_k must be 0 (default 5) .. {Abi.MaxTopK}, got {o.TopK}");
        if (o.FrameBudgetMs < 0 || double.IsNaN(o.FrameBudgetMs)) throw new ArgumentException($"rr_options.frame_budget_ms must be ≥ 0, got {o.FrameBudgetMs}");
        if (o.CropRatio < 0 || o.CropRatio > 1 || double.IsNaN(o.CropRatio)) throw new ArgumentException($"rr_options.crop_ratio must be 0 (default) or in (0, 1], got {o.CropRatio}");
        if (o.DeviceId < 0) throw new ArgumentException($"rr_options.device_id must be ≥ 0 (a GPU adapter index), got {o.DeviceId}");
        if (o.GetProcAddress != null && backend is Backend.Auto or Backend.Gl)
        {
            var gpa = o.GetProcAddress;
            _hostContext = GlContext.FromCurrent(name =>
            {
                nint s = Marshal.StringToCoTaskMemUTF8(name);
                try { return (nint)gpa((byte*)s); } finally { Marshal.FreeCoTaskMem(s); }
            });
        }
        var options = new RealtimeOptions
        {
            Backend = backend,
            Threads = o.Threads,
            DeviceId = o.DeviceId,
            TopK = o.TopK == 0 ? 5 : o.TopK,
            Cam = o.Cam != 0,
            Precision = Abi.PrecisionOf(o.Precision),
            FrameBudget = TimeSpan.FromMilliseconds(o.FrameBudgetMs),
            CropRatio = o.CropRatio == 0 ? Preprocessor.DefaultCropRatio : o.CropRatio,
            GlContext = _hostContext,
        };
        Classifier = path != null ? RealtimeClassifier.Create(path, options) : RealtimeClassifier.Create(bytes, options);
        Result = Classifier.CreateResult();
        if (Classifier.Backend == Backend.Gl) OwnerThread = Environment.CurrentManagedThreadId;
        var labels = Classifier.Labels;
        _labels = new byte*[labels.Count];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = Utf8(labels[i] ?? i.ToString());
        _backend = Utf8(Classifier.Backend.ToName());
    }

    static byte* Utf8(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    /// <summary>Copies <see cref="Result"/> into the C struct (labels point at this entry's strings, the CAM at its
    /// copy; both stay valid until the next poll or destroy).</summary>
    public void Fill(RrResult* r)
    {
        var res = Result;
        var top = res.TopK;
        r->Count = Math.Min(top.Length, Abi.MaxTopK);
        r->FrameId = res.FrameId;
        var l = res.Latency;
        r->Latency = new RrLatency { QueueMs = l.QueueMs, PreprocessMs = l.PreprocessMs, InferenceMs = l.InferenceMs, PostprocessMs = l.PostprocessMs, SubmitToResultMs = l.SubmitToResultMs };
        for (int i = 0; i < r->Count; i++)
        {
            var p = top[i];
            r->Top[i] = new RrPrediction { ClassIndex = p.ClassIndex, Probability = p.Probability, Label = (uint)p.ClassIndex < (uint)_labels.Length ? _labels[p.ClassIndex] : null };
        }
        r->CamWidth = res.CamWidth; r->CamHeight = res.CamHeight;
        r->CamTexture = res.CamTexture;
        r->Updates = res.Updates;
        var cam = res.Cam;
        if (cam.Length == 0) r->Cam = null;
        else
        {
            if (_camCap < cam.Length) { NativeMemory.Free(_cam); _cam = (float*)NativeMemory.Alloc((nuint)cam.Length * sizeof(float)); _camCap = cam.Length; }
            cam.CopyTo(new Span<float>(_cam, cam.Length));
            r->Cam = _cam;
        }
    }

    public void Stats(RrStats* s)
    {
        s->Classes = Classifier.Classes;
        s->Submitted = Classifier.Submitted; s->Dropped = Classifier.Dropped; s->Completed = Classifier.Completed;
        s->AcceptsTextures = Classifier.AcceptsTextures ? 1 : 0;
        s->IsGl = OwnerThread >= 0 ? 1 : 0;
        s->Backend = _backend;
    }

    public void Dispose()
    {
        try { Classifier?.Dispose(); }
        finally
        {
            _hostContext?.Dispose();
            foreach (var p in _labels) NativeMemory.Free(p);
            _labels = new byte*[0];
            NativeMemory.Free(_cam); _cam = null; _camCap = 0;
            NativeMemory.Free(_backend); _backend = null;
        }
    }
}
