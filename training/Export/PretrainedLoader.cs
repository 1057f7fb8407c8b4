using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Models;

namespace ResNetRealtime.Training.Export;

/// <summary>
/// <c>--init-from M.onnx</c>: copies the weights of a ResNet ONNX model into an engine ResNet of the same
/// architecture (the classifier may differ: a model for another class count gets a new, freshly
/// initialised fc). Two ways to find the weights:
///  - by name, when the initializers carry torchvision's names (our exports, and torchvision models
///    exported with do_constant_folding=False or in training mode);
///  - by structure, for exports whose initializers are numbered ("onnx::Conv_193") because the exporter
///    folded each BatchNorm into the convolution before it: the Conv / BatchNormalization / Gemm nodes
///    are matched in graph order to the engine's conv / bn / fc layers, every shape checked. A folded
///    BatchNorm is loaded as scale 1, shift = the conv's bias, running mean 0, running variance 1 − eps,
///    so the eval-mode network computes exactly the ONNX one.
/// A backbone without a classifier (pretrained:resnet18, 512 features) loads by name with a new head. Source
/// blocks the engine's architecture has no place for are dropped and named in Result.Mode: the ImageNet
/// network of pretrained:resnet18 is a CNTK export with [2,2,2,3] blocks, so into resnet18 [2,2,2,2] everything
/// maps, shapes checked, except its layer4.2.
/// Anything else (another architecture, other input channels, not a ResNet) is one clear error.
/// </summary>
public static class PretrainedLoader
{
    /// <param name="Mean">For a backbone without a classifier that states its rr.mean/rr.std: the normalisation its
    /// weights expect (pretrained:resnet18: pixels 0..255 minus the channel means), which training should feed it;
    /// null otherwise (a trained classifier keeps the data's own statistics, as before).</param>
    public sealed record Result(string Mode, IReadOnlyList<string> LoadedParameters, bool NewHead, int SourceClasses, float[] Mean = null, float[] Std = null);

    public static Result Load(ResNet net, string path)
    {
        var model = OnnxModel.Load(path);
        string file = Path.GetFileName(path);
        var inits = model.Graph.Initializers.Where(t => t.Name != null).GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var state = net.StateDict().ToList();
        var convs = model.Graph.Nodes.Count(n => n.OpType == "Conv");
        if (convs == 0) throw new InvalidDataException($"{file}: has no Conv nodes — not a ResNet");
        bool headless = !model.Graph.Nodes.Any(n => n.OpType is "Gemm" or "MatMul");
        bool named = inits.ContainsKey("conv1.weight") && (inits.ContainsKey("fc.weight") || headless);
        var r = named ? ByName(net, file, inits, state) : ByStructure(net, file, model, inits);
        if (!headless) return r;
        var info = Runtime.Models.ModelInspector.Inspect(model);
        return info.NormalizationSource == Runtime.Models.ValueSource.Metadata ? r with { Mean = info.Mean, Std = info.Std } : r;
    }

    static string Dims(IEnumerable<long> d) => "[" + string.Join(",", d) + "]";
    static string Dims(IEnumerable<int> d) => "[" + string.Join(",", d) + "]";

    static void CheckStem(string file, int[] ours, long[] theirs)
    {
        if (theirs.Length != 4) throw new InvalidDataException($"{file}: the first convolution's weight is {Dims(theirs)}, not a 4-D conv kernel — not a ResNet");
        if (theirs[1] != ours[1])
            throw new InvalidDataException($"{file}: the first convolution takes {theirs[1]} input channel(s); the data has {ours[1]} (weight {Dims(theirs)}, expected {Dims(ours)})");
        if (!theirs.Select(d => (int)d).SequenceEqual(ours))
            throw new InvalidDataException($"{file}: the first convolution's weight is {Dims(theirs)}, {Dims(ours)} expected for this architecture — a different ResNet?");
    }

    static Result ByName(ResNet net, string file, Dictionary<string, OnnxTensor> inits, List<(string name, float[] data, int[] shape)> state)
    {
        CheckStem(file, state.First(e => e.name == "conv1.weight").shape, inits["conv1.weight"].Dims);
        var fcW = inits.GetValueOrDefault("fc.weight");
        int sourceClasses = fcW == null ? 0 : (int)fcW.Dims[0];
        bool newHead = fcW == null || sourceClasses != net.Config.Classes || fcW.Dims.Length != 2 || fcW.Dims[1] != net.Fc.InFeatures;
        var loaded = new List<(string, float[], int[])>();
        foreach (var (name, _, shape) in state)
        {
            bool isHead = name.StartsWith("fc.", StringComparison.Ordinal);
            if (isHead && newHead) continue;
            if (!inits.TryGetValue(name, out var t))
                throw new InvalidDataException($"{file}: no initializer '{name}' {Dims(shape)} — not a {net.Config.Name} (its tensors have torchvision names, but not this architecture's)");
            if (!t.Dims.Select(d => (int)d).SequenceEqual(shape))
                throw new InvalidDataException($"{file}: '{name}' is {Dims(t.Dims)}, {net.Config.Name} needs {Dims(shape)} — a different architecture?");
            loaded.Add((name, t.ToFloatArray(), shape));
        }
        net.LoadStateDict(loaded, strict: false);
        var paramNames = net.Parameters().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        // Whole source blocks with no counterpart ("layer4.2.conv1.weight" → "layer4.2"): said, not silently lost.
        var ours = state.Select(s => s.name).ToHashSet(StringComparer.Ordinal);
        var dropped = inits.Keys.Where(k => k.StartsWith("layer", StringComparison.Ordinal) && !ours.Contains(k))
            .Select(k => string.Join('.', k.Split('.').Take(2))).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        string mode = "by name" + (fcW == null ? " (the source is a backbone without a classifier)" : "")
            + (dropped.Count > 0 ? $"; source block(s) {string.Join(", ", dropped)} have no place in {net.Config.Name} and were dropped" : "");
        return new Result(mode, loaded.Select(l => l.Item1).Where(paramNames.Contains).ToList(), newHead, sourceClasses);
    }

    /// <summary>One weight-carrying node of the ONNX graph, in graph order.</summary>
    sealed record Op(string Kind, OnnxNode Node, float[][] Tensors, long[] WeightDims);

    static Result ByStructure(ResNet net, string file, OnnxModel model, Dictionary<string, OnnxTensor> inits)
    {
        OnnxTensor Init(OnnxNode n, int i, bool required)
        {
            if (i < n.Inputs.Count && !string.IsNullOrEmpty(n.Inputs[i]) && inits.TryGetValue(n.Inputs[i], out var t)) return t;
            if (required) throw new InvalidDataException($"{file}: {n.OpType} node '{n.Name}' input {i} is not a constant initializer — cannot read its weights");
            return null;
        }
        var ops = new List<Op>();
        foreach (var n in model.Graph.Nodes)
        {
            switch (n.OpType)
            {
                case "Conv":
                {
                    var w = Init(n, 1, true);
                    ops.Add(new Op("conv", n, new[] { w.ToFloatArray(), Init(n, 2, false)?.ToFloatArray() }, w.Dims));
                    break;
                }
                case "BatchNormalization":
                    ops.Add(new Op("bn", n, Enumerable.Range(1, 4).Select(i => Init(n, i, true).ToFloatArray()).ToArray(), Init(n, 1, true).Dims));
                    break;
                case "Gemm":
                {
                    var w = Init(n, 1, true);
                    var data = w.ToFloatArray();
                    var dims = w.Dims;
                    if (n.GetInt("transB", 0) == 0 && dims.Length == 2)   // [in, out] → [out, in]
                    {
                        data = Transpose(data, (int)dims[0], (int)dims[1]);
                        dims = new[] { dims[1], dims[0] };
                    }
                    ops.Add(new Op("fc", n, new[] { data, Init(n, 2, false)?.ToFloatArray() }, dims));
                    break;
                }
                case "MatMul":
                {
                    var w = Init(n, 1, false);
                    if (w == null || w.Dims.Length != 2) break;
                    var data = Transpose(w.ToFloatArray(), (int)w.Dims[0], (int)w.Dims[1]);
                    ops.Add(new Op("fc", n, new[] { data, null }, new[] { w.Dims[1], w.Dims[0] }));
                    break;
                }
                case "Add" when ops.Count > 0 && ops[^1].Kind == "fc" && ops[^1].Tensors[1] == null:
                {
                    // MatMul + Add: the bias of the fc just seen.
                    var b = Init(n, 1, false) ?? Init(n, 0, false);
                    if (b != null) ops[^1].Tensors[1] = b.ToFloatArray();
                    break;
                }
            }
        }
        var layers = net.Modules().Where(m => m is Conv2d or BatchNorm2d or Linear).ToList();
        int ourConvs = layers.Count(m => m is Conv2d), theirConvs = ops.Count(o => o.Kind == "conv");
        if (ourConvs != theirConvs || ops.Count(o => o.Kind == "fc") != 1)
            throw new InvalidDataException($"{file}: {theirConvs} convolution(s) and {ops.Count(o => o.Kind == "fc")} fully-connected layer(s); {net.Config.Name} has {ourConvs} and 1 — not this ResNet");
        CheckStem(file, ((Conv2d)layers[0]).Weight.Shape, ops[0].WeightDims);
        var loaded = new List<string>();
        int j = 0;
        float[] pendingBias = null;
        bool newHead = false;
        int sourceClasses = 0;
        foreach (var m in layers)
        {
            switch (m)
            {
                case Conv2d c:
                {
                    var op = ops[j++];
                    if (op.Kind != "conv") throw Mismatch(file, c.Weight.Name, op);
                    RequireShape(file, c.Weight.Name, c.Weight.Shape, op.WeightDims);
                    op.Tensors[0].CopyTo(c.Weight.Data, 0);
                    loaded.Add(c.Weight.Name);
                    pendingBias = op.Tensors[1];
                    break;
                }
                case BatchNorm2d bn:
                {
                    if (j < ops.Count && ops[j].Kind == "bn")
                    {
                        var op = ops[j++];
                        RequireShape(file, bn.Weight.Name, bn.Weight.Shape, op.WeightDims);
                        op.Tensors[0].CopyTo(bn.Weight.Data, 0); op.Tensors[1].CopyTo(bn.Bias.Data, 0);
                        op.Tensors[2].CopyTo(bn.RunningMean.Data, 0); op.Tensors[3].CopyTo(bn.RunningVar.Data, 0);
                    }
                    else
                    {
                        // Folded into the conv before it: identity normalisation plus that conv's bias.
                        Array.Fill(bn.Weight.Data, 1f);
                        if (pendingBias != null && pendingBias.Length == bn.Channels) pendingBias.CopyTo(bn.Bias.Data, 0);
                        else Array.Clear(bn.Bias.Data);
                        Array.Clear(bn.RunningMean.Data);
                        Array.Fill(bn.RunningVar.Data, 1f - bn.Eps);
                    }
                    pendingBias = null;
                    loaded.Add(bn.Weight.Name); loaded.Add(bn.Bias.Name);
                    break;
                }
                case Linear fc:
                {
                    var op = ops[j++];
                    if (op.Kind != "fc") throw Mismatch(file, fc.Weight.Name, op);
                    sourceClasses = (int)op.WeightDims[0];
                    if (op.WeightDims.Length != 2 || op.WeightDims[1] != fc.InFeatures)
                        throw new InvalidDataException($"{file}: the classifier takes {Dims(op.WeightDims.Skip(1))} features, {net.Config.Name} produces {fc.InFeatures} — a different ResNet?");
                    if (sourceClasses != fc.OutFeatures) { newHead = true; break; }
                    op.Tensors[0].CopyTo(fc.Weight.Data, 0);
                    if (fc.Bias != null && op.Tensors[1] != null) op.Tensors[1].CopyTo(fc.Bias.Data, 0);
                    loaded.Add(fc.Weight.Name);
                    if (fc.Bias != null) loaded.Add(fc.Bias.Name);
                    break;
                }
            }
        }
        return new Result("by structure (BatchNorm folded)", loaded, newHead, sourceClasses);
    }

    static Exception Mismatch(string file, string ours, Op op) =>
        new InvalidDataException($"{file}: expected a {(ours.StartsWith("fc") ? "fully-connected" : "convolution")} node for '{ours}', found {op.Node.OpType} '{op.Node.Name}' — not this ResNet");

    static void RequireShape(string file, string ours, int[] shape, long[] theirs)
    {
        if (!theirs.Select(d => (int)d).SequenceEqual(shape))
            throw new InvalidDataException($"{file}: the tensor matched to '{ours}' is {Dims(theirs)}, expected {Dims(shape)} — a different ResNet?");
    }

    static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
