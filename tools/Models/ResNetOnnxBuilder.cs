// ResNetOnnxBuilder: writes a ResNetSpec as an ONNX model — the project's one ONNX exporter (the
// training engine exports through it by passing its weights).
//
// Graph (torchvision's structure, eval mode, BN kept as separate nodes so its statistics stay visible):
//   input [N,C,S,S] -> Conv(conv1) -> BatchNormalization(bn1) -> Relu -> MaxPool 3x3/2 pad 1 (not CIFAR) = "stem"
//   block: Conv -> BN -> Relu -> Conv -> BN (-> Relu -> Conv -> BN for bottlenecks),
//          shortcut = identity or Conv 1x1 + BN (downsample.0/.1), Add, Relu
//   the last block's Relu of stage k outputs the tensor "layer{k}"; other blocks output "layer{k}.{b}"
//   GlobalAveragePool = "avgpool" (the "pool" tap) -> Flatten = "flatten" -> Gemm(fc, transB=1) = "logits" [N,classes]
//   Output = PooledFeatures stops at "avgpool" [N,F,1,1], FlatFeatures at "flatten" [N,F] (F = spec.FeatureCount):
//   a feature extractor without fc (the shape of an ImageNet featurizer), no labels allowed.
// Node names are "<torchvision module path>" ("layer2.0.conv1", "layer2.0.bn1", "layer2.0.relu_out",
// "layer2.0.add"); a node's output tensor has the node's name unless stated above.
// Initializer names are torchvision's parameter names (ResNetSpec.StateShapes()).
//
// Weights when none are supplied: per tensor a SplitMix64 stream seeded from (seed, tensor name), so a
// tensor's values depend only on the seed and its name — deterministic across runs, platforms and
// .NET versions. Conv: Kaiming normal, fan_out, ReLU gain (std = sqrt(2 / (out_channels * k * k))),
// as torchvision's ResNet.__init__. BN: weight 1, bias 0, running mean 0, var 1 — or, with
// PerturbBatchNorm, weight U(0.5,1.5), bias N(0,0.1^2), mean N(0,0.1^2), var U(0.5,1.5), so tests see BN
// do something. fc: torch.nn.Linear's default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Models;
using System.Globalization;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tools.Models;

/// <summary>Options for <see cref="ResNetOnnxBuilder.Build(ResNetSpec, ResNetBuildOptions)"/>.</summary>
/// <summary>Where a built graph ends.</summary>
internal enum ResNetOutput
{
    /// <summary>fc → "logits" [N,classes] (the default).</summary>
    Logits,
    /// <summary>No fc: the pool "avgpool" [N,F,1,1] is the output (a feature extractor).</summary>
    PooledFeatures,
    /// <summary>No fc: "flatten" [N,F] is the output (a feature extractor).</summary>
    FlatFeatures,
}

internal sealed record ResNetBuildOptions
{
    public int Seed { get; init; }
    /// <summary>Returns the tensor for (torchvision name, shape); null = random init. Must return exactly prod(shape) values.</summary>
    public Func<string, int[], float[]> Weights { get; init; }
    public bool PerturbBatchNorm { get; init; }
    /// <summary>Class names for rr.labels; null = none written. Count must equal NumClasses.</summary>
    public IReadOnlyList<string> Labels { get; init; }
    public float[] Mean { get; init; }
    public float[] Std { get; init; }
    /// <summary>Free text for rr.recipe; default "random init (seed N)" or "weights supplied by caller".</summary>
    public string Recipe { get; init; }
    /// <summary>Default-domain opset: 11..17 (the ops used have identical semantics across them).</summary>
    public int Opset { get; init; } = 17;
    /// <summary>Batch dimension: null = dynamic "N", else fixed.</summary>
    public int? FixedBatch { get; init; }
    /// <summary>Logits (default), or a headless feature extractor; see <see cref="ResNetOutput"/>.</summary>
    public ResNetOutput Output { get; init; } = ResNetOutput.Logits;
}

internal static class ResNetOnnxBuilder
{
    public const string InputName = "input";
    public const string OutputName = "logits";
    public const float BatchNormEpsilon = 1e-5f;   // torch.nn.BatchNorm2d default

    public static OnnxModel Build(ResNetSpec spec, int seed = 0, Func<string, int[], float[]> weights = null) =>
        Build(spec, new ResNetBuildOptions { Seed = seed, Weights = weights });

    public static OnnxModel Build(ResNetSpec spec, ResNetBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new ResNetBuildOptions();
        spec.Validate();
        if (options.Opset < 11 || options.Opset > 17) throw new ArgumentException($"opset {options.Opset} not supported: use 11..17");
        if (options.Labels != null && options.Labels.Count != spec.NumClasses)
            throw new ArgumentException($"{options.Labels.Count} labels given for a model with {spec.NumClasses} classes");
        foreach (var (what, v) in new[] { ("Mean", options.Mean), ("Std", options.Std) })
            if (v != null && v.Length != 1 && v.Length != spec.InChannels)
                throw new ArgumentException($"{what} has {v.Length} values: give 1 or one per input channel ({spec.InChannels})");
        if (options.Output != ResNetOutput.Logits && options.Labels != null)
            throw new ArgumentException($"{options.Labels.Count} labels given for a feature extractor (Output = {options.Output}): it has no classes");
        if (options.FixedBatch is < 1) throw new ArgumentException($"FixedBatch must be >= 1, got {options.FixedBatch}");
        var b = new GraphWriter(spec, options);
        return b.Build();
    }

    /// <summary>
    /// The random initial value of one tensor of <paramref name="spec"/> (any name from StateShapes),
    /// exactly as Build writes it when no weights are given. The training engine may use it to start
    /// from the same weights as a built model.
    /// </summary>
    public static float[] InitialValue(ResNetSpec spec, string name, int seed, bool perturbBatchNorm = false)
    {
        int[] shape = spec.StateShapes().FirstOrDefault(t => t.name == name).shape
            ?? throw new ArgumentException($"'{name}' is not a tensor of {spec.Name}");
        return InitialValue(spec, name, shape, seed, perturbBatchNorm);
    }

    static float[] InitialValue(ResNetSpec spec, string name, int[] shape, int seed, bool perturbBatchNorm)
    {
        long n = shape.Aggregate(1L, (a, d) => a * d);
        var data = new float[n];
        var rng = new SplitMix64(Hash(seed, name));
        if (name.StartsWith("fc."))
        {
            // torch.nn.Linear: kaiming_uniform(a=sqrt(5)) on the weight gives bound 1/sqrt(fan_in); the bias uses the same bound.
            float bound = 1f / MathF.Sqrt(spec.FeatureCount);
            for (long i = 0; i < n; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        }
        else if (shape.Length == 1)
        {
            // BatchNorm: torchvision's ResNet sets weight 1, bias 0; buffers start at mean 0, var 1.
            string field = name[(name.LastIndexOf('.') + 1)..];
            bool zero = spec.ZeroInitResidual && field == "weight" && name.EndsWith($".bn{spec.ConvsPerBlock}.weight") && name.StartsWith("layer");
            for (long i = 0; i < n; i++)
            {
                data[i] = field switch
                {
                    "weight" => zero ? 0f : perturbBatchNorm ? (float)(0.5 + rng.NextDouble()) : 1f,
                    "bias" => perturbBatchNorm ? (float)(0.1 * rng.NextGaussian()) : 0f,
                    "running_mean" => perturbBatchNorm ? (float)(0.1 * rng.NextGaussian()) : 0f,
                    "running_var" => perturbBatchNorm ? (float)(0.5 + rng.NextDouble()) : 1f,
                    _ => throw new ArgumentException($"unknown BN tensor '{name}'"),
                };
            }
        }
        else
        {
            // Conv weight [out, in/groups, kh, kw]: Kaiming normal, mode fan_out, nonlinearity relu.
            double fanOut = (double)shape[0] * shape[2] * shape[3];
            double std = Math.Sqrt(2.0 / fanOut);
            for (long i = 0; i < n; i++) data[i] = (float)(std * rng.NextGaussian());
        }
        return data;
    }

    static ulong Hash(int seed, string name)
    {
        // FNV-1a over the name, mixed with the seed: stable across processes (unlike string.GetHashCode).
        ulong h = 14695981039346656037UL ^ (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        foreach (char c in name) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>SplitMix64 (Steele et al. 2014): tiny, fast, and defined by its code rather than by a runtime version.</summary>
    struct SplitMix64(ulong state)
    {
        ulong _s = state;
        double _spare = double.NaN;

        public ulong Next()
        {
            ulong z = _s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, 1) with 53 bits.</summary>
        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Standard normal by Box-Muller (both values used).</summary>
        public double NextGaussian()
        {
            if (!double.IsNaN(_spare)) { double s = _spare; _spare = double.NaN; return s; }
            double u1 = 1.0 - NextDouble();   // (0, 1]: log is finite
            double u2 = NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            _spare = r * Math.Sin(2 * Math.PI * u2);
            return r * Math.Cos(2 * Math.PI * u2);
        }
    }

    sealed class GraphWriter(ResNetSpec spec, ResNetBuildOptions options)
    {
        readonly OnnxGraph _g = new() { Name = spec.Name };
        readonly Dictionary<string, int[]> _shapes = spec.StateShapes().ToDictionary(t => t.name, t => t.shape);

        public OnnxModel Build()
        {
            OnnxDim batch = options.FixedBatch is int fb ? new OnnxDim(fb) : new OnnxDim("N");
            _g.Inputs.Add(new OnnxValueInfo(InputName, OnnxDataType.Float, batch, spec.InChannels, spec.InputSize, spec.InputSize));
            _g.Outputs.Add(options.Output switch
            {
                ResNetOutput.PooledFeatures => new OnnxValueInfo("avgpool", OnnxDataType.Float, batch, spec.FeatureCount, 1, 1),
                ResNetOutput.FlatFeatures => new OnnxValueInfo("flatten", OnnxDataType.Float, batch, spec.FeatureCount),
                _ => new OnnxValueInfo(OutputName, OnnxDataType.Float, batch, spec.NumClasses),
            });

            string x = InputName;
            int k = spec.Cifar ? 3 : 7;
            x = Conv("conv1", x, stride: spec.Cifar ? 1 : 2, pad: k / 2, groups: 1);
            x = Bn("bn1", x);
            if (spec.Cifar) x = Relu("relu", x, "stem");
            else
            {
                x = Relu("relu", x);
                Node("MaxPool", "maxpool", [x], "stem",
                    OnnxAttribute.IntList("kernel_shape", 3, 3), OnnxAttribute.IntList("strides", 2, 2), OnnxAttribute.IntList("pads", 1, 1, 1, 1));
                x = "stem";
            }
            for (int s = 0; s < spec.StageCount; s++)
            {
                for (int blk = 0; blk < spec.Layers[s]; blk++)
                {
                    string p = $"layer{s + 1}.{blk}";
                    string output = blk == spec.Layers[s] - 1 ? $"layer{s + 1}" : p;
                    x = Block(p, x, s, blk, output);
                }
            }
            Node("GlobalAveragePool", "avgpool", [x], "avgpool");
            if (options.Output != ResNetOutput.PooledFeatures) Node("Flatten", "flatten", ["avgpool"], "flatten", OnnxAttribute.Int("axis", 1));
            if (options.Output == ResNetOutput.Logits)
            {
                Init("fc.weight"); Init("fc.bias");
                Node("Gemm", "fc", ["flatten", "fc.weight", "fc.bias"], OutputName,
                    OnnxAttribute.Float("alpha", 1f), OnnxAttribute.Float("beta", 1f), OnnxAttribute.Int("transB", 1));
            }

            var m = new OnnxModel
            {
                IrVersion = 8,
                ProducerName = "ResNetRealtime",
                ProducerVersion = typeof(ResNetOnnxBuilder).Assembly.GetName().Version?.ToString() ?? "0",
                DocString = $"{spec.Name}: {spec.Depth} layers, {(options.Output == ResNetOutput.Logits ? $"{spec.NumClasses} classes" : $"no fc, {spec.FeatureCount} features")}, built by ResNetOnnxBuilder",
                OpsetImports = [new OnnxOpset(null, options.Opset)],
                Graph = _g,
            };
            m.SetMetadata(MetadataKeys.Arch, spec.Name);
            m.SetMetadata(MetadataKeys.InputSize, spec.InputSize.ToString(CultureInfo.InvariantCulture));
            m.SetMetadata(MetadataKeys.Mean, MetadataKeys.FormatFloats(options.Mean ?? MetadataKeys.DefaultMean(spec.InChannels)));
            m.SetMetadata(MetadataKeys.Std, MetadataKeys.FormatFloats(options.Std ?? MetadataKeys.DefaultStd(spec.InChannels)));
            if (options.Labels != null) m.SetMetadata(MetadataKeys.Labels, MetadataKeys.FormatLabels(options.Labels));
            m.SetMetadata(MetadataKeys.Recipe, options.Recipe ?? (options.Weights == null
                ? $"random init (seed {options.Seed}{(options.PerturbBatchNorm ? ", perturbed BN statistics" : "")})"
                : "weights supplied by caller"));
            return m;
        }

        string Block(string p, string x, int stage, int blk, string output)
        {
            int stride = blk == 0 ? ResNetSpec.StageStride(stage) : 1;
            string identity = x;
            string y;
            if (spec.Block == BlockKind.Basic)
            {
                y = Conv($"{p}.conv1", x, stride, 1, 1);
                y = Bn($"{p}.bn1", y);
                y = Relu($"{p}.relu1", y);
                y = Conv($"{p}.conv2", y, 1, 1, 1);
                y = Bn($"{p}.bn2", y);
            }
            else
            {
                y = Conv($"{p}.conv1", x, 1, 0, 1);
                y = Bn($"{p}.bn1", y);
                y = Relu($"{p}.relu1", y);
                y = Conv($"{p}.conv2", y, stride, 1, spec.Groups);
                y = Bn($"{p}.bn2", y);
                y = Relu($"{p}.relu2", y);
                y = Conv($"{p}.conv3", y, 1, 0, 1);
                y = Bn($"{p}.bn3", y);
            }
            if (spec.HasDownsample(stage, blk))
            {
                identity = Conv($"{p}.downsample.0", x, stride, 0, 1);
                identity = Bn($"{p}.downsample.1", identity);
            }
            Node("Add", $"{p}.add", [y, identity], $"{p}.add");
            return Relu($"{p}.relu_out", $"{p}.add", output);
        }

        string Conv(string name, string x, int stride, int pad, int groups)
        {
            string w = name + ".weight";
            Init(w);
            int k = _shapes[w][2];
            Node("Conv", name, [x, w], name,
                OnnxAttribute.IntList("dilations", 1, 1), OnnxAttribute.Int("group", groups),
                OnnxAttribute.IntList("kernel_shape", k, k), OnnxAttribute.IntList("pads", pad, pad, pad, pad),
                OnnxAttribute.IntList("strides", stride, stride));
            return name;
        }

        string Bn(string name, string x)
        {
            string[] ins = [x, name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var"];
            for (int i = 1; i < 5; i++) Init(ins[i]);
            Node("BatchNormalization", name, ins, name,
                OnnxAttribute.Float("epsilon", BatchNormEpsilon), OnnxAttribute.Float("momentum", 0.9f));
            return name;
        }

        string Relu(string name, string x, string output = null)
        {
            Node("Relu", name, [x], output ?? name);
            return output ?? name;
        }

        void Node(string op, string name, string[] inputs, string output, params OnnxAttribute[] attrs) =>
            _g.Nodes.Add(new OnnxNode(op, name, inputs, [output], attrs));

        void Init(string name)
        {
            int[] shape = _shapes[name];
            float[] data;
            if (options.Weights != null)
            {
                data = options.Weights(name, (int[])shape.Clone())
                    ?? throw new ArgumentException($"weights callback returned null for '{name}' [{string.Join(",", shape)}]");
                long need = shape.Aggregate(1L, (a, d) => a * d);
                if (data.Length != need)
                    throw new ArgumentException($"weights callback returned {data.Length} values for '{name}' [{string.Join(",", shape)}], expected {need}");
            }
            else data = InitialValue(spec, name, shape, options.Seed, options.PerturbBatchNorm);
            _g.Initializers.Add(OnnxTensor.FromFloats(name, shape, data));
        }
    }
}
