using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// ONNX graph → <see cref="GlNetwork"/>. Supports what ResNet exports contain: Conv (+ BatchNormalization,
/// folded into the weights; a BatchNormalization that cannot be folded, as in pre-activation v2 ResNets, becomes a
/// per-channel affine layer), Relu, Add, MaxPool, GlobalAveragePool, AveragePool covering the whole map,
/// Flatten, Reshape to [N, -1], Gemm, MatMul (+ Add of a constant bias), Identity/Dropout, and the
/// shape arithmetic some exporters emit before Reshape (Shape, Gather, Unsqueeze, Concat, Constant).
/// Anything else throws NotSupportedException naming the op and the node.
/// Fusion (after lowering): Relu into the Conv/Add/FC before it; Add into the epilogue of the Conv that
/// produced one operand (residual = the other). A tensor named in <c>keep</c> (taps) is never fused away.
/// </summary>
internal static class GlNetworkBuilder
{
    public static GlNetwork Build(OnnxModel model, IEnumerable<string> keep = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        GraphValidator.Validate(model);   // the checks every backend shares (BackendFactory runs them for ORT)
        var g = model.Graph;
        var keepSet = new HashSet<string>(keep ?? Array.Empty<string>(), StringComparer.Ordinal);
        var net = new GlNetwork();
        var lo = new GlLowering(net, g, keepSet);
        foreach (var t in g.Initializers) lo.Consts[t.Name] = t;
        var shapeValues = new HashSet<string>(StringComparer.Ordinal); // outputs of shape arithmetic, not activations

        var inputs = g.RealInputs();
        if (inputs.Count != 1) throw new NotSupportedException($"gl backend: the model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); one image input is supported");
        var inShape = inputs[0].ShapeOrMinusOne();
        if (inShape == null || inShape.Length != 4 || inShape[1] <= 0 || inShape[2] <= 0 || inShape[3] <= 0)
            throw new NotSupportedException($"gl backend: input '{inputs[0].Name}' must be [N, C, H, W] with fixed C, H, W (got [{(inShape == null ? "?" : string.Join(", ", inShape))}])");
        net.Input = net.AddTensor(inputs[0].Name, (int)inShape[1], (int)inShape[2], (int)inShape[3]);
        lo.TensorOf[inputs[0].Name] = net.Input;

        foreach (var n in g.Nodes)
        {
            string where = GlLowering.Where(n);
            // What is not a layer: constants, shape arithmetic and the ops that only rename a tensor.
            switch (n.OpType)
            {
                case "Constant":
                {
                    var v = n.GetAttribute("value");
                    if (v?.T != null) lo.Consts[n.Outputs[0]] = v.T;
                    shapeValues.Add(n.Outputs[0]);
                    continue;
                }
                case "Shape" or "Gather" or "Unsqueeze" or "Concat" or "Squeeze" or "Cast" or "Slice"
                    when n.OpType == "Shape" || n.Inputs.All(i => !lo.IsActivation(i)):
                    foreach (var o in n.Outputs) shapeValues.Add(o);
                    continue;
                case "Flatten":
                {
                    int x = lo.Act(n, 0);
                    if (n.GetInt("axis", 1) != 1) throw new NotSupportedException($"gl backend: {where}: Flatten with axis {n.GetInt("axis", 1)} (only 1)");
                    lo.Flat(x); lo.Alias(n, x);
                    continue;
                }
                case "Reshape":
                {
                    int x = lo.Act(n, 0);
                    if (lo.Consts.TryGetValue(n.Inputs[1], out var shapeT))
                    {
                        var shape = shapeT.ToInt64Array();
                        bool flatten = shape.Length == 2 && (shape[1] == -1 || shape[1] == net.Tensors[x].Size);
                        if (!flatten) throw new NotSupportedException($"gl backend: {where}: Reshape to [{string.Join(", ", shape)}] (only [N, -1] flattening is supported)");
                    }
                    else if (!shapeValues.Contains(n.Inputs[1]))
                        throw new NotSupportedException($"gl backend: {where}: Reshape with a computed shape '{n.Inputs[1]}'");
                    // A computed shape in a ResNet export is the batch-preserving flatten before the classifier.
                    lo.Flat(x); lo.Alias(n, x);
                    continue;
                }
                case "Identity":
                case "Dropout":
                    lo.Alias(n, lo.Act(n, 0));
                    continue;
            }
            // A layer: the first kernel (in GlOpKind's order) that takes the node lowers it.
            bool lowered = false;
            foreach (var k in GlOpKind.All)
                if (k.TryLower(lo, n)) { lowered = true; break; }
            if (!lowered)
                throw new NotSupportedException($"gl backend: op {n.OpType} (node '{n.Name}') is not supported; supported: Conv, BatchNormalization, Relu, Add, MaxPool, GlobalAveragePool, AveragePool (global), Flatten, Reshape, Gemm, MatMul; set the options' Backend = Backend.OrtCpu");
        }

        if (g.Outputs.Count < 1 || !lo.TensorOf.TryGetValue(g.Outputs[0].Name, out int output))
            throw new NotSupportedException($"gl backend: graph output '{g.Outputs.FirstOrDefault()?.Name}' is not computed by supported ops");
        net.Output = output;
        var keepAll = new HashSet<string>(keepSet);
        foreach (var o in g.Outputs) keepAll.Add(o.Name);
        Fuse(net, keepAll);
        FindCam(net);
        net.Validate();
        return net;
    }

    /// <summary>Merges Relu and Add into the layer before them, removing tensors nothing else reads and no one asked for.</summary>
    static void Fuse(GlNetwork net, HashSet<string> keep)
    {
        bool Kept(int t) => keep.Contains(net.Tensors[t].Name) || net.Tensors[t].Aliases.Any(keep.Contains) || t == net.Output || t == net.Input;
        int Readers(int t) => net.Ops.Count(o => o.Inputs.Contains(t) || o.Residual == t);
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < net.Ops.Count && !changed; i++)
            {
                var op = net.Ops[i];
                if (op.Kind == GlOpKind.Relu)
                {
                    int x = op.Inputs[0];
                    var prod = net.Ops.FirstOrDefault(o => o.Output == x);
                    if (prod != null && prod.Kind.FusesRelu && !prod.Relu && Readers(x) == 1 && !Kept(x))
                    {
                        prod.Relu = true;
                        prod.Fused.Add(op.Name);
                        Replace(net, op.Output, x);
                        net.Ops.RemoveAt(i);
                        changed = true;
                    }
                }
                else if (op.Kind == GlOpKind.Add)
                {
                    for (int side = 0; side < 2 && !changed; side++)
                    {
                        int x = op.Inputs[side], other = op.Inputs[1 - side];
                        var prod = net.Ops.FirstOrDefault(o => o.Output == x);
                        if (prod == null || prod.Kind != GlOpKind.Conv || prod.Relu || prod.Residual >= 0 || Readers(x) != 1 || Kept(x)) continue;
                        // The residual must exist when the conv runs: computed before it (or the network input).
                        int pi = net.Ops.IndexOf(prod);
                        int oi = net.Ops.FindIndex(o => o.Output == other);
                        if (oi > pi) continue;
                        prod.Residual = other;
                        prod.Relu = op.Relu;
                        prod.Fused.Add(op.Name);
                        prod.Fused.AddRange(op.Fused);
                        Replace(net, op.Output, x);
                        net.Ops.RemoveAt(i);
                        changed = true;
                    }
                }
            }
        }
        Compact(net);
    }

    /// <summary>Every use of tensor <paramref name="from"/> now reads <paramref name="to"/>, which takes its name.</summary>
    static void Replace(GlNetwork net, int from, int to)
    {
        var f = net.Tensors[from];
        var r = new GlTensor(f.Name, net.Tensors[to].C, net.Tensors[to].H, net.Tensors[to].W);
        r.Aliases.AddRange(f.Aliases);
        net.Tensors[to] = r;
        foreach (var o in net.Ops)
        {
            for (int k = 0; k < o.Inputs.Length; k++) if (o.Inputs[k] == from) o.Inputs[k] = to;
            if (o.Residual == from) o.Residual = to;
        }
        if (net.Output == from) net.Output = to;
        net.Tensors[from] = new GlTensor("(fused) " + f.Name, f.C, f.H, f.W);
    }

    /// <summary>Drops tensors no layer writes (fused away) and renumbers.</summary>
    static void Compact(GlNetwork net)
    {
        var live = new HashSet<int>(net.Ops.Select(o => o.Output)) { net.Input };
        var map = new int[net.Tensors.Count];
        var list = new List<GlTensor>();
        for (int i = 0; i < net.Tensors.Count; i++)
        {
            map[i] = -1;
            if (live.Contains(i)) { map[i] = list.Count; list.Add(net.Tensors[i]); }
        }
        net.Tensors.Clear(); net.Tensors.AddRange(list);
        foreach (var o in net.Ops)
        {
            o.Inputs = o.Inputs.Select(t => map[t]).ToArray();
            o.Output = map[o.Output];
            if (o.Residual >= 0) o.Residual = map[o.Residual];
        }
        net.Input = map[net.Input];
        net.Output = map[net.Output];
    }

    /// <summary>CAM needs ... → GlobalAvgPool → (flatten) → FullyConnected = output. Finds that pair.</summary>
    static void FindCam(GlNetwork net)
    {
        var fcIndex = net.Ops.FindIndex(o => o.Output == net.Output && o.Kind == GlOpKind.FullyConnected && !o.Relu);
        if (fcIndex < 0) return;
        var gap = net.Ops.FirstOrDefault(o => o.Output == net.Ops[fcIndex].Inputs[0] && o.Kind == GlOpKind.GlobalAvgPool);
        if (gap == null) return;
        net.CamFeatures = gap.Inputs[0];
        net.CamClassifier = fcIndex;
    }
}

/// <summary>
/// The state of one ONNX → <see cref="GlNetwork"/> lowering, handed to each <see cref="GlKernel.TryLower"/>: the network
/// so far, which ONNX name is which tensor, the constants, and the helpers that turn a node's inputs and outputs into
/// tensors with errors that name the node.
/// </summary>
internal sealed class GlLowering
{
    public GlLowering(GlNetwork net, OnnxGraph graph, HashSet<string> keep) { Net = net; Graph = graph; Keep = keep; }
    public GlNetwork Net { get; }
    public OnnxGraph Graph { get; }
    /// <summary>Tensor names asked for as taps: never folded away.</summary>
    public HashSet<string> Keep { get; }
    /// <summary>ONNX value name → tensor index, for every activation computed so far.</summary>
    public Dictionary<string, int> TensorOf { get; } = new(StringComparer.Ordinal);
    /// <summary>Initializers and Constant outputs.</summary>
    public Dictionary<string, OnnxTensor> Consts { get; } = new(StringComparer.Ordinal);

    public static string Where(OnnxNode n) => $"{n.OpType} node '{n.Name}'";

    public bool IsActivation(string name) => TensorOf.ContainsKey(name);

    /// <summary>Input <paramref name="i"/> as a constant's values; null when the input is absent.</summary>
    public float[] Const(OnnxNode n, int i, string what)
    {
        if (n.Inputs.Count <= i || string.IsNullOrEmpty(n.Inputs[i])) return null;
        if (!Consts.TryGetValue(n.Inputs[i], out var t))
            throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': {what} '{n.Inputs[i]}' must be a constant initializer");
        return t.ToFloatArray();
    }

    /// <summary>Input <paramref name="i"/> as a tensor index.</summary>
    public int Act(OnnxNode n, int i)
    {
        if (!TensorOf.TryGetValue(n.Inputs[i], out int t))
            throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': input '{n.Inputs[i]}' is not an activation the backend computed (constant or unsupported producer)");
        return t;
    }

    /// <summary>A new tensor for the node's first output.</summary>
    public int Out(OnnxNode n, int c, int h, int w)
    {
        int t = Net.AddTensor(n.Outputs[0], c, h, w);
        TensorOf[n.Outputs[0]] = t;
        return t;
    }

    /// <summary>The node's first output is another name of tensor <paramref name="t"/>.</summary>
    public void Alias(OnnxNode n, int t)
    {
        Net.Tensors[t].Aliases.Add(n.Outputs[0]);
        TensorOf[n.Outputs[0]] = t;
    }

    /// <summary>Tensor <paramref name="t"/>, which was <paramref name="from"/>, is now <paramref name="to"/> (a node folded into its producer).</summary>
    public void Rename(int t, string from, string to)
    {
        var old = Net.Tensors[t];
        var r = new GlTensor(to, old.C, old.H, old.W);
        r.Aliases.AddRange(old.Aliases);
        Net.Tensors[t] = r;
        TensorOf.Remove(from);
        TensorOf[to] = t;
    }

    /// <summary>C×H×W becomes (C·H·W)×1×1 (the data does not move).</summary>
    public void Flat(int x)
    {
        var t = Net.Tensors[x];
        if (t.H == 1 && t.W == 1) return;
        var r = new GlTensor(t.Name, t.Size, 1, 1);
        r.Aliases.AddRange(t.Aliases);
        Net.Tensors[x] = r;
    }

    public int Consumers(string name) => Graph.Nodes.Count(n => n.Inputs.Contains(name));

    public static int[] Ints(OnnxNode n, string name, int count, int fallback)
    {
        var v = n.GetInts(name);
        if (v == null) return Enumerable.Repeat(fallback, count).ToArray();
        return v.Select(x => (int)x).ToArray();
    }

    public static void NoAutoPad(OnnxNode n)
    {
        var ap = n.GetString("auto_pad", "NOTSET");
        if (ap is not ("NOTSET" or "VALID" or "" or null))
            throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': auto_pad={ap} is not supported (export with explicit pads)");
    }
}
