// TeachOnnx: backbone + taught head as ONE ONNX file that `rr infer`, Classifier.Create and RealtimeClassifier
// load as they load any classifier. The backbone graph is kept whole; its outputs are replaced by the
// TeachFeatures arithmetic and the head:
//   per block  GlobalAveragePool → Flatten(axis 1) → LpNormalization(p 2, axis 1)      [N,Ci]
//              (TeachPooling.GemMax: Relu → Pow 3 → GlobalAveragePool → Pow 1/3 in place of GlobalAveragePool)
//              (AvgMax and GemMax: then GlobalMaxPool → Flatten → LpNormalization, the tensor's second block)
//              (CentredGemMax: as GemMax with a Mul by the [1,1,h,w] centre weights after Pow 3, and Relu → Mul
//               before GlobalMaxPool)
//   Concat(axis 1) when there are several blocks                                      [N,D]
//   Gemm(transB 1), W·BlockScale and b of the head                                     [N,classes] "logits"
// Metadata: rr.labels (one per head row), the backbone's rr.mean / rr.std / rr.input_size / rr.source / rr.license
// kept, rr.recipe = how the head was taught. Softmax stays out of the graph: classifiers apply it to the logits,
// so the file's probabilities are the live head's.
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

using System.Numerics.Tensors;

namespace ResNetRealtime.Runtime.Teach;

internal static class TeachOnnx
{
    public const string OutputName = "logits";

    /// <summary>The combined model (the backbone is copied, not changed). labels: one per head row.</summary>
    public static OnnxModel Build(OnnxModel backbone, TeachFeatures features, TeachHead head, IReadOnlyList<string> labels, string recipe)
    {
        ArgumentNullException.ThrowIfNull(backbone); ArgumentNullException.ThrowIfNull(features); ArgumentNullException.ThrowIfNull(head);
        if (head.Features != features.Length) throw new ArgumentException($"the head takes {head.Features} features, the layout gives {features.Length}");
        if (labels == null || labels.Count != head.Classes) throw new ArgumentException($"{labels?.Count ?? 0} labels for a head of {head.Classes} classes");
        var m = OnnxModel.Parse(backbone.ToBytes(), "teach backbone");
        var g = m.Graph;
        var input = g.RealInputs().FirstOrDefault() ?? throw new InvalidDataException("the backbone graph has no input");
        var batch = input.Shape is { Length: > 0 } s ? s[0] : new OnnxDim("N");
        foreach (var t in features.Tensors)
            if (g.FindProducer(t) == null) throw new ArgumentException($"the backbone has no tensor '{t}' (the feature layout names it)");

        var blocks = new List<string>();
        if (features.IsGem)
        {
            g.Initializers.Add(OnnxTensor.FromFloats("teach_gem.p", Array.Empty<long>(), [TeachFeatures.GemPower]));
            g.Initializers.Add(OnnxTensor.FromFloats("teach_gem.inv_p", Array.Empty<long>(), [1 / TeachFeatures.GemPower]));
        }
        for (int i = 0; i < features.Tensors.Length; i++)
        {
            var pools = features.Pooling switch
            {
                TeachPooling.Avg => new[] { ("GlobalAveragePool", "avg") },
                TeachPooling.AvgMax => new[] { ("GlobalAveragePool", "avg"), ("GlobalMaxPool", "max") },
                _ => new[] { ("GlobalAveragePool", "gem"), ("GlobalMaxPool", "max") },
            };
            var centre = features.Centre(i);
            string wt = $"teach_{i}_centre", relu = $"teach_{i}_relu"; // one Relu feeds the GeM and the weighted max
            if (features.IsGem) g.Nodes.Add(new OnnxNode("Relu", relu, [features.Tensors[i]], [relu]));
            if (!centre.IsEmpty)
            {
                var (h, w2) = features.Sizes[i];
                g.Initializers.Add(OnnxTensor.FromFloats(wt, [1, 1, h, w2], centre.ToArray()));
            }
            foreach (var (pool, tag) in pools)
            {
                string p = $"teach_{i}_{tag}";
                if (tag == "gem")
                {
                    g.Nodes.Add(new OnnxNode("Pow", p + "_cube", [relu, "teach_gem.p"], [p + "_cube"]));
                    string cube = p + "_cube";
                    if (!centre.IsEmpty) { g.Nodes.Add(new OnnxNode("Mul", p + "_weighted", [cube, wt], [p + "_weighted"])); cube = p + "_weighted"; }
                    g.Nodes.Add(new OnnxNode(pool, p + "_mean", [cube], [p + "_mean"]));
                    g.Nodes.Add(new OnnxNode("Pow", p + "_pool", [p + "_mean", "teach_gem.inv_p"], [p + "_pool"]));
                }
                else if (tag == "max" && !centre.IsEmpty)
                {
                    g.Nodes.Add(new OnnxNode("Mul", p + "_weighted", [relu, wt], [p + "_weighted"]));
                    g.Nodes.Add(new OnnxNode(pool, p + "_pool", [p + "_weighted"], [p + "_pool"]));
                }
                else g.Nodes.Add(new OnnxNode(pool, p + "_pool", [features.Tensors[i]], [p + "_pool"]));
                g.Nodes.Add(new OnnxNode("Flatten", p + "_flat", [p + "_pool"], [p + "_flat"], OnnxAttribute.Int("axis", 1)));
                g.Nodes.Add(new OnnxNode("LpNormalization", p + "_l2", [p + "_flat"], [p + "_l2"], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("p", 2)));
                blocks.Add(p + "_l2");
            }
        }
        string x = blocks[0];
        if (blocks.Count > 1)
        {
            g.Nodes.Add(new OnnxNode("Concat", "teach_concat", blocks, ["teach_concat"], OnnxAttribute.Int("axis", 1)));
            x = "teach_concat";
        }
        var w = (float[])head.Weight.Clone();
        TensorPrimitives.Multiply(w, features.BlockScale, w);
        g.Initializers.Add(OnnxTensor.FromFloats("teach_fc.weight", [head.Classes, head.Features], w));
        g.Initializers.Add(OnnxTensor.FromFloats("teach_fc.bias", [head.Classes], (float[])head.Bias.Clone()));
        g.Nodes.Add(new OnnxNode("Gemm", "teach_fc", [x, "teach_fc.weight", "teach_fc.bias"], [OutputName], OnnxAttribute.Int("transB", 1)));
        g.Outputs.Clear();
        g.Outputs.Add(new OnnxValueInfo(OutputName, OnnxDataType.Float, batch, head.Classes));
        m.SetMetadata(MetadataKeys.Labels, MetadataKeys.FormatLabels(labels));
        m.SetMetadata(MetadataKeys.Recipe, recipe ?? $"teach mode: {head.Kind} over {string.Join("+", features.Tensors)}");
        return m;
    }

    /// <summary>Builds and writes atomically (a failed write leaves no partial file; the exception names the path).</summary>
    public static void Save(string path, OnnxModel backbone, TeachFeatures features, TeachHead head, IReadOnlyList<string> labels, string recipe)
    {
        var m = Build(backbone, features, head, labels, recipe);
        try { m.Save(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write the taught model to {path}: {e.Message}", e);
        }
    }
}
