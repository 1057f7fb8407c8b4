using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Fuzz;

/// <summary>
/// Mutations of a parsed model that keep it a well-formed protobuf, so they reach the validator and the
/// backends: attribute/weight mismatches, zero or negative dims, cycles, an initializer that claims
/// 10^12 (or 2^62) elements, dangling inputs, wrong data types and opsets — and changes that leave a
/// valid but different model (other pads, kernel, stride, weight values), which both backends must run alike.
/// Each takes a fresh parse of the seed and says what it did.
/// </summary>
static class ModelMutations
{
    delegate string Mutation(OnnxModel m, Random r);

    static readonly Mutation[] All =
    [
        KernelShapeVsWeight, WindowAttribute, Group, ZeroOrNegativeDims, Cycle, HugeInitializer, Dangling,
        DataType, DropOrDuplicateNode, OpType, WeightValue, Opset, InputShape, AttributeType, BatchNormSize,
        ConsistentKernel, ConsistentWindow,
    ];

    public static Mutant Mutate(byte[] seed, Random r)
    {
        var m = OnnxModel.Parse(seed, "seed");
        var mutation = All[r.Next(All.Length)];
        string what = mutation(m, r) ?? "unchanged (no node of the kind)";
        return new Mutant($"{mutation.Method.Name}: {what}", m.ToBytes());
    }

    static T Pick<T>(IReadOnlyList<T> list, Random r) => list.Count == 0 ? default : list[r.Next(list.Count)];
    static OnnxNode PickNode(OnnxModel m, Random r, params string[] ops) =>
        Pick(m.Graph.Nodes.Where(n => ops.Length == 0 || ops.Contains(n.OpType)).ToList(), r);
    static OnnxTensor Weight(OnnxModel m, OnnxNode n, int input) =>
        input < n.Inputs.Count ? m.Graph.FindInitializer(n.Inputs[input]) : null;
    static OnnxTensor PickFloatInit(OnnxModel m, Random r) =>
        Pick(m.Graph.Initializers.Where(t => t.DataType == OnnxDataType.Float && t.ElementCount > 0).ToList(), r);
    static string L(long[] v) => "[" + string.Join(",", v) + "]";
    static float[] RandomFloats(Random r, long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();

    static string KernelShapeVsWeight(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "Conv");
        if (n == null) return null;
        var w = Weight(m, n, 1);
        long k = 1 + r.Next(7);
        long[] dims = [w.Dims[0], w.Dims[1], k, 1 + r.Next(7)];
        w.Dims = dims;
        w.RawData = null; w.FloatData = RandomFloats(r, dims.Aggregate(1L, (a, b) => a * b));
        return $"{n.Name}: weight {w.Name} now {L(dims)}, kernel_shape {L(n.GetInts("kernel_shape") ?? [])}";
    }

    static readonly long[] Odd = [0, -1, -7, 1, 2, 3, 5, 1L << 31, 1L << 40, long.MaxValue, long.MinValue];

    static string WindowAttribute(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "Conv", "MaxPool", "AveragePool");
        if (n == null) return null;
        string attr = Pick(["strides", "pads", "dilations", "kernel_shape"], r);
        int count = attr == "pads" ? 4 : 2;
        if (r.Next(5) == 0) count = r.Next(7);
        var v = Enumerable.Range(0, count).Select(_ => Odd[r.Next(Odd.Length)]).ToArray();
        n.SetAttribute(OnnxAttribute.IntList(attr, v));
        return $"{n.Name}: {attr} = {L(v)}";
    }

    static string Group(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "Conv");
        if (n == null) return null;
        long g = Odd[r.Next(Odd.Length)];
        n.SetAttribute(OnnxAttribute.Int("group", g));
        return $"{n.Name}: group = {g}";
    }

    static string ZeroOrNegativeDims(OnnxModel m, Random r)
    {
        var t = PickFloatInit(m, r);
        if (t == null) return null;
        var dims = (long[])t.Dims.Clone();
        if (dims.Length == 0) dims = [1];
        dims[r.Next(dims.Length)] = r.Next(3) - 2;   // -2, -1 or 0
        t.Dims = dims;
        if (r.Next(2) == 0) { t.RawData = null; t.FloatData = []; }
        return $"initializer {t.Name}: dims {L(dims)}";
    }

    static string Cycle(OnnxModel m, Random r)
    {
        var nodes = m.Graph.Nodes;
        if (nodes.Count < 2) return null;
        int i = 1 + r.Next(nodes.Count - 1), j = i + r.Next(nodes.Count - i);   // j ≥ i: a later node (or itself)
        nodes[i].Inputs[0] = nodes[j].Outputs[0];
        return $"node {nodes[i].Name} input 0 = output of {(i == j ? "itself" : nodes[j].Name)}";
    }

    static string HugeInitializer(OnnxModel m, Random r)
    {
        var t = PickFloatInit(m, r);
        if (t == null) return null;
        long[][] claims = [[1_000_000, 1_000_000], [1L << 62], [1L << 31, 1L << 31, 4], [1_000_000_000_000], [1L << 61, 4]];
        t.Dims = claims[r.Next(claims.Length)];
        if (r.Next(2) == 0) t.RawData = [];
        return $"initializer {t.Name}: dims {L(t.Dims)} over {t.RawData?.Length ?? 0} raw bytes";
    }

    static string Dangling(OnnxModel m, Random r)
    {
        var g = m.Graph;
        if (r.Next(3) == 0 && g.Outputs.Count > 0) { g.Outputs[0].Name = "nowhere"; return "graph output renamed 'nowhere'"; }
        var n = Pick(g.Nodes, r);
        int k = r.Next(n.Inputs.Count);
        n.Inputs[k] = "missing_" + r.Next(1000);
        return $"{n.Name}: input {k} = {n.Inputs[k]}";
    }

    static string DataType(OnnxModel m, Random r)
    {
        var t = Pick(m.Graph.Initializers, r);
        OnnxDataType[] types = [OnnxDataType.Double, OnnxDataType.Float16, OnnxDataType.Int64, OnnxDataType.Int32, OnnxDataType.Int8,
                                OnnxDataType.UInt8, OnnxDataType.Bool, OnnxDataType.String, (OnnxDataType)99, OnnxDataType.Undefined];
        t.DataType = types[r.Next(types.Length)];
        return $"initializer {t.Name}: data_type {(int)t.DataType}";
    }

    static string DropOrDuplicateNode(OnnxModel m, Random r)
    {
        var nodes = m.Graph.Nodes;
        int i = r.Next(nodes.Count);
        string name = nodes[i].Name;
        if (r.Next(2) == 0) { nodes.RemoveAt(i); return $"node {name} removed"; }
        var n = nodes[i];
        nodes.Insert(i, new OnnxNode(n.OpType, n.Name + "_dup", n.Inputs, n.Outputs, [.. n.Attributes]));
        return $"node {name} duplicated (same outputs)";
    }

    static string OpType(OnnxModel m, Random r)
    {
        var n = Pick(m.Graph.Nodes, r);
        string old = n.OpType;
        n.OpType = Pick(["Relu", "Conv", "Add", "MaxPool", "Gemm", "Flatten", "Sigmoid", "Softmax", "Identity", "BatchNormalization",
                         "GlobalAveragePool", "FooBar", ""], r);
        return $"{n.Name}: {old} -> {n.OpType}";
    }

    static string WeightValue(OnnxModel m, Random r)
    {
        var t = PickFloatInit(m, r);
        if (t == null) return null;
        var data = t.ToFloatArray();
        int at = r.Next(data.Length);
        float[] values = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, 2e10f, 9e9f, 1e5f, -1e3f, 0f, 1e-40f,
                          (float)(r.NextDouble() * 20 - 10), (float)(r.NextDouble() * 2 - 1)];
        data[at] = values[r.Next(values.Length)];
        t.RawData = null; t.FloatData = data;
        return $"initializer {t.Name}[{at}] = {data[at]}";
    }

    static string Opset(OnnxModel m, Random r)
    {
        long[] versions = [0, -1, 1, 6, 7, 9, 11, 13, 17, 21, 25, 26, 1000, long.MaxValue];
        if (r.Next(4) == 0) { m.IrVersion = versions[r.Next(versions.Length)]; return $"ir_version = {m.IrVersion}"; }
        var op = m.OpsetImports.Count > 0 ? m.OpsetImports[0] : new OnnxOpset("", 13);
        if (r.Next(4) == 0) op.Domain = Pick(["com.microsoft", "ai.onnx.ml", "x"], r);
        else op.Version = versions[r.Next(versions.Length)];
        if (r.Next(5) == 0) m.OpsetImports.Clear();
        return $"opset {op} ({m.OpsetImports.Count} imports)";
    }

    static string InputShape(OnnxModel m, Random r)
    {
        var input = m.Graph.RealInputs().FirstOrDefault();
        if (input?.Shape == null) return null;
        int d = r.Next(input.Shape.Length);
        OnnxDim[] choices = [0, -1, 1, 2, 7, 63, 65, 1000, 1 << 20, "X", new OnnxDim()];
        input.Shape[d] = choices[r.Next(choices.Length)];
        if (r.Next(6) == 0) input.Shape = input.Shape[..r.Next(input.Shape.Length)];
        return $"input {input}";
    }

    static string AttributeType(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "Conv", "MaxPool", "Gemm", "Flatten", "BatchNormalization");
        if (n == null || n.Attributes.Count == 0) return null;
        var a = Pick(n.Attributes, r);
        var b = r.Next(3) switch
        {
            0 => OnnxAttribute.Int(a.Name, 1L << 40),
            1 => OnnxAttribute.FloatList(a.Name, 1.5f, float.NaN),
            _ => OnnxAttribute.String(a.Name, "3"),
        };
        n.SetAttribute(b);
        return $"{n.Name}: {a} -> {b}";
    }

    static string BatchNormSize(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "BatchNormalization");
        if (n == null) return null;
        var t = Weight(m, n, 1 + r.Next(4));
        long c = Math.Max(1, t.Dims[0] + (r.Next(2) == 0 ? -1 : 1));
        t.Dims = [c]; t.RawData = null; t.FloatData = RandomFloats(r, c).Select(Math.Abs).ToArray();
        return $"{n.Name}: {t.Name} now [{c}]";
    }

    /// <summary>A valid change: a Conv's kernel becomes k×k with pads (k−1)/2 and new weights — a different model both must run alike.</summary>
    static string ConsistentKernel(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "Conv");
        if (n == null) return null;
        var w = Weight(m, n, 1);
        long k = Pick([1L, 3, 5], r);
        w.Dims = [w.Dims[0], w.Dims[1], k, k];
        w.RawData = null; w.FloatData = RandomFloats(r, w.Dims.Aggregate(1L, (a, b) => a * b));
        n.SetAttribute(OnnxAttribute.IntList("kernel_shape", k, k));
        n.SetAttribute(OnnxAttribute.IntList("pads", k / 2, k / 2, k / 2, k / 2));
        return $"{n.Name}: kernel {k}x{k}, pads {k / 2}";
    }

    /// <summary>In-range pads (asymmetric too), strides and dilations: valid unless the shapes stop matching downstream.</summary>
    static string ConsistentWindow(OnnxModel m, Random r)
    {
        var n = PickNode(m, r, "Conv", "MaxPool");
        if (n == null) return null;
        long[] pads = [r.Next(3), r.Next(3), r.Next(3), r.Next(3)];
        n.SetAttribute(OnnxAttribute.IntList("pads", pads));
        string more = "";
        if (r.Next(3) == 0) { long s = 1 + r.Next(3); n.SetAttribute(OnnxAttribute.IntList("strides", s, s)); more += $", strides {s}"; }
        if (n.OpType == "Conv" && r.Next(3) == 0) { long d = 1 + r.Next(2); n.SetAttribute(OnnxAttribute.IntList("dilations", d, d)); more += $", dilations {d}"; }
        return $"{n.Name}: pads {L(pads)}{more}";
    }
}
