// QdqPlan: which nodes run in int8 and which tensors get a QuantizeLinear -> DequantizeLinear pair,
// chosen so ONNX Runtime's QDQ transformers fuse them into int8 kernels (checked by FusionCheck):
//   DQ(x), DQ(W), DQ(b) -> Conv [-> Relu] -> Q    → QLinearConv (ReLU absorbed: its Q has zero point 0)
//   DQ(a), DQ(b)        -> Add  [-> Relu] -> Q    → QLinearAdd
//   DQ(x) -> MaxPool | Flatten | Reshape -> Q with the input's own scale/zero point → int8 op, Q/DQ dropped
//   DQ(x) -> GlobalAveragePool -> Q               → QLinearGlobalAveragePool   (int8 head only)
//   DQ(x), DQ(W), DQ(b) -> Gemm | MatMul (float out) → QGemm / MatMulIntegerToFloat (int8 head only)
// So the Q/DQ pairs sit after every ReLU, Add, MaxPool and un-ReLU'd Conv, and on the graph input:
// quantizing only the conv inputs leaves every op between them in float, which ORT fuses into nothing
// (measured in issue 11: 1.3× slower than float32, against 2.7× faster with this placement).
// Anything else — an unknown op, a Conv with non-constant weights, a BatchNormalization that could not
// be folded — stays float32 and is listed in FloatOps; its float inputs come from the DQ outputs.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal sealed class QdqPlan
{
    /// <summary>Nodes that run in int8 (their activation inputs are read through DQ).</summary>
    public HashSet<OnnxNode> Quantized { get; } = [];
    /// <summary>Tensors that get Q/DQ, in graph order; a null value = calibrated, else the tensor whose parameters it shares.</summary>
    public List<(string Tensor, string SameAs)> Tensors { get; } = [];
    /// <summary>Ops left in float32 although the quantizer could not place them (op type → count).</summary>
    public SortedDictionary<string, int> FloatOps { get; } = new(StringComparer.Ordinal);
    /// <summary>Head ops kept in float32 by choice (QuantizeHead = false).</summary>
    public SortedDictionary<string, int> FloatHeadOps { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Calibrated => Tensors.Where(t => t.SameAs == null).Select(t => t.Tensor);

    static readonly HashSet<string> PassThrough = ["MaxPool", "Flatten", "Reshape"];
    static readonly HashSet<string> Head = ["GlobalAveragePool", "AveragePool", "Flatten", "Reshape"];

    public static QdqPlan Make(OnnxGraph g, bool quantizeHead)
    {
        var plan = new QdqPlan();
        var inits = GraphEdit.Initializers(g);
        var uses = GraphEdit.UseCounts(g);
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
            foreach (var s in n.Inputs.Where(s => !string.IsNullOrEmpty(s)).Distinct())
                (consumers.TryGetValue(s, out var l) ? l : consumers[s] = []).Add(n);
        var graphOutputs = new HashSet<string>(g.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        bool IsFloatConst(string name) => inits.TryGetValue(name, out var t) && t.DataType == OnnxDataType.Float;

        // The head: the classifier (Gemm/MatMul) and the pooling/flattening after the last Conv.
        int lastConv = g.Nodes.FindLastIndex(n => n.OpType == "Conv");
        var head = new HashSet<OnnxNode>(g.Nodes.Where((n, i) => n.OpType is "Gemm" or "MatMul" || (i > lastConv && Head.Contains(n.OpType))));

        // Which nodes run in int8.
        var fusedRelu = new HashSet<OnnxNode>();
        foreach (var n in g.Nodes)
        {
            if (!string.IsNullOrEmpty(n.Domain)) { Count(plan.FloatOps, n); continue; }
            if (head.Contains(n) && !quantizeHead) { Count(plan.FloatHeadOps, n); continue; }
            bool ok = n.OpType switch
            {
                "Conv" => n.Inputs.Count >= 2 && IsFloatConst(n.Inputs[1]) && (n.Inputs.Count < 3 || n.Inputs[2] == "" || IsFloatConst(n.Inputs[2])),
                "Gemm" => n.Inputs.Count >= 2 && IsFloatConst(n.Inputs[1]) && n.GetInt("transA") == 0 && inits[n.Inputs[1]].Dims.Length == 2
                          && (n.Inputs.Count < 3 || n.Inputs[2] == "" || (IsFloatConst(n.Inputs[2]) && inits[n.Inputs[2]].Dims.Length == 1))
                          && n.GetFloat("alpha", 1f) == 1f && n.GetFloat("beta", 1f) == 1f,
                "MatMul" => IsFloatConst(n.Inputs[1]) && inits[n.Inputs[1]].Dims.Length == 2,
                "Add" => n.Inputs.Count == 2 && !inits.ContainsKey(n.Inputs[0]) && !inits.ContainsKey(n.Inputs[1]),
                "Relu" => true,
                "MaxPool" => n.Outputs.Count == 1,
                "GlobalAveragePool" or "Flatten" => true,
                "Reshape" => n.Inputs.Count == 2 && inits.ContainsKey(n.Inputs[1]),
                _ => false,
            };
            if (!ok) { Count(plan.FloatOps, n); continue; }
            if (n.OpType == "Relu" && fusedRelu.Contains(n)) continue;
            plan.Quantized.Add(n);
            // Conv/Add followed by their only reader, a Relu: the Relu becomes part of the int8 kernel.
            if (n.OpType is "Conv" or "Add" && Single(n.Outputs[0]) is { OpType: "Relu" } r && string.IsNullOrEmpty(r.Domain))
                fusedRelu.Add(r);
        }

        OnnxNode Single(string tensor) =>
            !graphOutputs.Contains(tensor) && uses.GetValueOrDefault(tensor) == 1 && consumers.TryGetValue(tensor, out var l) && l.Count == 1 ? l[0] : null;

        // Which tensors get Q/DQ: inputs and (fused) outputs of int8 nodes.
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var o in n.Outputs) producer[o] = n;
        var need = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes.Where(plan.Quantized.Contains))
        {
            var acts = n.OpType is "Conv" or "Gemm" or "MatMul" or "Reshape" ? n.Inputs.Take(1) : n.Inputs.Where(s => !inits.ContainsKey(s));
            foreach (var s in acts) need.Add(s);
            if (n.OpType is "Gemm" or "MatMul") continue;   // the head's logits stay float
            string output = n.Outputs[0];
            if (n.OpType is "Conv" or "Add" && Single(output) is { } r && fusedRelu.Contains(r)) output = r.Outputs[0];
            need.Add(output);
        }
        // Graph order: the graph input first, then by producer.
        var order = g.Inputs.Select(i => i.Name).Concat(g.Nodes.SelectMany(n => n.Outputs)).Where(need.Contains).Distinct();
        foreach (var t in order)
        {
            var p = producer.GetValueOrDefault(t);
            bool shares = p != null && plan.Quantized.Contains(p) && PassThrough.Contains(p.OpType) && need.Contains(p.Inputs[0]);
            plan.Tensors.Add((t, shares ? p.Inputs[0] : null));
        }
        return plan;
    }

    static void Count(SortedDictionary<string, int> d, OnnxNode n)
    {
        string key = string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}.{n.OpType}";
        d[key] = d.GetValueOrDefault(key) + 1;
    }
}
