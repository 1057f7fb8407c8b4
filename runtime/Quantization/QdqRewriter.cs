// QdqRewriter: applies a QdqPlan and calibrated activation parameters to a (BatchNorm-folded) float
// model, writing the ONNX QDQ form that ORT's quantize_static writes:
//   tensor t  -> QuantizeLinear(t, t_scale, t_zero_point) -> t_quantized
//             -> DequantizeLinear(...)                    -> t_dequantized, read by every consumer of t
//   weight W  -> int8 initializer W_quantized [same dims], per-channel scale [C], zero point 0 [C],
//                DequantizeLinear(axis = output-channel axis) -> W_dequantized
//   bias b    -> int32 initializer with scale x_scale·W_scale[c] (the accumulator's), zero point 0
// Q and DQ of one tensor share their scale/zero-point initializers; a pass-through op's output shares
// its input's, which is what lets ORT drop that Q/DQ pair around MaxPool/Flatten/Reshape.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal static class QdqRewriter
{
    /// <summary>QuantizeLinear with an axis needs opset 13.</summary>
    public const int MinOpset = 13;

    /// <summary>Rewrites <paramref name="model"/> (an editable copy) in place.</summary>
    public static void Apply(OnnxModel model, QdqPlan plan, IReadOnlyDictionary<string, ActivationQuant> quant)
    {
        var g = model.Graph;
        var used = GraphEdit.UsedNames(g);
        var inits = GraphEdit.Initializers(g);

        // Per tensor: its parameters, their initializer names and the DQ output that replaces it.
        var paramNames = new Dictionary<string, (string Scale, string Zp, ActivationQuant Q)>(StringComparer.Ordinal);
        var replaced = new Dictionary<string, string>(StringComparer.Ordinal);
        var qdqAfter = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var (t, sameAs) in plan.Tensors)
        {
            (string, string, ActivationQuant) p;
            if (sameAs != null) p = paramNames[sameAs];
            else
            {
                if (!quant.TryGetValue(t, out var q)) throw new InvalidOperationException($"no calibrated range for tensor '{t}'");
                string scale = GraphEdit.Unique(used, t + "_scale"), zp = GraphEdit.Unique(used, t + "_zero_point");
                g.Initializers.Add(GraphEdit.Scalar(scale, q.Scale));
                g.Initializers.Add(GraphEdit.UInt8(zp, [], [q.ZeroPoint]));
                p = (scale, zp, q);
            }
            paramNames[t] = p;
            string tq = GraphEdit.Unique(used, t + "_quantized"), tdq = GraphEdit.Unique(used, t + "_dequantized");
            qdqAfter[t] =
            [
                new OnnxNode("QuantizeLinear", GraphEdit.Unique(used, t + "_QuantizeLinear"), [t, p.Item1, p.Item2], [tq]),
                new OnnxNode("DequantizeLinear", GraphEdit.Unique(used, t + "_DequantizeLinear"), [tq, p.Item1, p.Item2], [tdq]),
            ];
            replaced[t] = tdq;
        }

        var nodes = new List<OnnxNode>(g.Nodes.Count * 3);
        foreach (var i in g.Inputs) if (qdqAfter.TryGetValue(i.Name, out var l)) nodes.AddRange(l);
        foreach (var original in g.Nodes)
        {
            var n = GraphEdit.CopyNode(original);
            for (int k = 0; k < n.Inputs.Count; k++)
                if (replaced.TryGetValue(n.Inputs[k], out var r)) n.Inputs[k] = r;
            if (plan.Quantized.Contains(original) && original.OpType is "Conv" or "Gemm" or "MatMul")
                nodes.AddRange(QuantizeWeights(n, original, inits, paramNames[original.Inputs[0]].Q.Scale, g, used));
            nodes.Add(n);
            foreach (var o in original.Outputs) if (qdqAfter.TryGetValue(o, out var l)) nodes.AddRange(l);
        }
        g.Nodes = nodes;
        BatchNormFolder.RemoveUnusedInitializers(g);
        RaiseOpset(model);
    }

    /// <summary>Ops whose inputs or attributes changed at opset 13: raising an older model's opset would change their meaning.</summary>
    static readonly HashSet<string> ChangedAt13 = ["Squeeze", "Unsqueeze", "Split", "ReduceSum", "Pad", "Clip", "Resize", "Upsample", "Dropout"];

    /// <summary>Per-axis QuantizeLinear needs opset 13; ResNet ops (Conv, Relu, Add, MaxPool, pooling, Flatten, Gemm) mean the same from 11 to 17.</summary>
    static void RaiseOpset(OnnxModel model)
    {
        var ai = model.OpsetImports.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").ToList();
        if (ai.All(o => o.Version >= MinOpset)) return;
        var changed = model.Graph.Nodes.Where(n => string.IsNullOrEmpty(n.Domain) && ChangedAt13.Contains(n.OpType)).Select(n => n.OpType).Distinct().ToList();
        if (changed.Count > 0)
            throw new NotSupportedException($"the model uses opset {model.DefaultOpsetVersion}; int8 QDQ needs opset {MinOpset}, and its {string.Join(", ", changed)} changed meaning at 13: re-export the float model with opset >= 13");
        foreach (var o in ai) o.Version = MinOpset;
    }

    /// <summary>Replaces the node's float weight (and bias) inputs by DQ outputs of int8 (int32) initializers; returns the DQ nodes.</summary>
    static List<OnnxNode> QuantizeWeights(OnnxNode n, OnnxNode original, Dictionary<string, OnnxTensor> inits, float inputScale, OnnxGraph g, HashSet<string> used)
    {
        var wT = inits[original.Inputs[1]];
        var w = wT.ToFloatArray();
        // Output channels: axis 0 of a Conv weight [Cout,Cin/g,kh,kw] and of Gemm's B with transB=1 ([N,K]);
        // axis 1 of B [K,N] (Gemm transB=0, MatMul). Scales are computed on rows, so transpose those first.
        int axis = original.OpType == "Conv" || (original.OpType == "Gemm" && original.GetInt("transB") == 1) ? 0 : 1;
        int channels = (int)wT.Dims[axis];
        var rows = axis == 0 ? w : Transpose(w, (int)wT.Dims[0], (int)wT.Dims[1]);
        var scales = QuantMath.WeightScales(rows, channels);
        var qRows = QuantMath.QuantizeWeights(rows, scales);
        var q = axis == 0 ? qRows : Transpose(qRows, (int)wT.Dims[1], (int)wT.Dims[0]);

        string baseName = original.Name ?? original.Inputs[1];
        var dqs = new List<OnnxNode>();
        string wq = GraphEdit.Unique(used, baseName + ".weight_quantized"), ws = GraphEdit.Unique(used, baseName + ".weight_scale");
        string wz = GraphEdit.Unique(used, baseName + ".weight_zero_point"), wdq = GraphEdit.Unique(used, baseName + ".weight_dequantized");
        g.Initializers.Add(GraphEdit.Int8(wq, wT.Dims, q));
        g.Initializers.Add(GraphEdit.Floats(ws, scales));
        g.Initializers.Add(GraphEdit.Int8(wz, [channels], new sbyte[channels]));
        dqs.Add(new OnnxNode("DequantizeLinear", GraphEdit.Unique(used, baseName + ".weight_DequantizeLinear"), [wq, ws, wz], [wdq], OnnxAttribute.Int("axis", axis)));
        n.Inputs[1] = wdq;

        if (original.Inputs.Count > 2 && !string.IsNullOrEmpty(original.Inputs[2]))
        {
            var b = inits[original.Inputs[2]].ToFloatArray();
            if (b.Length != channels)
                throw new InvalidDataException($"node '{original.Name}' ({original.OpType}): bias has {b.Length} values for {channels} output channels");
            var (bq, bs) = QuantMath.QuantizeBias(b, inputScale, scales);
            string bqn = GraphEdit.Unique(used, baseName + ".bias_quantized"), bsn = GraphEdit.Unique(used, baseName + ".bias_scale");
            string bzn = GraphEdit.Unique(used, baseName + ".bias_zero_point"), bdq = GraphEdit.Unique(used, baseName + ".bias_dequantized");
            g.Initializers.Add(GraphEdit.Int32(bqn, [channels], bq));
            g.Initializers.Add(GraphEdit.Floats(bsn, bs));
            g.Initializers.Add(GraphEdit.Int32(bzn, [channels], new int[channels]));
            dqs.Add(new OnnxNode("DequantizeLinear", GraphEdit.Unique(used, baseName + ".bias_DequantizeLinear"), [bqn, bsn, bzn], [bdq], OnnxAttribute.Int("axis", 0)));
            n.Inputs[2] = bdq;
        }
        return dqs;
    }

    static T[] Transpose<T>(T[] a, int rows, int cols)
    {
        var t = new T[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
