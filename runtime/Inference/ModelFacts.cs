using System.Globalization;
using System.Text.Json;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Inference;

/// <summary>What the classifier takes from a model's metadata: labels, mean/std (null = defaults).</summary>
internal sealed record ModelFacts(IReadOnlyList<string> Labels, float[] Mean, float[] Std)
{
    public static ModelFacts Read(OnnxModel model)
    {
        string labels = model.GetMetadata("rr.labels") ?? model.GetMetadata("labels") ?? model.GetMetadata("class_names") ?? model.GetMetadata("classes");
        return new ModelFacts(ParseLabels(labels), Floats(model.GetMetadata("rr.mean") ?? model.GetMetadata("mean")),
                              Floats(model.GetMetadata("rr.std") ?? model.GetMetadata("std")));
    }

    static IReadOnlyList<string> ParseLabels(string s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        s = s.Trim();
        if (s.StartsWith('['))
            try { return JsonSerializer.Deserialize<string[]>(s); } catch (JsonException) { }
        return s.Split(s.Contains('\n') ? '\n' : ',', StringSplitOptions.TrimEntries);
    }

    static float[] Floats(string s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        var parts = s.Trim('[', ']', ' ').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var r = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out r[i])) return null;
        return r;
    }
}
