using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends;

/// <summary>One compared tensor: |a − b| relative to max |a| (the first backend is the reference).</summary>
internal sealed record LayerDifference(string Tensor, string OpType, int[] Shape, double MaxAbsDiff, double MaxAbsRef, double Relative, bool WithinTolerance);

/// <summary>The whole comparison, in graph order, ending with the model output.</summary>
internal sealed class ComparisonReport
{
    public Backend BackendA { get; init; }
    public Backend BackendB { get; init; }
    public double Tolerance { get; init; }
    public IReadOnlyList<LayerDifference> Layers { get; init; }
    /// <summary>Layer outputs not compared because a backend never materialises them (gl fuses them into a kernel).</summary>
    public int FusedAway { get; init; }
    /// <summary>The first layer over tolerance (where two backends start to disagree), or null.</summary>
    public LayerDifference FirstDivergence => Layers.FirstOrDefault(l => !l.WithinTolerance);
    public bool Agree => FirstDivergence == null;

    public string Format()
    {
        var sb = new System.Text.StringBuilder();
        string a = BackendA.ToName(), b = BackendB.ToName();
        sb.AppendLine($"compare {a} vs {b}: {Layers.Count} tensors{(FusedAway > 0 ? $" ({FusedAway} inside fused gl kernels not compared)" : "")}, tolerance {Tolerance:G3} of each tensor's max |{a}|");
        int w = Math.Max(6, Layers.Max(l => l.Tensor.Length));
        sb.AppendLine($"  {"tensor".PadRight(w)}  {"op",-18} {"shape",-18} {"max|diff|",11} {"max|ref|",11} {"relative",10}");
        foreach (var l in Layers)
            sb.AppendLine(FormattableString.Invariant($"  {l.Tensor.PadRight(w)}  {l.OpType,-18} {"[" + string.Join(",", l.Shape) + "]",-18} {l.MaxAbsDiff,11:G3} {l.MaxAbsRef,11:G3} {l.Relative,10:G3}{(l.WithinTolerance ? "" : "  <-- over")}"));
        var first = FirstDivergence;
        sb.Append(first == null
            ? $"all {Layers.Count} tensors agree within {Tolerance:G3}"
            : $"first divergence: {first.Tensor} ({first.OpType}), relative difference {first.Relative:G3} > {Tolerance:G3}");
        return sb.ToString();
    }
}

/// <summary>
/// Runs two backends on the same model and input, layer by layer (Barracuda's CompareOps idea): every Conv
/// (after its BatchNorm), Relu, Add and pooling output is requested as a tap from both, and the outputs are
/// compared in graph order, each relative to the first backend's max |value| for that tensor, so early tiny
/// tensors and late large ones are judged alike. The first tensor over tolerance names where they diverge.
/// When one side is gl, only tensors its fused network computes anyway (kernel boundaries) are compared, so gl runs
/// the same fused kernels as without compare: tapping a tensor inside a fused conv+BN+add+ReLU would split it.
/// </summary>
internal static class BackendComparer
{
    static readonly HashSet<string> Compared = new(StringComparer.Ordinal)
        { "Conv", "BatchNormalization", "Relu", "Add", "MaxPool", "GlobalAveragePool", "AveragePool", "Gemm", "MatMul" };

    /// <summary>The tensors compared: outputs of the ops above, minus a Conv output that only feeds a BatchNormalization
    /// (GPU backends fold BN into the conv, so that pre-BN value never exists there).</summary>
    public static List<(string Tensor, string OpType)> LayerOutputs(OnnxModel model)
    {
        var g = model.Graph;
        var list = new List<(string, string)>();
        var finals = new HashSet<string>(g.Outputs.Select(o => o.Name));
        foreach (var n in g.Nodes)
        {
            if (!Compared.Contains(n.OpType) || n.Outputs.Count == 0 || finals.Contains(n.Outputs[0])) continue;
            var consumers = g.FindConsumers(n.Outputs[0]);
            if (n.OpType == "Conv" && consumers.Count > 0 && consumers.All(c => c.OpType == "BatchNormalization")) continue;
            list.Add((n.Outputs[0], n.OpType));
        }
        return list;
    }

    /// <summary>The layer outputs both backends materialise: <see cref="LayerOutputs"/>, minus (when either is gl) the
    /// tensors gl's fused network does not compute.</summary>
    public static List<(string Tensor, string OpType)> ComparedTensors(OnnxModel model, Backend backendA, Backend backendB)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = LayerOutputs(model);
        if (backendA != Backend.Gl && backendB != Backend.Gl) return layers;
        var fused = GlNetworkBuilder.Build(model);
        var computed = new HashSet<string>(fused.Tensors.SelectMany(t => t.Aliases.Prepend(t.Name)), StringComparer.Ordinal);
        return layers.Where(l => computed.Contains(l.Tensor)).ToList();
    }

    /// <param name="deviceId">The adapter (ort-dml) or CUDA device (ort-cuda) of both backends.</param>
    public static ComparisonReport Compare(OnnxModel model, Backend backendA, Backend backendB, float[] input, int batch, double tolerance = 1e-4, int deviceId = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = ComparedTensors(model, backendA, backendB);
        int fusedAway = LayerOutputs(model).Count - layers.Count;
        var taps = layers.Select(l => l.Tensor).ToArray();
        var opts = new BackendOptions { Taps = taps, MaxBatch = batch, DeviceId = deviceId };
        using var a = BackendFactory.Create(backendA, model, opts);
        using var b = BackendFactory.Create(backendB, model, opts);
        if (a.Channels * a.Height * a.Width * batch != input.Length)
            throw new ArgumentException($"input has {input.Length} floats; the model takes {batch}x{a.Channels}x{a.Height}x{a.Width}");
        var la = new float[batch * a.Classes];
        var lb = new float[batch * b.Classes];
        a.Run(input, batch, la);
        b.Run(input, batch, lb);
        var result = new List<LayerDifference>();
        for (int i = 0; i < layers.Count; i++)
        {
            var ta = a.Taps[i]; var tb = b.Taps[i];
            int per = ta.Shape.Skip(1).Aggregate(1, (x, y) => x * y);
            int perB = tb.Shape.Skip(1).Aggregate(1, (x, y) => x * y);
            if (per != perB)
                throw new InvalidOperationException($"tap {layers[i].Tensor}: {backendA.ToName()} gives shape [{string.Join(",", ta.Shape)}], {backendB.ToName()} [{string.Join(",", tb.Shape)}]");
            var shape = new[] { batch }.Concat(ta.Shape.Skip(1)).ToArray();
            result.Add(Diff(layers[i].Tensor, layers[i].OpType, shape, ta.Data.AsSpan(0, batch * per), tb.Data.AsSpan(0, batch * per), tolerance));
        }
        result.Add(Diff(model.Graph.Outputs[0].Name, "output", new[] { batch, a.Classes }, la, lb, tolerance));
        return new ComparisonReport { BackendA = backendA, BackendB = backendB, Tolerance = tolerance, Layers = result, FusedAway = fusedAway };
    }

    public static LayerDifference Diff(string name, string op, int[] shape, ReadOnlySpan<float> a, ReadOnlySpan<float> b, double tolerance)
    {
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            maxRef = Math.Max(maxRef, Math.Abs(a[i]));
            double d = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, d);
        }
        double rel = maxRef > 0 ? maxDiff / maxRef : (maxDiff > 0 ? double.PositiveInfinity : 0);
        return new LayerDifference(name, op, shape, maxDiff, maxRef, rel, rel <= tolerance);
    }
}
