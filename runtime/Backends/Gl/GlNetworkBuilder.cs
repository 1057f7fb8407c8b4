using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// ONNX graph → <see cref="GlNetwork"/>. Supports what ResNet exports contain: Conv (+ BatchNormalization,
/// folded into the weights), Relu, Add, MaxPool, GlobalAveragePool, AveragePool covering the whole map,
/// Flatten, Reshape to [N, -1], Gemm, MatMul (+ Add of a constant bias), Identity/Dropout, and the
/// shape arithmetic some exporters emit before Reshape (Shape, Gather, Unsqueeze, Concat, Constant).
/// Anything else throws NotSupportedException naming the op and the node.
/// Fusion (after lowering): Relu into the Conv/Add/FC before it; Add into the epilogue of the Conv that
/// produced one operand (residual = the other). A tensor named in <c>keep</c> (taps) is never fused away.
/// </summary>
public static class GlNetworkBuilder
{
    public static GlNetwork Build(OnnxModel model, IEnumerable<string> keep = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        GraphValidator.Validate(model);   // the checks every backend shares (BackendFactory runs them for ORT)
        var g = model.Graph;
        var keepSet = new HashSet<string>(keep ?? Array.Empty<string>(), StringComparer.Ordinal);
        var net = new GlNetwork();
        var tensorOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var consts = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in g.Initializers) consts[t.Name] = t;
        var shapeValues = new HashSet<string>(StringComparer.Ordinal); // outputs of shape arithmetic, not activations

        var inputs = g.RealInputs();
        if (inputs.Count != 1) throw new NotSupportedException($"gl backend: the model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); one image input is supported");
        var inShape = inputs[0].ShapeOrMinusOne();
        if (inShape == null || inShape.Length != 4 || inShape[1] <= 0 || inShape[2] <= 0 || inShape[3] <= 0)
            throw new NotSupportedException($"gl backend: input '{inputs[0].Name}' must be [N, C, H, W] with fixed C, H, W (got [{(inShape == null ? "?" : string.Join(", ", inShape))}])");
        net.Input = net.AddTensor(inputs[0].Name, (int)inShape[1], (int)inShape[2], (int)inShape[3]);
        tensorOf[inputs[0].Name] = net.Input;

        float[] Const(OnnxNode n, int i, string what)
        {
            if (n.Inputs.Count <= i || string.IsNullOrEmpty(n.Inputs[i])) return null;
            if (!consts.TryGetValue(n.Inputs[i], out var t))
                throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': {what} '{n.Inputs[i]}' must be a constant initializer");
            return t.ToFloatArray();
        }
        int Act(OnnxNode n, int i)
        {
            if (!tensorOf.TryGetValue(n.Inputs[i], out int t))
                throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': input '{n.Inputs[i]}' is not an activation the backend computed (constant or unsupported producer)");
            return t;
        }
        int Out(OnnxNode n, int c, int h, int w)
        {
            int t = net.AddTensor(n.Outputs[0], c, h, w);
            tensorOf[n.Outputs[0]] = t;
            return t;
        }
        void Alias(OnnxNode n, int t)
        {
            net.Tensors[t].Aliases.Add(n.Outputs[0]);
            tensorOf[n.Outputs[0]] = t;
        }
        static int[] Ints(OnnxNode n, string name, int count, int fallback)
        {
            var v = n.GetInts(name);
            if (v == null) return Enumerable.Repeat(fallback, count).ToArray();
            return v.Select(x => (int)x).ToArray();
        }
        static void NoAutoPad(OnnxNode n)
        {
            var ap = n.GetString("auto_pad", "NOTSET");
            if (ap is not ("NOTSET" or "VALID" or "" or null))
                throw new NotSupportedException($"gl backend: {n.OpType} node '{n.Name}': auto_pad={ap} is not supported (export with explicit pads)");
        }

        foreach (var n in g.Nodes)
        {
            string where = $"{n.OpType} node '{n.Name}'";
            switch (n.OpType)
            {
                case "Constant":
                {
                    var v = n.GetAttribute("value");
                    if (v?.T != null) consts[n.Outputs[0]] = v.T;
                    shapeValues.Add(n.Outputs[0]);
                    break;
                }
                case "Shape" or "Gather" or "Unsqueeze" or "Concat" or "Squeeze" or "Cast" or "Slice"
                    when n.OpType == "Shape" || n.Inputs.All(i => !tensorOf.ContainsKey(i)):
                    foreach (var o in n.Outputs) shapeValues.Add(o);
                    break;
                case "Conv":
                {
                    NoAutoPad(n);
                    int x = Act(n, 0);
                    var xt = net.Tensors[x];
                    var wt = consts.TryGetValue(n.Inputs[1], out var wInit) ? wInit : throw new NotSupportedException($"gl backend: {where}: weight '{n.Inputs[1]}' must be a constant initializer");
                    if (wt.Dims.Length != 4) throw new NotSupportedException($"gl backend: {where}: only 2-D convolution (4-D weights) is supported, weight dims [{string.Join(", ", wt.Dims)}]");
                    int cout = (int)wt.Dims[0], kh = (int)wt.Dims[2], kw = (int)wt.Dims[3];
                    var pads = Ints(n, "pads", 4, 0);
                    var strides = Ints(n, "strides", 2, 1);
                    var dil = Ints(n, "dilations", 2, 1);
                    int groups = (int)n.GetInt("group", 1);
                    if (wt.Dims[1] * groups != xt.C) throw new NotSupportedException($"gl backend: {where}: weight has {wt.Dims[1]} input channels x {groups} groups but the input has {xt.C}");
                    var op = new GlOp
                    {
                        Kind = GlOpKind.Conv, Name = n.Name, Inputs = new[] { x }, KH = kh, KW = kw, StrideH = strides[0], StrideW = strides[1],
                        PadTop = pads[0], PadLeft = pads[1], DilationH = dil[0], DilationW = dil[1], Groups = groups,
                        Weights = wt.ToFloatArray(), Bias = Const(n, 2, "bias") ?? new float[cout],
                    };
                    var (oh, ow) = GlNetwork.ConvOutput(xt.H, xt.W, op, pads[2], pads[3]);
                    if (oh < 1 || ow < 1) throw new NotSupportedException($"gl backend: {where}: output would be {oh}x{ow} for input {xt.H}x{xt.W}");
                    op.Output = Out(n, cout, oh, ow);
                    net.Ops.Add(op);
                    break;
                }
                case "BatchNormalization":
                {
                    int x = Act(n, 0);
                    var conv = net.Ops.LastOrDefault(o => o.Output == x);
                    if (conv == null || conv.Kind != GlOpKind.Conv || conv.Relu || conv.Residual >= 0 || Consumers(g, n.Inputs[0]) != 1 || keepSet.Contains(n.Inputs[0]) || g.Outputs.Any(o => o.Name == n.Inputs[0]))
                        throw new NotSupportedException($"gl backend: {where}: BatchNormalization is supported only right after a Conv whose output nothing else reads (it is folded into the Conv)");
                    var scale = Const(n, 1, "scale"); var bias = Const(n, 2, "B"); var mean = Const(n, 3, "mean"); var var_ = Const(n, 4, "var");
                    float eps = n.GetFloat("epsilon", 1e-5f);
                    int cout = net.Tensors[x].C, per = conv.Weights.Length / cout;
                    // y = (conv(x) + b - mean) * s + beta with s = gamma / sqrt(var + eps): scale each output row of W.
                    for (int c = 0; c < cout; c++)
                    {
                        double s = scale[c] / Math.Sqrt(var_[c] + (double)eps);
                        for (int i = 0; i < per; i++) conv.Weights[c * per + i] = (float)(conv.Weights[c * per + i] * s);
                        conv.Bias[c] = (float)((conv.Bias[c] - mean[c]) * s + bias[c]);
                    }
                    var t = net.Tensors[x];
                    // The BN output replaces the conv output (the pre-BN value is not computed any more).
                    net.Tensors[x] = Renamed(t, n.Outputs[0]);
                    tensorOf.Remove(n.Inputs[0]);
                    tensorOf[n.Outputs[0]] = x;
                    break;
                }
                case "Relu":
                {
                    int x = Act(n, 0);
                    var t = net.Tensors[x];
                    net.Ops.Add(new GlOp { Kind = GlOpKind.Relu, Name = n.Name, Inputs = new[] { x }, Output = Out(n, t.C, t.H, t.W) });
                    break;
                }
                case "Sub" or "Add" when GlBiasImage.Matches(n, tensorOf.ContainsKey, consts, out int xi):
                {
                    var op = GlBiasImage.Lower(n, Act(n, xi), net.Tensors[Act(n, xi)], consts[n.Inputs[1 - xi]]);
                    var t = net.Tensors[op.Inputs[0]];
                    op.Output = Out(n, t.C, t.H, t.W);
                    net.Ops.Add(op);
                    break;
                }
                case "Add" when n.Inputs.All(tensorOf.ContainsKey):
                {
                    int a = Act(n, 0), b = Act(n, 1);
                    var t = net.Tensors[a];
                    if (net.Tensors[b].Size != t.Size) throw new NotSupportedException($"gl backend: {where}: broadcasting Add of {t} and {net.Tensors[b]} is not supported");
                    net.Ops.Add(new GlOp { Kind = GlOpKind.Add, Name = n.Name, Inputs = new[] { a, b }, Output = Out(n, t.C, t.H, t.W) });
                    break;
                }
                case "Add":
                {
                    // Bias of a MatMul: Add(fc_out, constant)
                    int ai = tensorOf.ContainsKey(n.Inputs[0]) ? 0 : 1;
                    int x = Act(n, ai);
                    var fc = net.Ops.LastOrDefault(o => o.Output == x);
                    var bias = Const(n, 1 - ai, "bias");
                    if (fc == null || fc.Kind != GlOpKind.FullyConnected || Consumers(g, n.Inputs[ai]) != 1 || bias.Length != net.Tensors[x].Size)
                        throw new NotSupportedException($"gl backend: {where}: adding a constant is supported only as the bias right after MatMul/Gemm");
                    for (int i = 0; i < bias.Length; i++) fc.Bias[i] += bias[i];
                    net.Tensors[x] = Renamed(net.Tensors[x], n.Outputs[0]);
                    tensorOf.Remove(n.Inputs[ai]);
                    tensorOf[n.Outputs[0]] = x;
                    break;
                }
                case "MaxPool":
                {
                    NoAutoPad(n);
                    int x = Act(n, 0);
                    var t = net.Tensors[x];
                    if (n.GetInt("ceil_mode", 0) != 0) throw new NotSupportedException($"gl backend: {where}: ceil_mode=1 is not supported");
                    if (n.GetInts("dilations") is { } d && d.Any(v => v != 1)) throw new NotSupportedException($"gl backend: {where}: dilated pooling is not supported");
                    if (n.Outputs.Count > 1 && !string.IsNullOrEmpty(n.Outputs[1])) throw new NotSupportedException($"gl backend: {where}: the Indices output is not supported");
                    var k = Ints(n, "kernel_shape", 2, 1); var s = Ints(n, "strides", 2, 1); var p = Ints(n, "pads", 4, 0);
                    var op = new GlOp { Kind = GlOpKind.MaxPool, Name = n.Name, Inputs = new[] { x }, KH = k[0], KW = k[1], StrideH = s[0], StrideW = s[1], PadTop = p[0], PadLeft = p[1] };
                    var (oh, ow) = GlNetwork.ConvOutput(t.H, t.W, op, p[2], p[3]);
                    op.Output = Out(n, t.C, oh, ow);
                    net.Ops.Add(op);
                    break;
                }
                case "GlobalAveragePool":
                case "AveragePool":
                case "ReduceMean":
                {
                    int x = Act(n, 0);
                    var t = net.Tensors[x];
                    if (n.OpType == "AveragePool")
                    {
                        var k = Ints(n, "kernel_shape", 2, 1); var p = Ints(n, "pads", 4, 0);
                        if (k[0] != t.H || k[1] != t.W || p.Any(v => v != 0))
                            throw new NotSupportedException($"gl backend: {where}: AveragePool is supported only when it covers the whole {t.H}x{t.W} map (kernel {k[0]}x{k[1]})");
                    }
                    if (n.OpType == "ReduceMean")
                    {
                        var axes = n.GetInts("axes");
                        if (axes == null || !axes.Select(a => a < 0 ? a + 4 : a).OrderBy(a => a).SequenceEqual(new long[] { 2, 3 }))
                            throw new NotSupportedException($"gl backend: {where}: ReduceMean is supported only over axes [2, 3]");
                    }
                    net.Ops.Add(new GlOp { Kind = GlOpKind.GlobalAvgPool, Name = n.Name, Inputs = new[] { x }, Output = Out(n, t.C, 1, 1) });
                    break;
                }
                case "Flatten":
                {
                    int x = Act(n, 0);
                    if (n.GetInt("axis", 1) != 1) throw new NotSupportedException($"gl backend: {where}: Flatten with axis {n.GetInt("axis", 1)} (only 1)");
                    Flat(net, x); Alias(n, x);
                    break;
                }
                case "Reshape":
                {
                    int x = Act(n, 0);
                    if (consts.TryGetValue(n.Inputs[1], out var shapeT))
                    {
                        var shape = shapeT.ToInt64Array();
                        bool flatten = shape.Length == 2 && (shape[1] == -1 || shape[1] == net.Tensors[x].Size);
                        if (!flatten) throw new NotSupportedException($"gl backend: {where}: Reshape to [{string.Join(", ", shape)}] (only [N, -1] flattening is supported)");
                    }
                    else if (!shapeValues.Contains(n.Inputs[1]))
                        throw new NotSupportedException($"gl backend: {where}: Reshape with a computed shape '{n.Inputs[1]}'");
                    // A computed shape in a ResNet export is the batch-preserving flatten before the classifier.
                    Flat(net, x); Alias(n, x);
                    break;
                }
                case "Identity":
                case "Dropout":
                    Alias(n, Act(n, 0));
                    break;
                case "Gemm":
                case "MatMul":
                {
                    int x = Act(n, 0);
                    var t = net.Tensors[x];
                    if (t.H != 1 || t.W != 1) Flat(net, x);
                    t = net.Tensors[x];
                    var wInit = consts.TryGetValue(n.Inputs[1], out var wi) ? wi : throw new NotSupportedException($"gl backend: {where}: weight '{n.Inputs[1]}' must be a constant initializer");
                    if (wInit.Dims.Length != 2) throw new NotSupportedException($"gl backend: {where}: weight must be 2-D, dims [{string.Join(", ", wInit.Dims)}]");
                    var w = wInit.ToFloatArray();
                    bool transB = n.OpType == "Gemm" && n.GetInt("transB", 0) != 0;
                    if (n.OpType == "Gemm" && n.GetInt("transA", 0) != 0) throw new NotSupportedException($"gl backend: {where}: transA=1 is not supported");
                    int inF = (int)(transB ? wInit.Dims[1] : wInit.Dims[0]), outF = (int)(transB ? wInit.Dims[0] : wInit.Dims[1]);
                    if (inF != t.Size) throw new NotSupportedException($"gl backend: {where}: weight expects {inF} inputs, the input has {t.Size}");
                    var wt = transB ? w : Transpose(w, inF, outF);
                    float alpha = n.OpType == "Gemm" ? n.GetFloat("alpha", 1f) : 1f, beta = n.OpType == "Gemm" ? n.GetFloat("beta", 1f) : 1f;
                    if (alpha != 1f) for (int i = 0; i < wt.Length; i++) wt[i] *= alpha;
                    var bias = new float[outF];
                    if (n.OpType == "Gemm" && Const(n, 2, "C") is { } c)
                    {
                        if (c.Length != outF && c.Length != 1) throw new NotSupportedException($"gl backend: {where}: bias C has {c.Length} values, expected {outF}");
                        for (int i = 0; i < outF; i++) bias[i] = beta * c[c.Length == 1 ? 0 : i];
                    }
                    net.Ops.Add(new GlOp { Kind = GlOpKind.FullyConnected, Name = n.Name, Inputs = new[] { x }, Output = Out(n, outF, 1, 1), Weights = wt, Bias = bias });
                    break;
                }
                default:
                    throw new NotSupportedException($"gl backend: op {n.OpType} (node '{n.Name}') is not supported; supported: Conv, BatchNormalization, Relu, Add, MaxPool, GlobalAveragePool, AveragePool (global), Flatten, Reshape, Gemm, MatMul; use --backend ort-cpu");
            }
        }

        if (g.Outputs.Count < 1 || !tensorOf.TryGetValue(g.Outputs[0].Name, out int output))
            throw new NotSupportedException($"gl backend: graph output '{g.Outputs.FirstOrDefault()?.Name}' is not computed by supported ops");
        net.Output = output;
        var keepAll = new HashSet<string>(keepSet);
        foreach (var o in g.Outputs) keepAll.Add(o.Name);
        Fuse(net, keepAll);
        FindCam(net);
        net.Validate();
        return net;
    }

    static int Consumers(OnnxGraph g, string name) => g.Nodes.Count(n => n.Inputs.Contains(name));

    static GlTensor Renamed(GlTensor t, string name)
    {
        var r = new GlTensor(name, t.C, t.H, t.W);
        r.Aliases.AddRange(t.Aliases);
        return r;
    }

    static void Flat(GlNetwork net, int x)
    {
        var t = net.Tensors[x];
        if (t.H == 1 && t.W == 1) return;
        var r = new GlTensor(t.Name, t.Size, 1, 1);
        r.Aliases.AddRange(t.Aliases);
        net.Tensors[x] = r;
    }

    static float[] Transpose(float[] w, int rows, int cols)
    {
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
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
                    if (prod != null && prod.Kind is GlOpKind.Conv or GlOpKind.Add or GlOpKind.FullyConnected && !prod.Relu && Readers(x) == 1 && !Kept(x))
                    {
                        prod.Relu = true;
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
