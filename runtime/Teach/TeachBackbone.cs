// TeachBackbone: the frozen backbone as teach mode uses it on the CPU backends — a Classifier over the feature
// extractor that taps the stages the TeachFeatures layout names, and turns one frame into its embedding.
// The last stage ("layer4") is always the last block: its map is what the CAM weights apply to (pooling it is the
// network's own GlobalAveragePool), so no separate pooled output is needed.
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;

namespace ResNetRealtime.Runtime.Teach;

internal sealed class TeachBackbone : IDisposable
{
    readonly Classifier _classifier;

    /// <param name="stages">stage names to pool, last one = the CAM map (e.g. ["layer4"] or ["layer3","layer4"]).</param>
    public TeachBackbone(LoadedModel model, IReadOnlyList<string> stages, Backend backend = Backend.OrtCpu, double cropRatio = 1.0, int threads = 0,
                         TeachPooling pooling = TeachPooling.Avg)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (stages == null || stages.Count == 0) throw new ArgumentException("teach features need at least one stage");
        var tensors = new string[stages.Count];
        for (int i = 0; i < stages.Count; i++)
            tensors[i] = model.StageTensors.TryGetValue(stages[i], out var t) ? t
                : throw new ArgumentException($"the backbone has no stage '{stages[i]}' (it has {string.Join(", ", model.StageTensors.Keys)})");
        Model = model;
        Stages = stages.ToArray();
        _classifier = Classifier.Create(model, new ClassifierOptions { Backend = backend, Taps = Stages, CropRatio = cropRatio, Threads = threads });
        var taps = _classifier.InferenceBackend.Taps;
        Features = new TeachFeatures(tensors, taps.Select(t => t.Shape[1]).ToArray(), pooling, taps.Select(t => TeachFeatures.MapSize(t.Shape)).ToArray());
        var last = taps[^1].Shape;
        CamChannels = last[1];
        (CamHeight, CamWidth) = TeachFeatures.MapSize(last);
        _camScratch = new float[Features.CamScratchLength(CamChannels * CamHeight * CamWidth)];
    }

    readonly float[] _camScratch;

    public LoadedModel Model { get; }
    public string[] Stages { get; }
    public TeachFeatures Features { get; }
    public int CamChannels { get; }
    public int CamHeight { get; }
    public int CamWidth { get; }
    public int InputWidth => _classifier.InferenceBackend.Width;
    public int InputHeight => _classifier.InferenceBackend.Height;

    /// <summary>One RGB frame → its embedding (<see cref="TeachFeatures.Length"/> values); <paramref name="camMap"/> (optional,
    /// CamChannels·CamHeight·CamWidth values) gets the last stage's map. Allocates nothing once warm.</summary>
    public void Embed(ReadOnlySpan<byte> pixels, int width, int height, int stride, PixelFormat format, Span<float> embedding, Span<float> camMap = default)
    {
        var r = _classifier.Classify(pixels, width, height, stride, format);
        Fill(r, embedding, camMap);
    }

    /// <summary>Already preprocessed NCHW input of one image.</summary>
    public void EmbedTensor(ReadOnlySpan<float> nchw, Span<float> embedding, Span<float> camMap = default) =>
        Fill(_classifier.ClassifyTensor(nchw, 1)[0], embedding, camMap);

    void Fill(ClassificationResult r, Span<float> embedding, Span<float> camMap)
    {
        var taps = r.Taps;
        for (int b = 0; b < taps.Count; b++)
        {
            int n = taps[b].Data.Length / taps[b].Shape[0];
            var map = taps[b].Data.AsSpan(r.TapRow * n, n);
            Features.Embed(b, map, embedding);
            if (b == taps.Count - 1 && !camMap.IsEmpty) map.CopyTo(camMap);
        }
    }

    /// <summary>The CAM of head row <paramref name="row"/> over the last stage's map (its part of the head's weights).</summary>
    public void Cam(TeachHead head, int row, ReadOnlySpan<float> camMap, Span<float> heat)
    {
        Features.Cam(head, row, camMap, CamHeight, CamWidth, heat, _camScratch);
    }

    public void Dispose() => _classifier.Dispose();
}
