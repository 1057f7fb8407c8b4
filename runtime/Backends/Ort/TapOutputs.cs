using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends.Ort;

/// <summary>Bridges tap requests to graph outputs (temporary until Models.Taps lands: node outputs by name only).</summary>
internal static class TapOutputs
{
    public static (OnnxModel model, IReadOnlyList<string> outputs) Add(OnnxModel model, IReadOnlyList<string> taps)
    {
        if (taps == null || taps.Count == 0) return (model, Array.Empty<string>());
        var copy = OnnxModel.Parse(model.ToBytes());
        var outs = new List<string>();
        foreach (var t in taps)
        {
            if (copy.Graph.FindProducer(t) == null)
                throw new ArgumentException($"tap '{t}' is not a tensor produced by any node of the model");
            if (!copy.Graph.Outputs.Any(o => o.Name == t))
                copy.Graph.Outputs.Add(new OnnxValueInfo { Name = t, ElemType = OnnxDataType.Float });
            outs.Add(t);
        }
        return (copy, outs);
    }

    public static int[] InputSizeHint(OnnxModel model) => null;
}
