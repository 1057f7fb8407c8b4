// ModelInspector: reads what a classifier needs from an ONNX model — input/output names and shapes,
// class count, labels and normalisation from metadata (MetadataKeys), and the ResNet structure.
//
// Structure recognition works from the graph alone, so it handles our builder's models, torchvision
// exports (BN folded into Conv, tensors named "/layer1/layer1.1/relu_1/Relu_output_0" or numbers) and
// model-zoo ResNets (v1 and pre-activation v2):
//  1. Per tensor, the downsampling factor relative to the input (product of Conv/pool strides along
//     the data path) and the channel count (rows of the last Conv weight).
//  2. A residual Add is an Add whose two inputs, followed back along their data inputs, meet at a
//     common tensor (the block input) within a few nodes. The branch with more Convs on the way is the
//     main branch (2 convs: basic block, 3: bottleneck); the other is the shortcut (0 or 1 conv).
//  3. Consecutive residual Adds with the same downsampling factor form a stage; stages are named
//     layer1, layer2, ... in graph order. A block's output is its Add, or the ReLU right after it.
//  4. Depth = convs before the first block + main-branch convs of all blocks + Conv/Gemm/MatMul after
//     the last block (the classifier): 18, 34, 50, 101, 152 for torchvision models, 6n+2 for CIFAR.
// Head: a model is a feature extractor (HeadKind.FeatureExtractor) when it has no labels (rr.labels or an
// alias) AND its output, followed back through shape-only ops (Identity, Flatten, Reshape, Squeeze,
// Unsqueeze), comes from a pooling op (GlobalAveragePool, GlobalMaxPool, ReduceMean, AveragePool) — no
// Gemm/MatMul/Conv/Softmax after the last pool. The op decides, not the shape: [N,C,1,1] is also what a 1x1
// Conv classifier over pooled features outputs, and that is a classifier. Labels always mean a classifier.
// Everything else (an unknown last op included) is a classifier, as before this rule existed.
//
// This is the one reader of a model's metadata_props (MetadataKeys); everyone else asks the ModelInfo
// it returns, or the LoadedModel that carries it.
using System.Globalization;
using System.Text.Json;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Models;

internal static class ModelInspector
{
    const int MaxBranchWalk = 24;   // nodes followed back from an Add input; a bottleneck branch is ~8

    public static ModelInfo Inspect(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = model.Graph ?? throw new InvalidDataException("model has no graph");

        // ---- input
        var inputs = g.RealInputs();
        if (inputs.Count == 0) throw new InvalidDataException("model has no input (every graph input is an initializer)");
        if (inputs.Count > 1)
            throw new InvalidDataException($"model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}): expected one image input [N,C,H,W]");
        var input = inputs[0];
        long[] inShape = input.ShapeOrMinusOne();
        if (inShape == null || inShape.Length != 4)
            throw new InvalidDataException($"model input '{input.Name}' has shape {FormatShape(input)}: expected an image tensor [N,C,H,W]");
        if (input.ElemType != OnnxDataType.Float)
            throw new InvalidDataException($"model input '{input.Name}' has element type {input.ElemType}: expected float32");

        // ---- output
        if (g.Outputs.Count == 0) throw new InvalidDataException("model has no output");
        var output = g.Outputs[0];
        long[] outShape = output.ShapeOrMinusOne();
        var init = g.Initializers.ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var o in n.Outputs) if (!string.IsNullOrEmpty(o)) producer[o] = n;
        int classes = outShape != null && outShape.Length >= 2 && outShape[1] > 0 ? (int)outShape[1] : ClassesFromClassifier(output.Name, producer, init);

        // ---- channels and size
        int channels = inShape[1] > 0 ? (int)inShape[1] : ChannelsFromFirstConv(input.Name, g, init);
        int h = (int)inShape[2], w = (int)inShape[3];
        var sizeSource = ValueSource.Graph;
        if (h <= 0 || w <= 0)
        {
            string s = model.GetMetadata(MetadataKeys.InputSize);
            if (s != null)
            {
                if (!int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int side) || side < 1)
                    throw new InvalidDataException($"model metadata {MetadataKeys.InputSize} = '{s}': expected a positive integer such as 224");
                if (h <= 0) h = side;
                if (w <= 0) w = side;
                sizeSource = ValueSource.Metadata;
            }
            else
            {
                if (h <= 0) h = 224;
                if (w <= 0) w = 224;
                sizeSource = ValueSource.Default;
            }
        }

        // ---- labels, normalisation
        string[] labels = ReadLabels(model, classes);
        string meanText = FirstMetadata(model, MetadataKeys.Mean, MetadataKeys.MeanAliases, out string meanKey);
        string stdText = FirstMetadata(model, MetadataKeys.Std, MetadataKeys.StdAliases, out string stdKey);
        float[] mean, std;
        ValueSource normSource;
        if (meanText != null && stdText != null)
        {
            mean = ParseChannelFloats(meanKey, meanText, channels, positive: false);
            std = ParseChannelFloats(stdKey, stdText, channels, positive: true);
            normSource = ValueSource.Metadata;
        }
        else
        {
            if (meanText != null || stdText != null)
                throw new InvalidDataException($"model metadata has {(meanText != null ? meanKey : stdKey)} but not {(meanText != null ? MetadataKeys.Std : MetadataKeys.Mean)}: give both or neither");
            mean = MetadataKeys.DefaultMean(channels);
            std = MetadataKeys.DefaultStd(channels);
            normSource = ValueSource.Default;
        }

        return new ModelInfo
        {
            InputName = input.Name,
            InputShape = inShape,
            DynamicBatch = inShape[0] <= 0,
            OutputName = output.Name,
            OutputShape = outShape,
            Classes = classes,
            Channels = channels,
            InputHeight = h,
            InputWidth = w,
            InputSizeSource = sizeSource,
            Labels = labels,
            Mean = mean,
            Std = std,
            NormalizationSource = normSource,
            Head = labels == null && EndsInPool(output.Name, producer) ? HeadKind.FeatureExtractor : HeadKind.Classifier,
            Arch = model.GetMetadata(MetadataKeys.Arch),
            ResNet = FindStructure(g, input.Name, init, producer),
        };
    }

    static string FormatShape(OnnxValueInfo v) =>
        v.Shape == null ? "unknown (no shape declared)" : "[" + string.Join(",", v.Shape.Select(d => d.ToString())) + "]";

    static string FirstMetadata(OnnxModel m, string key, string[] aliases, out string usedKey)
    {
        usedKey = key;
        string v = m.GetMetadata(key);
        if (v != null) return v;
        foreach (var a in aliases)
        {
            v = m.GetMetadata(a);
            if (v != null) { usedKey = a; return v; }
        }
        return null;
    }

    static float[] ParseChannelFloats(string key, string text, int channels, bool positive)
    {
        var parts = text.Trim().Trim('[', ']').Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]) || (positive && values[i] <= 0))
                throw new InvalidDataException($"model metadata {key} = '{text}': '{parts[i]}' is not a {(positive ? "positive " : "")}number");
        if (values.Length == 1 && channels > 1) return Enumerable.Repeat(values[0], channels).ToArray();
        if (values.Length != channels && channels > 0)
            throw new InvalidDataException($"model metadata {key} = '{text}' has {values.Length} values: the input has {channels} channels");
        return values;
    }

    static string[] ReadLabels(OnnxModel m, int classes)
    {
        string text = FirstMetadata(m, MetadataKeys.Labels, MetadataKeys.LabelAliases, out string key);
        if (text == null) return null;
        string[] labels;
        string t = text.Trim();
        if (t.StartsWith('['))
        {
            try { labels = JsonSerializer.Deserialize(t, RuntimeJson.Default.StringArray); }
            catch (JsonException e) { throw new InvalidDataException($"model metadata {key} is not a JSON array of strings: {e.Message.Split('\n')[0]}"); }
            if (labels == null || labels.Any(l => l == null)) throw new InvalidDataException($"model metadata {key} is not a JSON array of strings");
        }
        else if (t.StartsWith('{'))
        {
            // Some exporters write {"0": "tench", "1": "goldfish", ...}.
            Dictionary<string, string> map;
            try { map = JsonSerializer.Deserialize(t, RuntimeJson.Default.DictionaryStringString); }
            catch (JsonException e) { throw new InvalidDataException($"model metadata {key} is not a JSON object of index -> name: {e.Message.Split('\n')[0]}"); }
            labels = new string[map.Count];
            foreach (var kv in map)
            {
                if (!int.TryParse(kv.Key, out int i) || i < 0 || i >= labels.Length || labels[i] != null)
                    throw new InvalidDataException($"model metadata {key}: key '{kv.Key}' is not an index 0..{labels.Length - 1}");
                labels[i] = kv.Value;
            }
        }
        else labels = t.Split(t.Contains('\n') ? ['\n'] : [','], StringSplitOptions.TrimEntries);
        if (classes > 0 && labels.Length != classes)
            throw new InvalidDataException($"model metadata {key} has {labels.Length} names but the model outputs {classes} classes");
        return labels;
    }

    static int ClassesFromClassifier(string output, Dictionary<string, OnnxNode> producer, Dictionary<string, OnnxTensor> init)
    {
        // Walk back through shape-preserving tail ops (Softmax, Flatten, Reshape, Identity) to the classifier.
        string t = output;
        for (int step = 0; step < 8 && producer.TryGetValue(t, out var n); step++)
        {
            if (n.OpType == "Gemm" && n.Inputs.Count > 1 && init.TryGetValue(n.Inputs[1], out var wg) && wg.Dims.Length == 2)
                return (int)(n.GetInt("transB", 0) != 0 ? wg.Dims[0] : wg.Dims[1]);
            if (n.OpType == "MatMul" && n.Inputs.Count > 1 && init.TryGetValue(n.Inputs[1], out var wm) && wm.Dims.Length == 2)
                return (int)wm.Dims[1];
            if (n.OpType == "Conv" && n.Inputs.Count > 1 && init.TryGetValue(n.Inputs[1], out var wc))
                return (int)wc.Dims[0];
            if (n.Inputs.Count == 0) break;
            t = n.Inputs[0];
        }
        return -1;
    }

    /// <summary>True when the output comes from a pooling op through shape-only ops (the head rule in the header).</summary>
    static bool EndsInPool(string output, Dictionary<string, OnnxNode> producer)
    {
        string t = output;
        for (int step = 0; step < 8 && producer.TryGetValue(t, out var n); step++)
        {
            if (n.OpType is "GlobalAveragePool" or "GlobalMaxPool" or "ReduceMean" or "AveragePool") return true;
            if (n.OpType is not ("Identity" or "Flatten" or "Reshape" or "Squeeze" or "Unsqueeze") || n.Inputs.Count == 0) return false;
            t = n.Inputs[0];
        }
        return false;
    }

    static int ChannelsFromFirstConv(string input, OnnxGraph g, Dictionary<string, OnnxTensor> init)
    {
        foreach (var n in g.Nodes)
            if (n.OpType == "Conv" && n.Inputs.Count > 1 && n.Inputs[0] == input && init.TryGetValue(n.Inputs[1], out var w) && w.Dims.Length == 4)
                return (int)(w.Dims[1] * n.GetInt("group", 1));
        return -1;
    }

    // ------------------------------------------------------------------ structure

    sealed class Block
    {
        public OnnxNode Add;
        public string Input, Output;
        public int MainConvs, Factor, Channels;
    }

    static ResNetStructure FindStructure(OnnxGraph g, string input, Dictionary<string, OnnxTensor> init, Dictionary<string, OnnxNode> producer)
    {
        var constant = new HashSet<string>(init.Keys, StringComparer.Ordinal);
        foreach (var n in g.Nodes) if (n.OpType == "Constant") foreach (var o in n.Outputs) constant.Add(o);
        string DataInput(OnnxNode n) => n.Inputs.FirstOrDefault(i => !string.IsNullOrEmpty(i) && !constant.Contains(i));

        // 1. downsampling factor and channels per tensor, in graph (topological) order.
        var factor = new Dictionary<string, int>(StringComparer.Ordinal) { [input] = 1 };
        var chans = new Dictionary<string, int>(StringComparer.Ordinal) { [input] = -1 };
        foreach (var n in g.Nodes)
        {
            var data = n.Inputs.Where(i => !string.IsNullOrEmpty(i) && !constant.Contains(i)).ToList();
            int f = data.Select(i => factor.GetValueOrDefault(i, 1)).DefaultIfEmpty(1).Max();
            int c = data.Select(i => chans.GetValueOrDefault(i, -1)).DefaultIfEmpty(-1).Max();
            if (n.OpType is "Conv" or "MaxPool" or "AveragePool" or "LpPool")
            {
                long[] strides = n.GetInts("strides");
                if (strides != null && strides.Length > 0 && strides[0] > 1) f = (int)Math.Min(f * strides[0], 1 << 20);
                if (n.OpType == "Conv" && n.Inputs.Count > 1 && init.TryGetValue(n.Inputs[1], out var wt) && wt.Dims.Length == 4) c = (int)wt.Dims[0];
            }
            foreach (var o in n.Outputs) { factor[o] = f; chans[o] = c; }
        }

        // 2. residual adds.
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var i in n.Inputs) if (!string.IsNullOrEmpty(i)) (consumers.TryGetValue(i, out var l) ? l : consumers[i] = []).Add(n);
        var blocks = new List<Block>();
        foreach (var n in g.Nodes)
        {
            if (n.OpType is not ("Add" or "Sum") || n.Inputs.Count != 2 || n.Inputs.Any(i => constant.Contains(i))) continue;
            var a = Walk(n.Inputs[0], producer, DataInput);
            var b = Walk(n.Inputs[1], producer, DataInput);
            var bIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (t, convs) in b) bIndex.TryAdd(t, convs);
            string common = null; int convA = 0, convB = 0;
            foreach (var (t, convs) in a)
                if (bIndex.TryGetValue(t, out int cb)) { common = t; convA = convs; convB = cb; break; }
            if (common == null || Math.Max(convA, convB) == 0) continue;
            string output = n.Outputs[0];
            if (consumers.TryGetValue(output, out var cs) && cs.Count == 1 && cs[0].OpType == "Relu") output = cs[0].Outputs[0];
            blocks.Add(new Block { Add = n, Input = common, Output = output, MainConvs = Math.Max(convA, convB), Factor = factor.GetValueOrDefault(n.Outputs[0], 1), Channels = chans.GetValueOrDefault(n.Outputs[0], -1) });
        }
        if (blocks.Count == 0) return null;

        // 3. stages: runs of equal downsampling factor.
        var stages = new List<StageInfo>();
        int start = 0;
        for (int i = 1; i <= blocks.Count; i++)
        {
            if (i < blocks.Count && blocks[i].Factor == blocks[start].Factor) continue;
            var run = blocks.GetRange(start, i - start);
            stages.Add(new StageInfo
            {
                Name = $"layer{stages.Count + 1}",
                OutputName = run[^1].Output,
                Blocks = run.Count,
                Channels = run[^1].Channels,
                Stride = run[^1].Factor,
                AddNodes = run.Select(r => r.Add.Name).ToArray(),
            });
            start = i;
        }

        // 4. depth: stem convs + main-branch convs + classifier layers after the last block.
        int stemConvs = Walk(blocks[0].Input, producer, DataInput, g.Nodes.Count + 1, stopAtJoin: false).LastOrDefault().convs;
        int lastAdd = g.Nodes.IndexOf(blocks[^1].Add);
        int head = g.Nodes.Skip(lastAdd + 1).Count(n => n.OpType is "Conv" or "Gemm" or "MatMul");
        int mainConvs = blocks.Sum(b => b.MainConvs);
        var kinds = blocks.GroupBy(b => b.MainConvs >= 3 ? BlockKind.Bottleneck : BlockKind.Basic).OrderByDescending(k => k.Count()).First().Key;

        string pool = null;
        for (int i = lastAdd + 1; i < g.Nodes.Count && pool == null; i++)
        {
            var n = g.Nodes[i];
            if (n.OpType is "GlobalAveragePool" or "ReduceMean" or "AveragePool" or "GlobalMaxPool") pool = n.Outputs[0];
        }

        return new ResNetStructure
        {
            Depth = stemConvs + mainConvs + head,
            Block = kinds,
            BlocksPerStage = stages.Select(s => s.Blocks).ToArray(),
            Stages = stages,
            StemOutput = blocks[0].Input,
            PoolOutput = pool,
        };
    }

    /// <summary>
    /// Follows a tensor back along first data inputs: (tensor, convs passed so far), starting with
    /// (tensor, 0). Stops at a graph input, after maxSteps nodes, and (stopAtJoin) at an Add/Concat,
    /// which belongs to the previous block.
    /// </summary>
    static List<(string tensor, int convs)> Walk(string tensor, Dictionary<string, OnnxNode> producer, Func<OnnxNode, string> dataInput, int maxSteps = MaxBranchWalk, bool stopAtJoin = true)
    {
        var list = new List<(string, int)> { (tensor, 0) };
        int convs = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal) { tensor };
        for (int step = 0; step < maxSteps && producer.TryGetValue(tensor, out var n); step++)
        {
            if (stopAtJoin && n.OpType is "Add" or "Sum" or "Concat") break;
            if (n.OpType is "Conv" or "ConvTranspose") convs++;
            tensor = dataInput(n);
            if (tensor == null || !seen.Add(tensor)) break;
            list.Add((tensor, convs));
        }
        return list;
    }
}
