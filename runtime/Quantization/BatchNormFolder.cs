// BatchNormFolder: Conv -> BatchNormalization (inference mode) becomes one Conv with scaled weights
// and a bias, the first step before quantization (per-channel int8 scales must see the weights the
// kernel really multiplies by). The GL backend folds the same way into its own layer records.
//
//   y = (conv(x) + b - mean) · s + beta,  s = gamma / sqrt(var + eps)
//   ⇒ W'[c,:] = W[c,:] · s[c],  b'[c] = (b[c] - mean[c]) · s[c] + beta[c]
//
// Folded only when the Conv's output is read by that BatchNormalization alone (and is not a graph
// output) and every BN input is a constant; other BatchNormalizations stay as they are.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal static class BatchNormFolder
{
    /// <summary>A copy of <paramref name="model"/> with every foldable Conv+BN pair folded; the input is not modified.</summary>
    public static (OnnxModel Model, int Folded) Fold(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = GraphEdit.ShallowCopy(model);
        var g = copy.Graph;
        var inits = GraphEdit.Initializers(g);
        var uses = GraphEdit.UseCounts(g);
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < g.Nodes.Count; i++) foreach (var o in g.Nodes[i].Outputs) producer[o] = i;

        var drop = new HashSet<OnnxNode>();
        int folded = 0;
        foreach (var bn in g.Nodes.ToList())
        {
            if (bn.OpType != "BatchNormalization" || !string.IsNullOrEmpty(bn.Domain) || bn.Outputs.Count != 1 || bn.Inputs.Count != 5) continue;
            if (!producer.TryGetValue(bn.Inputs[0], out int ci)) continue;
            var conv = g.Nodes[ci];
            if (conv.OpType != "Conv" || uses.GetValueOrDefault(bn.Inputs[0]) != 1) continue;
            if (!inits.TryGetValue(conv.Inputs[1], out var wT) || wT.Dims.Length < 3) continue;
            var p = new float[4][];
            bool constant = true;
            for (int k = 0; k < 4; k++)
            {
                if (inits.TryGetValue(bn.Inputs[k + 1], out var t)) p[k] = t.ToFloatArray(); else constant = false;
            }
            int cout = (int)wT.Dims[0];
            if (!constant || p.Any(a => a.Length != cout)) continue;
            OnnxTensor bT = conv.Inputs.Count > 2 && !string.IsNullOrEmpty(conv.Inputs[2]) ? inits.GetValueOrDefault(conv.Inputs[2]) : null;
            if (conv.Inputs.Count > 2 && !string.IsNullOrEmpty(conv.Inputs[2]) && bT == null) continue;

            var w = wT.ToFloatArray();
            var b = bT?.ToFloatArray() ?? new float[cout];
            FoldInto(w, b, p[0], p[1], p[2], p[3], bn.GetFloat("epsilon", 1e-5f));

            // New tensors (the originals may be shared with other nodes): name them after the BN.
            var used = GraphEdit.UsedNames(g);
            var newW = OnnxTensor.FromFloats(GraphEdit.Unique(used, conv.Inputs[1] + "_folded"), wT.Dims, w);
            var newB = OnnxTensor.FromFloats(GraphEdit.Unique(used, (bn.Name ?? conv.Name) + ".folded_bias"), [cout], b);
            g.Initializers.Add(newW); g.Initializers.Add(newB);
            var fused = GraphEdit.CopyNode(conv);
            fused.Inputs = [conv.Inputs[0], newW.Name, newB.Name];
            fused.Outputs = [bn.Outputs[0]];
            g.Nodes[ci] = fused;
            drop.Add(bn);
            folded++;
        }
        g.Nodes.RemoveAll(drop.Contains);
        RemoveUnusedInitializers(g);
        return (copy, folded);
    }

    /// <summary>Folds BN parameters (per output channel) into weights [cout][per] and bias [cout], in place.</summary>
    public static void FoldInto(float[] weights, float[] bias, float[] gamma, float[] beta, float[] mean, float[] variance, float epsilon)
    {
        int cout = bias.Length;
        if (cout == 0 || weights.Length % cout != 0) throw new ArgumentException($"{weights.Length} weights do not split into {cout} output channels");
        int per = weights.Length / cout;
        for (int c = 0; c < cout; c++)
        {
            double s = gamma[c] / Math.Sqrt(variance[c] + (double)epsilon);
            for (int i = 0; i < per; i++) weights[c * per + i] = (float)(weights[c * per + i] * s);
            bias[c] = (float)((bias[c] - mean[c]) * s + beta[c]);
        }
    }

    internal static void RemoveUnusedInitializers(OnnxGraph g)
    {
        var read = new HashSet<string>(g.Nodes.SelectMany(n => n.Inputs), StringComparer.Ordinal);
        foreach (var o in g.Outputs) read.Add(o.Name);
        var removed = new HashSet<string>(g.Initializers.Where(t => !read.Contains(t.Name)).Select(t => t.Name), StringComparer.Ordinal);
        g.Initializers.RemoveAll(t => removed.Contains(t.Name));
        // IR < 4 models list weights as graph inputs too: drop those entries with their initializers.
        g.Inputs.RemoveAll(i => removed.Contains(i.Name));
    }
}
