namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>One activation tensor, per image: C × H × W (a vector is C × 1 × 1). Batch comes from the backend.</summary>
internal sealed class GlTensor
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
/// Affine: a BatchNormalization that could not be folded, x·Weights[c] + Bias[c] per channel (+ ReLU).
/// What each kind means exactly is its <see cref="GlKernel"/> (Ops/), registered in <see cref="GlOpKind"/>.
/// Flatten/Reshape to [N,-1] are not layers: they alias tensors.
/// </summary>
internal sealed class GlOp
{
    public GlKernel Kind { get; set; } = GlOpKind.Conv;
    /// <summary>ONNX node name(s) this layer came from, for errors and compare reports.</summary>
    public string Name { get; set; }
    /// <summary>Other ONNX nodes this layer computes: a folded BatchNormalization or bias Add, a fused Relu or residual Add.</summary>
    public List<string> Fused { get; } = new();
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
internal sealed class GlNetwork
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
            if (op.Kind == null) throw new InvalidOperationException($"gl network: layer {op.Name} has no kind");
            op.Kind.Validate(this, op);
        }
        if (Tensors[Input].C != 3 && Tensors[Input].C < 1) throw new InvalidOperationException("gl network: input has no channels");
    }
}
