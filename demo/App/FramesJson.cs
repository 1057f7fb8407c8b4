using System.Text.Json;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Demo.App;

/// <summary>One headless frame as frames.json records it.</summary>
public readonly record struct FrameRecord(long Index, long Sequence, int TrueLabel, int Predicted, string PredictedLabel, float Confidence, float RunnerUp,
    long PredictionFrame, double CaptureMs, double UploadMs, double PreprocessMs, double InferenceMs, double ReadbackMs,
    double OverlayMs, double FrameMs, double CaptureToDisplayMs, double SubmitToResultMs, int Depth, string Backend, bool? Taught = null, int Updates = 0);

/// <summary>What frames.json says about the whole run (gathered by the frame loop when it writes the file).</summary>
public sealed record FramesSummary
{
    public string Source, Model, BackendRequested, Backend, BackendReason, GlRenderer, GlVersion;
    public bool RandomWeights, Text;
    public int Width, Height;
    public IReadOnlyList<string> Classes = Array.Empty<string>();
    public long Frames, Predictions, DroppedFrames, FramesWithoutInference, DroppedByRuntime;
    public double Accuracy = double.NaN, Seconds;
    public IReadOnlyList<(string Name, LatencyStats Stats)> Latency = Array.Empty<(string, LatencyStats)>();
    public IReadOnlyList<(string Name, Box Box)> Layout = Array.Empty<(string, Box)>();
    public IReadOnlyList<string> Screenshots = Array.Empty<string>();
    /// <summary>Why the run stopped before its --frames (the source died, ...); null when it ran to the end.</summary>
    public string Ended;
    /// <summary>--teach: writes summary.teach (TeachSession); null otherwise.</summary>
    public Action<Utf8JsonWriter> Teach;
}

/// <summary>
/// The headless run's record, out/…/frames.json: one entry per frame (prediction, which frame it belongs to, depth,
/// backend, each stage's latency) and a summary (accuracy, fps, p50/p99 per stage, layout, screenshots, and
/// <c>"ended"</c> when the run stopped early). Written atomically, also when the run fails part-way, so what was
/// gathered survives.
/// </summary>
public sealed class FramesJson
{
    public List<FrameRecord> Records { get; } = new();

    public void Write(string path, FramesSummary s) =>
        Runtime.IO.AtomicFile.Write(path, f => Write(f, s));

    void Write(Stream f, FramesSummary s)
    {
        using var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
        static void Num(Utf8JsonWriter w, string name, double v) { if (double.IsNaN(v)) w.WriteNull(name); else w.WriteNumber(name, Math.Round(v, 4)); }
        static void Str(Utf8JsonWriter w, string name, string v) { if (v == null) w.WriteNull(name); else w.WriteString(name, v); }
        w.WriteStartObject();
        w.WriteString("source", s.Source);
        w.WriteString("model", s.Model);
        w.WriteBoolean("random_weights", s.RandomWeights);
        w.WriteNumber("width", s.Width); w.WriteNumber("height", s.Height);
        w.WriteString("mode", "lockstep");
        w.WriteString("backend_requested", s.BackendRequested);
        w.WriteString("backend", s.Backend);
        Str(w, "backend_reason", s.BackendReason);
        w.WriteString("gl_renderer", s.GlRenderer);
        w.WriteString("gl_version", s.GlVersion);
        Str(w, "ended", s.Ended);
        w.WriteStartArray("classes"); foreach (var c in s.Classes) w.WriteStringValue(c); w.WriteEndArray();
        w.WriteStartArray("frames");
        foreach (var r in Records)
        {
            w.WriteStartObject();
            w.WriteNumber("index", r.Index);
            if (r.TrueLabel >= 0 && r.TrueLabel < s.Classes.Count) { w.WriteNumber("true_class", r.TrueLabel); w.WriteString("true_label", s.Classes[r.TrueLabel]); }
            else { w.WriteNull("true_class"); w.WriteNull("true_label"); }
            w.WriteNumber("predicted_class", r.Predicted);
            w.WriteString("predicted_label", r.PredictedLabel);
            Num(w, "confidence", r.Confidence);
            Num(w, "runner_up_confidence", r.RunnerUp);
            w.WriteNumber("prediction_frame", r.PredictionFrame);
            w.WriteNumber("depth", r.Depth);
            w.WriteString("backend", r.Backend);
            if (r.Updates > 0) w.WriteNumber("gl_updates", r.Updates);
            if (r.Taught is bool taught) w.WriteBoolean("taught", taught);
            w.WriteStartObject("latency_ms");
            Num(w, "capture", r.CaptureMs); Num(w, "upload", r.UploadMs); Num(w, "preprocess", r.PreprocessMs);
            Num(w, "inference", r.InferenceMs); Num(w, "readback", r.ReadbackMs); Num(w, "overlay", r.OverlayMs);
            Num(w, "frame", r.FrameMs); Num(w, "capture_to_display", r.CaptureToDisplayMs); Num(w, "submit_to_result", r.SubmitToResultMs);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("summary");
        w.WriteNumber("frames", s.Frames);
        w.WriteNumber("predictions", s.Predictions);
        Num(w, "accuracy", s.Accuracy);
        Num(w, "fps", s.Frames / Math.Max(s.Seconds, 1e-9));
        Num(w, "seconds", s.Seconds);
        w.WriteNumber("dropped_frames", s.DroppedFrames);
        w.WriteNumber("frames_without_inference", s.FramesWithoutInference);
        w.WriteNumber("frames_dropped_by_runtime", s.DroppedByRuntime); // replaced while the classifier was busy (latest wins)
        w.WriteStartObject("latency_ms");
        foreach (var (name, st) in s.Latency)
        {
            w.WriteStartObject(name); Num(w, "p50", st.Count > 0 ? st.P50 : double.NaN); Num(w, "p99", st.Count > 0 ? st.P99 : double.NaN); w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("layout");
        foreach (var (name, b) in s.Layout)
        {
            w.WriteStartArray(name); w.WriteNumberValue(b.X); w.WriteNumberValue(b.Y); w.WriteNumberValue(b.W); w.WriteNumberValue(b.H); w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteStartArray("screenshots"); foreach (var p in s.Screenshots) w.WriteStringValue(Path.GetFileName(p)); w.WriteEndArray();
        w.WriteBoolean("text", s.Text);
        s.Teach?.Invoke(w);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
