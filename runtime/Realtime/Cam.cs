namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// Class-activation maps on the CPU (Zhou et al. 2016): for a network ending in global average pooling
/// and one linear layer, CAM_k(y,x) = Σ_c W[k,c] · F[c,y,x] over the last feature map F [C,h,w].
/// Output is min-max scaled to [0,1] so it can be shown as a heatmap. (The activation mosaic is
/// <see cref="ResNetRealtime.Runtime.Inference.ActivationMosaic"/>, shared with the gl backend.)
/// </summary>
internal static class Cam
{
    /// <summary>features: [C,h,w] (one image); weight: [classes, C]. Writes h*w values to <paramref name="map"/>.</summary>
    public static void Compute(ReadOnlySpan<float> features, int channels, int h, int w, ReadOnlySpan<float> weight, int classIndex, Span<float> map)
    {
        int hw = h * w;
        if (features.Length < channels * hw) throw new ArgumentException($"feature map has {features.Length} values < {channels}x{h}x{w}");
        if (weight.Length < (classIndex + 1) * channels) throw new ArgumentException($"fc weight has {weight.Length} values; class {classIndex} needs {(classIndex + 1) * channels}");
        map = map[..hw];
        map.Clear();
        var wk = weight.Slice(classIndex * channels, channels);
        for (int c = 0; c < channels; c++)
        {
            float a = wk[c];
            var f = features.Slice(c * hw, hw);
            for (int i = 0; i < hw; i++) map[i] += a * f[i];
        }
        // Min-max scaling (not ReLU then /max): an untrained or unsure model can give an all-negative map,
        // which would otherwise show as nothing at all.
        float lo = float.MaxValue, hi = float.MinValue;
        for (int i = 0; i < hw; i++) { if (map[i] < lo) lo = map[i]; if (map[i] > hi) hi = map[i]; }
        float s = hi > lo ? 1 / (hi - lo) : 0;
        for (int i = 0; i < hw; i++) map[i] = (map[i] - lo) * s;
    }
}

/// <summary>Where a model's CAM comes from: the feature map entering its last global average pooling and the
/// weights of the linear layer after it, as [classes, features].</summary>
internal sealed record CamSource(string Features, float[] Weight, int FeatureChannels)
{
    /// <summary>null when the model does not end in GlobalAveragePool → (Flatten) → Gemm/MatMul.</summary>
    public static CamSource Find(Models.LoadedModel m)
    {
        var g = m.Onnx.Graph;
        string features = null;
        for (int i = g.Nodes.Count - 1; i >= 0 && features == null; i--)
            if (g.Nodes[i].OpType == "GlobalAveragePool") features = g.Nodes[i].Inputs[0];
        if (features == null) return null;
        // The fc weights have one owner: the model object (LoadedModel.Fc, [classes, features]).
        var fc = m.Fc;
        return fc == null ? null : new(features, fc.Weight, fc.Features);
    }
}
