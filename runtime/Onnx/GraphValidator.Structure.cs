namespace ResNetRealtime.Runtime.Onnx;

// The model-level half of the validation: what ONNX's checker (and so ORT) requires of a model as a whole, which gl
// used to build regardless. Each rule below was found by the fuzz harness (tests/Fuzz) as a model that gl built and
// ORT refused, or that made the validator or gl throw something other than a one-line error.
internal static partial class GraphValidator
{
    /// <summary>Oldest default-domain opset: ORT implements no kernels of Gemm or BatchNormalization before 7.</summary>
    public const long MinOpset = 7;

    /// <summary>ONNX IR versions accepted: 3 (the first with opset imports) to 13, the newest ORT 1.30 loads (probed: 14 is refused).</summary>
    public const long MaxIrVersion = 13;

    /// <summary>
    /// Largest image a backend takes: each side at most <see cref="MaxWindow"/>, C·H·W at most 2^26 floats (256 MB).
    /// gl indexes tensors and dispatches work groups in int32/65535-sized grids; a 32×1048576 input gave wrong logits.
    /// </summary>
    public const long MaxInputElements = 1L << 26;

    static void CheckStructure(OnnxModel model)
    {
        if (model.IrVersion < 3 || model.IrVersion > MaxIrVersion)
            Fail($"ir_version {model.IrVersion} is not one ONNX Runtime 1.30 loads (3..{MaxIrVersion})");
        var domains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in model.OpsetImports)
        {
            string d = IsDefaultDomain(op.Domain) ? "" : op.Domain;
            if (!domains.Add(d)) Fail($"opset domain {op} is imported twice");
            if (d == "" && (op.Version < MinOpset || op.Version > MaxOpset))
                Fail($"opset ai.onnx:{op.Version} is not one ONNX Runtime implements ({MinOpset}..{MaxOpset})");
        }
        var g = model.Graph;
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        void Define(string name, string what)
        {
            Name(name, what);
            if (string.IsNullOrEmpty(name)) Fail($"{what} has no name");
            if (!defined.Add(name)) Fail($"{what}: '{name}' is defined twice (a second initializer, input or node output of that name)");
        }
        foreach (var t in g.Initializers) Define(t.Name, "initializer");
        foreach (var v in g.RealInputs()) Define(v.Name, "graph input");
        foreach (var n in g.Nodes)
        {
            string where = $"node '{n.Name}' ({n.OpType})";
            Name(n.Name, "node name"); Name(n.OpType, "op_type"); Name(n.Domain, "domain");
            if (string.IsNullOrEmpty(n.OpType)) Fail($"node '{n.Name}' has no op_type");
            if (!string.IsNullOrEmpty(n.Name) && !nodeNames.Add(n.Name)) Fail($"two nodes are named '{n.Name}'");
            if (!domains.Contains(IsDefaultDomain(n.Domain) ? "" : n.Domain))
                Fail($"{where}: its domain '{(IsDefaultDomain(n.Domain) ? "ai.onnx" : n.Domain)}' is not imported (imports: [{string.Join(", ", model.OpsetImports)}])");
            foreach (var i in n.Inputs) Name(i, $"{where} input");
            foreach (var o in n.Outputs) if (!string.IsNullOrEmpty(o)) Define(o, $"{where} output");
        }
        foreach (var v in g.Inputs.Concat(g.Outputs))
        {
            string what = g.Inputs.Contains(v) ? "graph input" : "graph output";
            Name(v.Name, what);
            if (string.IsNullOrEmpty(v.Name)) Fail($"a {what} has no name");
            // Both backends take float32 images in and give float32 logits out; ORT refuses other declared types.
            if (v.HasTensorType && v.ElemType != OnnxDataType.Float && v.ElemType != OnnxDataType.Undefined && g.FindInitializer(v.Name) == null)
                Fail($"{what} '{v.Name}' is declared {v.ElemType}; float32 is expected");
        }
        CheckInput(g);
    }

    /// <summary>Fixed dims of the image input ≥ 1; H, W and C·H·W bounded (see <see cref="MaxInputElements"/>).</summary>
    static void CheckInput(OnnxGraph g)
    {
        foreach (var v in g.RealInputs())
        {
            if (v.Shape == null) continue;
            var dims = v.ShapeOrMinusOne();
            string shown = "[" + string.Join(",", v.Shape.Select(d => d.ToString())) + "]";
            foreach (var d in v.Shape)
                if (d.Value is { } x && (x < 1 || x > MaxWindow))
                    Fail($"input '{v.Name}' has shape {shown}: every fixed dimension must be in [1, {MaxWindow}]");
            double perImage = dims.Skip(1).Where(d => d > 0).Aggregate(1.0, (a, b) => a * b);   // double: rank 6 of 2^16 would overflow a long
            if (perImage > MaxInputElements)
                Fail($"input '{v.Name}' has shape {shown}: {perImage} values per image, over {MaxInputElements}");
        }
    }

    /// <summary>Names end up in our one-line messages: a control character (a newline from a flipped byte) is refused.</summary>
    static void Name(string s, string what)
    {
        if (s == null) return;
        foreach (char c in s)
            if (char.IsControl(c))
                Fail($"{what} '{new string(s.Select(x => char.IsControl(x) ? '?' : x).ToArray())}' contains control character U+{(int)c:X4}");
    }
}
