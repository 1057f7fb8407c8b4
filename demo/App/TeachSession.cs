// TeachSession: `rr demo --teach` — the demo's side of teach mode over runtime/Teach. The frozen backbone runs in
// the normal live path (a RealtimeClassifier on any backend, tapping the ResNet stages; gl reads the tap back); this class turns each
// result's layer4 tap into an embedding, teaches it when a class key asked for the current frame, and
// replaces the (empty) top-k and the heatmap with the taught head's prediction and its CAM.
// Keys (DemoKeys): 1-9 teach the current frame as that class (held = a burst, one sample per frame); C then a digit
// clears that class; S writes --save-teach. --auto-teach N plays the user on the scene: before each frame it presses
// the digit of the frame's true class while that class has fewer than N taught frames — the same OnKey path.
// Each taught frame's ten TeachAugment variants (colour orders, grey, quarter turns, mirror; each with the object on
// another class's background, TeachBackgrounds) are taught too, by
// TeachAugmenter on its own thread from the frame's pixels (copied here from the frames offered while a key waits,
// so the pixels are those of the frame whose result is taught); --no-teach-augment turns that off.
// Nothing here runs the head's training or the variants' backbone passes: TeachLearner and TeachAugmenter do.
using System.Diagnostics;
using System.Text.Json;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Realtime;
using ResNetRealtime.Runtime.Teach;

namespace ResNetRealtime.Demo.App;

public sealed class TeachSession : IDisposable
{
    /// <summary>Stages the embedding pools: layer4 alone classified more than layer3+layer4 (84.8% vs 83.2% of a
    /// recorded scene at N = 20 with softmax regression; 64.6% vs 60.5% over the live runs of 8 scene seeds;
    /// docs/experiments.md), so teach mode pools layer4.</summary>
    public static readonly string[] FeatureStages = ["layer4"];
    /// <summary>GeM (p = 3) and max pooling of each stage, each location weighted towards the frame's centre: over the
    /// live runs of 8 scene seeds with the ten variants (docs/experiments.md) it classified 74.8% of the frames after
    /// teaching, against 73.1% unweighted, 69.9% for average + max and 72.5% for GeM alone; without variants average
    /// + max had led the average alone, 64.6% to 62.8%.</summary>
    public const TeachPooling Pooling = TeachPooling.CentredGemMax;
    static string FeatureName => $"{string.Join("+", FeatureStages)} ({Pooling switch { TeachPooling.Avg => "avg", TeachPooling.AvgMax => "avg+max", TeachPooling.GemMax => "GeM+max", _ => "centred GeM+max" }} pooled)";

    readonly string[] _names;
    readonly int _autoTeach;
    readonly string _savePath;
    readonly TextWriter _log;
    readonly bool _augment;
    TeachLearner _learner;
    TeachAugmenter _augmenter;
    // The last frames offered (RGB24), by sequence number, so a result's own pixels can be augmented.
    const int Remembered = 4;
    readonly byte[][] _pixels = new byte[Remembered][];
    readonly long[] _pixelSeq = Enumerable.Repeat(-1L, Remembered).ToArray();
    readonly int[] _pixelW = new int[Remembered], _pixelH = new int[Remembered];
    TeachFeatures _features;
    float[] _camScratch = [];
    Runtime.Onnx.OnnxModel _backbone;
    int[] _tapIndex;
    float[] _embedding, _probs = new float[TeachLearner.MaxClasses];
    readonly int[] _order = new int[TeachLearner.MaxClasses];
    int _pending = -1;
    bool _clearArmed;
    readonly System.Text.StringBuilder _status = new();

    public TeachSession(IReadOnlyList<string> classNames, int autoTeach, string savePath, TextWriter log, bool augment = true)
    {
        _names = Enumerable.Range(0, TeachLearner.MaxClasses).Select(i => i < classNames.Count ? classNames[i] : $"class {i + 1}").ToArray();
        _autoTeach = autoTeach; _savePath = savePath; _log = log; _augment = augment;
    }

    /// <summary>Whether the runner must hand the frame it offers next to <see cref="Remember"/>: only while a class key
    /// waits for its frame, so no frame is copied (nor, on gl, read back) otherwise.</summary>
    public bool WantsPixels => _augment && _pending >= 0;

    /// <summary>Keeps a copy of an offered frame's pixels (RGB24, tight rows) under its sequence number while a class key
    /// waits (<see cref="WantsPixels"/>). Allocates only when the frame size changes.</summary>
    public void Remember(long sequence, ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (!WantsPixels) return;
        int i = (int)(sequence % Remembered), n = width * height * 3;
        if (_pixels[i] == null || _pixels[i].Length != n) _pixels[i] = new byte[n];
        rgb[..n].CopyTo(_pixels[i]);
        _pixelSeq[i] = sequence; _pixelW[i] = width; _pixelH[i] = height;
        _lastRemembered = sequence;
    }
    long _lastRemembered = -1;

    /// <summary>Head update time per retrain (the HUD's "teach update" row).</summary>
    public LatencyStats UpdateStats { get; } = new(256);
    long _updatesSeen;
    /// <summary>Frames taught so far, and the frame index at which --auto-teach finished (-1: not yet / not automatic).</summary>
    public long TaughtFrames { get; private set; }
    public long EndedAtFrame { get; private set; } = -1;
    /// <summary>True once --auto-teach has taught N frames of every scene class (always false without --auto-teach).</summary>
    public bool AutoTeachDone => EndedAtFrame >= 0;
    /// <summary>The HUD's teach line; rebuilt only when the head or the counts change (no per-frame string).</summary>
    public string Status { get; private set; }
    (TeachHead, long, long, long, int, int) _statusKey = (null, -1, -1, -1, -1, -1);
    long _unaugmented;

    /// <summary>--auto-teach: the class to teach before a frame of true class <paramref name="label"/>, or -1.</summary>
    public int AutoClass(int label, int sceneClasses)
    {
        if (_autoTeach <= 0 || AutoTeachDone || label < 0 || label >= TeachLearner.MaxClasses) return -1;
        return Taught(label) < _autoTeach ? label : -1;
    }

    /// <summary>Frames taught to class slot k since it was last cleared (its samples in the learner also count the variants).</summary>
    int Taught(int k) => (int)_framesPerClass[k];
    readonly long[] _framesPerClass = new long[TeachLearner.MaxClasses];

    /// <summary>A key: 0-8 = teach that class with the current frame; handled by the runner's OnKey.</summary>
    public void OnClassKey(int classId)
    {
        if (_clearArmed)
        {
            _clearArmed = false;
            if (_augmenter != null) _augmenter.Clear(classId); else _learner?.Clear(classId);
            _framesPerClass[classId] = 0;
            _log.WriteLine($"rr demo: teach: cleared {_names[classId]}");
            return;
        }
        _pending = classId;
    }

    public void OnClearKey() => _clearArmed = true;

    /// <summary>The S key: backbone + head as one ONNX in --save-teach (atomically: OnnxModel.Save). A failure is one line;
    /// the head stays in memory. Returns whether the file was written.</summary>
    public bool Save()
    {
        if (_savePath == null) { _log.WriteLine("rr demo: teach: no --save-teach FILE given; nothing written"); return false; }
        var head = _learner?.Head;
        if (head == null || _backbone == null) { _log.WriteLine($"rr demo: teach: nothing taught yet; {_savePath} not written"); return false; }
        try
        {
            var labels = head.ClassIds.Select(k => _names[k]).ToArray();
            string recipe = $"rr demo --teach: {head.Kind} on {string.Join(", ", head.ClassIds.Select(k => $"{_names[k]} {Taught(k)}"))} frames{(_augmenter != null ? $" and {_augmenter.Added} variants of them ({string.Join(" ", TeachAugment.Names)}; {_augmenter.Swapped} on earlier classes' backgrounds)" : "")} over {FeatureName} of the backbone";
            TeachOnnx.Save(_savePath, _backbone, _features, head, labels, recipe);
            _log.WriteLine($"rr demo: teach: wrote {Path.GetFullPath(_savePath)} ({head.Classes} classes, {head.Kind})");
            return true;
        }
        catch (IOException e) { _log.WriteLine($"rr demo: teach: {e.Message}; the taught head stays in memory"); return false; }
    }

    /// <summary>
    /// The end of a run (headless, or the window closed): with --save-teach, waits for the head to learn every taught
    /// frame and writes it, so what was taught is never lost for want of the S key. Returns the exit code: 0 when the
    /// file was written (or none was asked for); 1 when it was asked for and not written (nothing taught, or the write
    /// failed) — the one line saying why is already in the log.
    /// </summary>
    public int SaveAtEnd()
    {
        if (_savePath == null) return 0;
        WaitForHead();
        return Save() ? 0 : 1;
    }

    /// <summary>Why a teach run has no accuracy to report (null when it has one): --auto-teach had not taught every
    /// scene class its N frames when the run ended, or no frame was classified after teaching.</summary>
    public string NoAccuracyReason(long frames, int sceneClasses, long scored)
    {
        if (_autoTeach > 0 && !AutoTeachDone)
        {
            int done = Enumerable.Range(0, sceneClasses).Count(k => Taught(k) >= _autoTeach);
            return $"no accuracy: teaching did not finish ({done} of {sceneClasses} classes taught {_autoTeach} frames by frame {frames}; " +
                   "run more --frames or a smaller --auto-teach)";
        }
        if (scored == 0) return $"no accuracy: no frame was classified after teaching ({TaughtFrames} frames taught in {frames})";
        return null;
    }

    /// <summary>
    /// Called with every result (LivePath.OnFill): embeds it, teaches it if a key asked, and writes the head's top-k and
    /// CAM into <paramref name="s"/>. Returns true when this frame was taught.
    /// </summary>
    internal bool OnResult(RealtimeResult r, ResultSnapshot s, Runtime.Onnx.OnnxModel backbone)
    {
        if (!Bind(r, backbone)) { s.Count = 0; _pending = -1; return false; }
        for (int b = 0; b < _tapIndex.Length; b++) _features.Embed(b, r.Taps[_tapIndex[b]].Data, _embedding);
        bool taught = false;
        int slot = (int)(r.FrameId % Remembered);
        bool remembered = r.FrameId >= 0 && _pixelSeq[slot] == r.FrameId;
        // With variants, the key teaches the first frame offered after it (its pixels were kept): an older result still
        // in flight (a window's results lag) waits for that one.
        bool older = _augmenter != null && !remembered && r.FrameId < _lastRemembered;
        if (_pending >= 0 && !older)
        {
            _learner.Add(_pending, _embedding);
            if (_augmenter != null && remembered) _augmenter.Enqueue(_pending, _pixels[slot], _pixelW[slot], _pixelH[slot]);
            else if (_augmenter != null) _unaugmented++;
            _framesPerClass[_pending]++;
            TaughtFrames++;
            taught = true;
            _pending = -1;
        }
        if (_learner.Updates != _updatesSeen) { _updatesSeen = _learner.Updates; UpdateStats.Add(_learner.LastUpdateMs); }
        var head = _learner.Predict(_embedding, _probs);
        WriteStatus(head);
        s.Count = 0;
        s.HeatW = s.HeatH = 0;
        if (head == null) return taught;
        // Top-5 of the head's classes, labelled by class slot (the scene's class index when teaching the scene).
        int n = head.Classes;
        for (int i = 0; i < n; i++) _order[i] = i;
        Array.Sort(_order, 0, n, Comparer.Instance.With(_probs));
        s.Count = Math.Min(5, n);
        for (int i = 0; i < s.Count; i++)
        {
            int row = _order[i];
            s.TopIndex[i] = head.ClassIds[row]; s.TopLabel[i] = _names[head.ClassIds[row]]; s.TopProb[i] = _probs[row];
        }
        // The CAM of the top class through the head's layer4 weights.
        var map = r.Taps[_tapIndex[^1]];
        int c = map.Shape[1], h = map.Shape[2], w = map.Shape[3];
        if (s.Heat.Length < h * w) s.Heat = new float[h * w];
        if (_camScratch.Length < _features.CamScratchLength(c * h * w)) _camScratch = new float[_features.CamScratchLength(c * h * w)];
        _features.Cam(head, _order[0], map.Data, h, w, s.Heat, _camScratch);
        s.HeatW = w; s.HeatH = h;
        return taught;
    }

    /// <summary>Once per backbone: finds the stage taps and makes the learner (the layout is fixed by the backbone).</summary>
    bool Bind(RealtimeResult r, Runtime.Onnx.OnnxModel backbone)
    {
        if (_learner != null && ReferenceEquals(backbone, _backbone)) return true;
        if (backbone == null) return false;
        var idx = FeatureStages.Select(st => r.Taps.Select(t => t.Name).ToList().IndexOf(st)).ToArray();
        if (idx.Any(i => i < 0 || r.Taps[i].Shape.Length != 4))
        {
            Status = $"teach mode needs a ResNet backbone with stages {string.Join(", ", FeatureStages)}";
            return false;
        }
        var stages = LoadedModel.From(backbone).StageTensors;
        _features = new TeachFeatures(FeatureStages.Select(st => stages[st]).ToArray(), idx.Select(i => r.Taps[i].Shape[1]).ToArray(), Pooling,
                                     idx.Select(i => TeachFeatures.MapSize(r.Taps[i].Shape)).ToArray());
        _augmenter?.Dispose(); _augmenter = null;
        _learner?.Dispose();
        _learner = new TeachLearner(_features);
        if (_augment)
            try { _augmenter = new TeachAugmenter(_learner, LoadedModel.From(backbone), FeatureStages, Pooling); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.WriteLine($"rr demo: teach: variants of the taught frames are off ({e.Message}); the frames themselves are taught");
            }
        _backbone = backbone; _tapIndex = idx;
        _embedding = new float[_features.Length];
        return true;
    }

    void WriteStatus(TeachHead head)
    {
        var key = (head, _learner.Updates, TaughtFrames, _augmenter?.Added ?? 0, _augmenter?.Pending ?? 0, _augmenter?.Waiting ?? 0);
        if (key == _statusKey && Status != null) return;
        _statusKey = key;
        _status.Clear();
        if (head == null) { Status = "teach: nothing taught yet — press 1-9 to teach the current frame as a class"; return; }
        if (head.Classes == 1) _status.Append("teach: one class taught — teach a second to classify · ");
        else _status.Append("teach: ").Append(head.Kind).Append(" · ");
        foreach (var k in head.ClassIds) _status.Append(_names[k]).Append(' ').Append(Taught(k)).Append("  ");
        if (_augmenter?.Fault is string f) _status.Append("· variants stopped: ").Append(f);
        else if (_augmenter?.Pending > 0) _status.Append("· variants of ").Append(_augmenter.Pending).Append(" frames to go");
        else if (_augmenter?.Waiting > 0) _status.Append("· variants of ").Append(_augmenter.Waiting).Append(" frames wait for a 2nd class");
        else if (_augmenter?.Added > 0) _status.Append("· +").Append(_augmenter.Added).Append(" variants");
        Status = _status.ToString();
    }

    /// <summary>Blocks until the head has learnt every taught frame (headless runs, so what follows is deterministic).</summary>
    public void WaitForHead()
    {
        WaitForVariants();
        if (_learner != null && !_learner.WaitUntilCurrent(60_000)) throw new TimeoutException("the teach head did not finish training within 60 s");
    }

    /// <summary>Blocks until every taught frame's variants are in the learner (headless lock-step, after each taught
    /// frame: the samples then arrive in one order, so a run is repeatable).</summary>
    public void WaitForVariants()
    {
        if (_augmenter != null && !_augmenter.WaitIdle(300_000)) throw new TimeoutException($"the variants of the taught frames did not finish within 300 s ({_augmenter.Pending} frames left)");
    }

    /// <summary>Marks the end of --auto-teach at frame <paramref name="frame"/> once every scene class has N taught frames.</summary>
    public void CheckAutoDone(long frame, int sceneClasses)
    {
        if (_autoTeach <= 0 || AutoTeachDone || _learner == null) return;
        for (int k = 0; k < sceneClasses; k++) if (Taught(k) < _autoTeach) return;
        EndedAtFrame = frame;
        WaitForHead();
        _log.WriteLine($"rr demo: teach: auto-teach done at frame {frame} ({TaughtFrames} frames taught, {_learner.Head?.Kind}, update {_learner.LastUpdateMs:F1} ms)");
    }

    /// <summary>summary.teach in frames.json.</summary>
    public void WriteJson(Utf8JsonWriter w, long classifiedAfter)
    {
        w.WriteStartObject("teach");
        w.WriteNumber("auto_teach", _autoTeach);
        w.WriteNumber("taught_frames", TaughtFrames);
        w.WriteNumber("first_frame_after_teaching", EndedAtFrame);
        w.WriteBoolean("finished", _autoTeach <= 0 || AutoTeachDone); // false: --auto-teach ran out of frames (summary.accuracy is null)
        w.WriteNumber("classes_taught", _framesPerClass.Count(n => n > 0));
        w.WriteNumber("classified_after_teaching", classifiedAfter);
        w.WriteString("head", _learner?.Head?.Kind);
        w.WriteString("features", FeatureName);
        w.WriteStartObject("variants");
        w.WriteStartArray("kinds");
        if (_augmenter != null) foreach (var n in TeachAugment.Names) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteNumber("added", _augmenter?.Added ?? 0);
        w.WriteNumber("on_other_backgrounds", _augmenter?.Swapped ?? 0); // TeachBackgrounds: the object on an earlier class's background
        w.WriteNumber("frames_dropped", (_augmenter?.Dropped ?? 0) + _unaugmented);
        if (_augmenter?.Fault != null) w.WriteString("error", _augmenter.Fault);
        w.WriteEndObject();
        w.WriteStartObject("frames_per_class");
        for (int k = 0; k < TeachLearner.MaxClasses; k++) if (_framesPerClass[k] > 0) w.WriteNumber(_names[k], _framesPerClass[k]);
        w.WriteEndObject();
        w.WriteStartObject("samples_per_class"); // frames and variants, as the head holds them (the newest TeachLearner.Capacity per class)
        if (_learner != null) for (int k = 0; k < TeachLearner.MaxClasses; k++) if (_learner.Count(k) > 0) w.WriteNumber(_names[k], _learner.Count(k));
        w.WriteEndObject();
        w.WriteStartObject("update_ms");
        w.WriteNumber("count", UpdateStats.Count);
        if (UpdateStats.Count > 0) { w.WriteNumber("p50", Math.Round(UpdateStats.P50, 3)); w.WriteNumber("p99", Math.Round(UpdateStats.P99, 3)); }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public void Dispose() { _augmenter?.Dispose(); _learner?.Dispose(); }

    /// <summary>Descending by probability without a per-frame closure (the comparer is reused).</summary>
    sealed class Comparer : IComparer<int>
    {
        public static readonly Comparer Instance = new();
        float[] _p;
        public Comparer With(float[] p) { _p = p; return this; }
        public int Compare(int a, int b) => _p[b].CompareTo(_p[a]);
    }
}
