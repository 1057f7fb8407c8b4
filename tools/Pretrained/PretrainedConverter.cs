// PretrainedConverter: the CNTK export of the ImageNet ResNet in Microsoft.ML.DnnImageFeaturizer.ResNet18
// (ResNet18.onnx + ResNetPreprocess.onnx) → one ONNX model in this project's conventions.
//
// The original computes f(BGR(x) − M) for x = RGB pixels 0..255 and M a 3×224×224 BGR mean image.
// Ours computes the same from what our Preprocessor feeds every model, p = (x/255 − mean[c]) / std[c]:
//  - mean[c] = m̄[c]/255 (m̄ = the mean image's per-channel average, RGB order) and std[c] = 1/255, so
//    p = x − m̄[c]: the per-channel part, exact;
//  - Sub "mean_residual" removes the rest, M_rgb − m̄ (what per-channel numbers cannot say);
//  - the first conv's input channels are swapped (its weights were learnt on BGR), so RGB goes in.
// Graph: input "input" [N,3,224,224] (dynamic batch; H, W fixed by the mean image) → Sub → conv1/bn1/relu/
// maxpool = "stem" → blocks "layerK.B" (the last of stage K = "layerK") → GlobalAveragePool "avgpool"
// (the original AveragePool 7×7 over the 7×7 map: the same values) → Flatten → "features" [N,512].
// Nodes and initializers get torchvision's names (conv1.weight, layer4.2.bn2.running_var, ...), which
// is what ModelInspector, taps and the training loader expect. BatchNorm stays a separate node.
// CNTK's layout is kept as it is: four stages of [2,2,2,3] basic blocks (layer4 has three — the graph
// says so: Plus363, Plus377, Plus391), asymmetric pads that at 224² give torchvision's output sizes.
// Anything that does not match this layout is an InvalidDataException naming the node.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tools.Pretrained;

internal static class PretrainedConverter
{
    /// <summary>Bump when the output changes: the cache rebuilds every conversion of another version.</summary>
    public const int Version = 1;
    public const string InputName = "input";
    public const string OutputName = "features";
    public const int Size = 224;
    /// <summary>Std that makes our Preprocessor feed pixels 0..255 minus the per-channel mean, as the original.</summary>
    public const float PixelStd = 1f / 255f;

    public static OnnxModel Convert(OnnxModel network, OnnxModel preprocess, string networkName = "ResNet18.onnx")
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preprocess);
        var meanBgr = ReadMeanImage(preprocess);
        var g = network.Graph;
        var inputs = g.RealInputs();
        if (inputs.Count != 1) throw new InvalidDataException($"{networkName}: {inputs.Count} inputs, expected one image input");
        var inShape = inputs[0].ShapeOrMinusOne();
        if (inShape == null || !inShape.Skip(1).SequenceEqual(new long[] { 3, Size, Size }))
            throw new InvalidDataException($"{networkName}: input '{inputs[0].Name}' is [{string.Join(",", inShape ?? [])}], expected [1,3,{Size},{Size}]");

        var init = g.Initializers.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var o in n.Outputs) producer[o] = n;
        var r = new Renamer(networkName, init);

        // ---- stem: Conv → BN → Relu → MaxPool
        var nodes = g.Nodes;
        Expect(networkName, nodes, 0, "Conv"); Expect(networkName, nodes, 1, "BatchNormalization");
        Expect(networkName, nodes, 2, "Relu"); Expect(networkName, nodes, 3, "MaxPool");
        if (nodes[0].Inputs[0] != inputs[0].Name) throw new InvalidDataException($"{networkName}: the first Conv '{nodes[0].Name}' does not read the input");
        r.Conv(nodes[0], "conv1"); r.Bn(nodes[1], "bn1"); r.Node(nodes[2], "relu"); r.Node(nodes[3], "maxpool", "stem");

        // ---- residual blocks, found from their Adds; a new stage starts where the main branch strides.
        var blocks = new List<(OnnxNode add, OnnxNode relu, OnnxNode[] main, OnnxNode[] shortcut, int stage)>();
        int stage = 0;
        foreach (var add in nodes.Where(n => n.OpType == "Add"))
        {
            var (main, shortcut) = SplitBlock(networkName, add, producer);
            if (main[0].GetInts("strides")?.Any(s => s > 1) == true) stage++;
            if (blocks.Count == 0) stage = Math.Max(stage, 1);
            var relu = g.FindConsumers(add.Outputs[0]) is [{ OpType: "Relu" } only] ? only
                : throw new InvalidDataException($"{networkName}: Add '{add.Name}' is not followed by exactly one Relu");
            blocks.Add((add, relu, main, shortcut, stage));
        }
        if (blocks.Count == 0) throw new InvalidDataException($"{networkName}: no residual Add found: not a ResNet");
        for (int i = 0; i < blocks.Count; i++)
        {
            var (add, relu, main, shortcut, s) = blocks[i];
            int b = blocks.Take(i).Count(x => x.stage == s);
            bool last = i == blocks.Count - 1 || blocks[i + 1].stage != s;
            string p = $"layer{s}.{b}";
            r.Conv(main[0], $"{p}.conv1"); r.Bn(main[1], $"{p}.bn1"); r.Node(main[2], $"{p}.relu");
            r.Conv(main[3], $"{p}.conv2"); r.Bn(main[4], $"{p}.bn2");
            if (shortcut.Length == 2) { r.Conv(shortcut[0], $"{p}.downsample.0"); r.Bn(shortcut[1], $"{p}.downsample.1"); }
            r.Node(add, $"{p}.add"); r.Node(relu, $"{p}.relu_out", last ? $"layer{s}" : p);
        }

        // ---- head: AveragePool over the whole 7×7 map (no pads) → GlobalAveragePool + Flatten
        var pool = nodes[^1];
        if (pool.OpType != "AveragePool" || pool.Inputs[0] != blocks[^1].relu.Outputs[0] || g.Outputs.Count != 1 || g.Outputs[0].Name != pool.Outputs[0]
            || pool.GetInts("kernel_shape") is not [7, 7] || (pool.GetInts("pads") ?? [0]).Any(v => v != 0))
            throw new InvalidDataException($"{networkName}: the graph does not end in AveragePool 7x7 of the last block (last node {pool})");
        int named = r.NodeCount + 1;
        if (named != nodes.Count) throw new InvalidDataException($"{networkName}: {nodes.Count - named} node(s) outside the stem, blocks and pool, e.g. {nodes.First(n => !r.Knows(n))}");

        return Assemble(network, r, blocks[^1].relu.Outputs[0], meanBgr);
    }

    static void Expect(string file, List<OnnxNode> nodes, int i, string op)
    {
        if (nodes.Count <= i || nodes[i].OpType != op)
            throw new InvalidDataException($"{file}: node {i} is {(nodes.Count > i ? nodes[i].ToString() : "missing")}, expected {op} (stem: Conv, BatchNormalization, Relu, MaxPool)");
    }

    /// <summary>The Add's operands as main branch [conv1, bn1, relu, conv2, bn2] and shortcut ([] identity, or [conv, bn]).</summary>
    static (OnnxNode[] main, OnnxNode[] shortcut) SplitBlock(string file, OnnxNode add, Dictionary<string, OnnxNode> producer)
    {
        OnnxNode P(string t, string op) => producer.TryGetValue(t, out var n) && n.OpType == op ? n : null;
        for (int k = 0; k < 2; k++)
        {
            var bn2 = P(add.Inputs[k], "BatchNormalization");
            var conv2 = bn2 == null ? null : P(bn2.Inputs[0], "Conv");
            var relu = conv2 == null ? null : P(conv2.Inputs[0], "Relu");
            var bn1 = relu == null ? null : P(relu.Inputs[0], "BatchNormalization");
            var conv1 = bn1 == null ? null : P(bn1.Inputs[0], "Conv");
            if (conv1 == null) continue;
            string blockIn = conv1.Inputs[0], other = add.Inputs[1 - k];
            if (other == blockIn) return ([conv1, bn1, relu, conv2, bn2], []);
            var dsBn = P(other, "BatchNormalization");
            var ds = dsBn == null ? null : P(dsBn.Inputs[0], "Conv");
            if (ds != null && ds.Inputs[0] == blockIn) return ([conv1, bn1, relu, conv2, bn2], [ds, dsBn]);
        }
        throw new InvalidDataException($"{file}: Add '{add.Name}' is not a basic residual block (Conv-BN-Relu-Conv-BN plus an identity or Conv-BN shortcut from the same input)");
    }

    /// <summary>The preprocessing model's mean image, BGR [3,224,224], after checking it is Split → Concat(reversed) → Sub.</summary>
    static float[] ReadMeanImage(OnnxModel prep)
    {
        const string file = "ResNetPreprocess.onnx";
        var n = prep.Graph.Nodes;
        if (n.Count != 3 || n[0].OpType != "Split" || n[1].OpType != "Concat" || n[2].OpType != "Sub")
            throw new InvalidDataException($"{file}: expected Split, Concat, Sub; found {string.Join(", ", n.Select(x => x.OpType))}");
        if (!n[1].Inputs.SequenceEqual(Enumerable.Reverse(n[0].Outputs)) || n[2].Inputs[0] != n[1].Outputs[0])
            throw new InvalidDataException($"{file}: the Concat does not reverse the Split's channels (RGB → BGR) into the Sub");
        var mean = prep.Graph.FindInitializer(n[2].Inputs[1]) ?? throw new InvalidDataException($"{file}: Sub operand '{n[2].Inputs[1]}' is not an initializer");
        if (!mean.Dims.SequenceEqual(new long[] { 1, 3, Size, Size })) throw new InvalidDataException($"{file}: mean image is {OnnxTensor.FormatDims(mean.Dims)}, expected [1,3,{Size},{Size}]");
        return mean.ToFloatArray();
    }

    /// <summary>Per-channel averages of the mean image in RGB order (double sums: 50,176 values a channel).</summary>
    public static float[] ChannelMeansRgb(float[] meanBgr)
    {
        int plane = Size * Size;
        var m = new float[3];
        for (int c = 0; c < 3; c++)
        {
            double s = 0;
            for (int i = 0; i < plane; i++) s += meanBgr[c * plane + i];
            m[2 - c] = (float)(s / plane);
        }
        return m;
    }

    static OnnxModel Assemble(OnnxModel src, Renamer r, string lastBlock, float[] meanBgr)
    {
        int plane = Size * Size;
        var mbar = ChannelMeansRgb(meanBgr);
        var residual = new float[3 * plane];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < plane; i++) residual[c * plane + i] = meanBgr[(2 - c) * plane + i] - mbar[c];

        var g = new OnnxGraph { Name = "pretrained_resnet18" };
        g.Initializers.Add(OnnxTensor.FromFloats("mean_residual", new long[] { 1, 3, Size, Size }, residual));
        g.Nodes.Add(new OnnxNode("Sub", "mean_residual", [InputName, "mean_residual"], ["centred"]));
        foreach (var (node, t) in r.Nodes())
        {
            g.Nodes.Add(node);
            foreach (var x in t) g.Initializers.Add(x);
        }
        // The stem conv reads the centred RGB tensor; its weights [64][BGR][7][7] become [64][RGB][7][7].
        var conv1 = g.Nodes[1];
        conv1.Inputs[0] = "centred";
        var w = g.FindInitializer("conv1.weight");
        var wd = w.ToFloatArray();
        int k = (int)(w.Dims[2] * w.Dims[3]), cin = (int)w.Dims[1];
        for (int o = 0; o < w.Dims[0]; o++)
            for (int i = 0; i < k; i++)
                (wd[(o * cin + 0) * k + i], wd[(o * cin + 2) * k + i]) = (wd[(o * cin + 2) * k + i], wd[(o * cin + 0) * k + i]);
        g.Initializers[g.Initializers.IndexOf(w)] = OnnxTensor.FromFloats("conv1.weight", w.Dims, wd);

        g.Nodes.Add(new OnnxNode("GlobalAveragePool", "avgpool", [r.Map(lastBlock)], ["avgpool"]));
        g.Nodes.Add(new OnnxNode("Flatten", "flatten", ["avgpool"], [OutputName], OnnxAttribute.Int("axis", 1)));
        g.Inputs.Add(new OnnxValueInfo(InputName, OnnxDataType.Float, "N", 3, Size, Size));
        g.Outputs.Add(new OnnxValueInfo(OutputName, OnnxDataType.Float, "N", 512));

        var m = new OnnxModel
        {
            IrVersion = 7, ProducerName = "ResNetRealtime", ProducerVersion = $"PretrainedConverter {Version}",
            DocString = "ImageNet-pretrained ResNet (CNTK 2.6 export in " + PretrainedPackage.PackageId + " " + PretrainedPackage.Version + "), converted: RGB input, our normalisation, stage names",
            OpsetImports = [new OnnxOpset("", 13)], Graph = g,
        };
        m.SetMetadata(MetadataKeys.Mean, MetadataKeys.FormatFloats(mbar.Select(v => v / 255f)));
        m.SetMetadata(MetadataKeys.Std, MetadataKeys.FormatFloats([PixelStd, PixelStd, PixelStd]));
        m.SetMetadata(MetadataKeys.InputSize, Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        m.SetMetadata(MetadataKeys.Recipe, $"ImageNet (ILSVRC-2012) pretrained weights from {src.ProducerName} {src.ProducerVersion}; converted by PretrainedConverter {Version}; 512 pooled features, no classifier");
        m.SetMetadata(MetadataKeys.Source, $"nuget:{PretrainedPackage.PackageId}/{PretrainedPackage.Version}/{PretrainedPackage.NetworkPath} sha256:{PretrainedPackage.NetworkSha256}");
        m.SetMetadata(MetadataKeys.License, $"MIT ({PretrainedPackage.PackageId} {PretrainedPackage.Version}, Microsoft); weights trained on ImageNet");
        return m;
    }

    /// <summary>Gives nodes, their outputs and their weights our names; keeps the order nodes were named in.</summary>
    sealed class Renamer(string file, Dictionary<string, OnnxTensor> init)
    {
        readonly List<(OnnxNode node, List<OnnxTensor> weights)> _nodes = [];
        readonly Dictionary<string, string> _tensor = new(StringComparer.Ordinal);
        readonly HashSet<OnnxNode> _seen = [];

        public int NodeCount => _nodes.Count;
        public bool Knows(OnnxNode n) => _seen.Contains(n);
        public string Map(string t) => _tensor.TryGetValue(t, out var v) ? v : t;

        /// <summary>Nodes in the order they were named: topological, since a node is named after its inputs' producers.</summary>
        public IEnumerable<(OnnxNode, List<OnnxTensor>)> Nodes() => _nodes.Select(x => (x.node, x.weights));

        public void Node(OnnxNode n, string name, string output = null, params (int input, string suffix)[] weights)
        {
            if (!_seen.Add(n)) throw new InvalidDataException($"{file}: node '{n.Name}' belongs to two blocks");
            _tensor[n.Outputs[0]] = output ?? name;
            // "spatial" left BatchNormalization at opset 9 (always spatial since); we write opset 13.
            var copy = new OnnxNode(n.OpType, name, n.Inputs.Select(Map), [output ?? name], [.. n.Attributes.Where(a => a.Name != "spatial")]);
            var ws = new List<OnnxTensor>();
            foreach (var (i, suffix) in weights)
            {
                var src = i < n.Inputs.Count && init.TryGetValue(n.Inputs[i], out var t) ? t
                    : throw new InvalidDataException($"{file}: {n.OpType} '{n.Name}' input {i} is not an initializer");
                var renamed = new OnnxTensor { Name = $"{name}.{suffix}", Dims = src.Dims, DataType = src.DataType, RawData = src.RawData, FloatData = src.FloatData };
                copy.Inputs[i] = renamed.Name;
                ws.Add(renamed);
            }
            _nodes.Add((copy, ws));
        }

        public void Conv(OnnxNode n, string name)
        {
            if (n.Inputs.Count > 2) throw new InvalidDataException($"{file}: Conv '{n.Name}' has a bias; the CNTK layout has none");
            Node(n, name, null, (1, "weight"));
        }

        public void Bn(OnnxNode n, string name) =>
            Node(n, name, null, (1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var"));
    }
}
