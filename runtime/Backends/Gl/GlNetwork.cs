namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>What a lowered layer does. Flatten/Reshape to [N,-1] are not layers: they alias tensors.</summary>
public enum GlOpKind { Conv, MaxPool, GlobalAvgPool, FullyConnected, Add, Relu, /** <see cref="GlBiasImage"/> */ BiasImage }

/// <summary>One activation tensor, per image: C × H × W (a vector is C × 1 × 1). Batch comes from the backend.</summary>
public sealed class GlTensor
{
    public GlTensor(string name, int c, int h, int w) { Name = name; C = c; H = h; W = w; }
    public string Name { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int Size => C * H * W;
    /// <summary>Other graph names that refer to the same data (Flatten/Reshape outputs, the Relu a conv absorbed).</summary>
    public List<string> Aliases { get; } = new();
    public override string ToString() => $"{Name} [{C}x{H}x{W}]";
}

/// <summary>
/// One lowered layer. Conv: Weights [Cout][Cin/groups][KH][KW] with BatchNorm already folded, Bias [Cout]
/// (zeros when the graph had none), optional fused residual (tensor index) and ReLU.
/// FullyConnected: Weights [Out][In], Bias [Out]. Add: Inputs[0] + Inputs[1] (+ ReLU). Relu: max(x, 0).
/// </summary>
public sealed class GlOp
{
    public GlOpKind Kind { get; set; }
    /// <summary>ONNX node name(s) this layer came from, for errors and compare reports.</summary>
    public string Name { get; set; }
    public int[] Inputs { get; set; }
    public int Output { get; set; }
    public int Residual { get; set; } = -1;
    public bool Relu { get; set; }
    public float[] Weights { get; set; }
    public float[] Bias { get; set; }
    public int KH { get; set; } = 1;
    public int KW { get; set; } = 1;
    public int StrideH { get; set; } = 1;
    public int StrideW { get; set; } = 1;
    public int PadTop { get; set; }
    public int PadLeft { get; set; }
    public int DilationH { get; set; } = 1;
    public int DilationW { get; set; } = 1;
    public int Groups { get; set; } = 1;
    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>
/// A ResNet-style network lowered for the GL backend: tensors, layers in execution order, one input
/// (3 × H × W image) and one output (logits). Built from ONNX by <see cref="GlNetworkBuilder"/>, or by
/// hand in tests. <see cref="Validate"/> checks every shape so a bad graph fails here, not in a shader.
/// </summary>
public sealed class GlNetwork
{
    public List<GlTensor> Tensors { get; } = new();
    public List<GlOp> Ops { get; } = new();
    public int Input { get; set; }
    public int Output { get; set; }
    /// <summary>Input of the global average pool before the classifier (for CAM), or -1.</summary>
    public int CamFeatures { get; set; } = -1;
    /// <summary>The classifier layer whose weights CAM uses, or -1.</summary>
    public int CamClassifier { get; set; } = -1;

    public int AddTensor(string name, int c, int h, int w)
    {
        Tensors.Add(new GlTensor(name, c, h, w));
        return Tensors.Count - 1;
    }

    /// <summary>Tensor index by name or alias; -1 when absent.</summary>
    public int FindTensor(string name)
    {
        for (int i = 0; i < Tensors.Count; i++)
            if (Tensors[i].Name == name || Tensors[i].Aliases.Contains(name)) return i;
        return -1;
    }

    public static (int OH, int OW) ConvOutput(int h, int w, GlOp op, int padBottom, int padRight) =>
        ((h + op.PadTop + padBottom - op.DilationH * (op.KH - 1) - 1) / op.StrideH + 1,
         (w + op.PadLeft + padRight - op.DilationW * (op.KW - 1) - 1) / op.StrideW + 1);

    /// <summary>Throws InvalidOperationException naming the layer when a shape or weight size does not fit.</summary>
    public void Validate()
    {
        foreach (var op in Ops)
        {
            var o = Tensors[op.Output];
            var a = Tensors[op.Inputs[0]];
            void Fail(string why) => throw new InvalidOperationException($"gl network: layer {op}: {why}");
            switch (op.Kind)
            {
                case GlOpKind.Conv:
                    if (a.C % op.Groups != 0 || o.C % op.Groups != 0) Fail($"channels {a.C}->{o.C} not divisible by groups {op.Groups}");
                    if (op.Weights.Length != o.C * (a.C / op.Groups) * op.KH * op.KW) Fail($"weights have {op.Weights.Length} values, expected {o.C}x{a.C / op.Groups}x{op.KH}x{op.KW}");
                    if (op.Bias.Length != o.C) Fail($"bias has {op.Bias.Length} values, expected {o.C}");
                    if (op.Residual >= 0 && Tensors[op.Residual].Size != o.Size) Fail($"residual {Tensors[op.Residual]} does not match output {o}");
                    break;
                case GlOpKind.FullyConnected:
                    if (op.Weights.Length != o.Size * a.Size) Fail($"weights have {op.Weights.Length} values, expected {o.Size}x{a.Size}");
                    if (op.Bias.Length != o.Size) Fail($"bias has {op.Bias.Length} values, expected {o.Size}");
                    break;
                case GlOpKind.Add:
                    if (Tensors[op.Inputs[1]].Size != a.Size || o.Size != a.Size) Fail($"operands {a} and {Tensors[op.Inputs[1]]} differ");
                    break;
                case GlOpKind.Relu:
                    if (o.Size != a.Size) Fail($"output {o} differs from input {a}");
                    break;
                case GlOpKind.BiasImage:
                    if (o.Size != a.Size || op.Weights.Length != a.Size) Fail($"output {o} or constant of {op.Weights.Length} values differs from input {a}");
                    break;
                case GlOpKind.GlobalAvgPool:
                    if (o.C != a.C || o.H != 1 || o.W != 1) Fail($"output {o} is not {a.C}x1x1");
                    break;
                case GlOpKind.MaxPool:
                    if (o.C != a.C) Fail($"channels {a.C}->{o.C}");
                    break;
            }
        }
        if (Tensors[Input].C != 3 && Tensors[Input].C < 1) throw new InvalidOperationException("gl network: input has no channels");
    }
}
