using System.Globalization;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Runtime.Onnx;

/// <summary>
/// The one graph validation every backend runs before building anything (BackendFactory for ORT,
/// GlNetworkBuilder for gl), so both refuse the same models with the same one-line message
/// (InvalidDataException "&lt;what&gt;: &lt;why&gt;"). It checks what a backend would otherwise get wrong
/// silently or report in its own words:
/// - element types and the opset are ones ONNX defines;
/// - every float initializer is finite, and Conv/Gemm/MatMul weights are at most <see cref="MaxWeight"/>;
/// - Conv/pool attributes agree with the weights and are in range (strides, dilations, kernel ≥ 1,
///   pads ≥ 0, group divides the channels); BatchNormalization's four parameters and Gemm's bias
///   have the sizes the weights imply.
/// - the ops the backends build have the inputs and the attributes (names and types) ONNX gives them, and every
///   node has an output (gl used to build a two-input Relu and a Relu with Flatten's axis, and index past a one-input Add);
/// - BatchNormalization's variance is ≥ 0 with var + epsilon &gt; 0 (ORT takes √ of a negative one: NaN logits;
///   gl folded it into finite, wrong ones);
/// - window attributes are at most <see cref="MaxWindow"/> (gl computes shapes in int32: a stride of 2^40
///   truncated to 0 and divided by it);
/// - the model as a whole (GraphValidator.Structure.cs): ir_version and opsets ORT loads, every node's domain
///   imported once, names without control characters, each value defined once, node names unique, and an image
///   input of bounded size.
/// Tensors computed at run time (e.g. a DequantizeLinear weight) are not constants and are not checked here.
/// </summary>
internal static partial class GraphValidator
{
    /// <summary>
    /// Largest |w| accepted in a Conv/Gemm/MatMul weight. Trained weights are O(1); folding a
    /// BatchNormalization multiplies by γ/√(var+ε), at most ~300·γ with ε = 1e-5, so real models stay far
    /// below 1e4. A weight of 1e10 (a flipped exponent bit) fed O(1e3) activations overflows float32's
    /// 3.4e38 within three layers, so the bound separates corruption from any real model by many decades.
    /// </summary>
    public const float MaxWeight = 1e10f;

    /// <summary>Newest default-domain opset accepted: the newest ONNX Runtime 1.30 implements.</summary>
    public const long MaxOpset = 25;

    /// <summary>Largest kernel, stride, dilation or pad accepted: beyond any image the backends take (ORT and gl
    /// index images in int32), and small enough that sums of a few of them stay in int32.</summary>
    public const long MaxWindow = 1 << 16;

    /// <summary>
    /// Of the ops the backends build: inputs (min, max) and attributes with their types, from the ONNX operator
    /// specs (BatchNormalization's spatial/is_test from opsets before 9 are kept: old exports carry them).
    /// </summary>
    static readonly Dictionary<string, (int Min, int Max, Dictionary<string, OnnxAttributeType> Attributes)> Schemas = BuildSchemas();

    static Dictionary<string, (int, int, Dictionary<string, OnnxAttributeType>)> BuildSchemas()
    {
        const OnnxAttributeType I = OnnxAttributeType.Int, F = OnnxAttributeType.Float, S = OnnxAttributeType.String, Is = OnnxAttributeType.Ints;
        (int, int, Dictionary<string, OnnxAttributeType>) Op(int min, int max, params (string, OnnxAttributeType)[] attrs) =>
            (min, max, attrs.ToDictionary(a => a.Item1, a => a.Item2, StringComparer.Ordinal));
        var window = new[] { ("auto_pad", S), ("dilations", Is), ("kernel_shape", Is), ("pads", Is), ("strides", Is) };
        return new(StringComparer.Ordinal)
        {
            ["Conv"] = Op(2, 3, [.. window, ("group", I)]),
            ["BatchNormalization"] = Op(5, 5, ("epsilon", F), ("momentum", F), ("training_mode", I), ("spatial", I), ("is_test", I)),
            ["Relu"] = Op(1, 1), ["Add"] = Op(2, 2), ["GlobalAveragePool"] = Op(1, 1), ["MatMul"] = Op(2, 2),
            ["MaxPool"] = Op(1, 1, [.. window, ("ceil_mode", I), ("storage_order", I)]),
            ["AveragePool"] = Op(1, 1, [.. window, ("ceil_mode", I), ("count_include_pad", I)]),
            ["ReduceMean"] = Op(1, 2, ("axes", Is), ("keepdims", I), ("noop_with_empty_axes", I)),
            ["Flatten"] = Op(1, 1, ("axis", I)),
            ["Reshape"] = Op(2, 2, ("allowzero", I)),
            ["Gemm"] = Op(2, 3, ("alpha", F), ("beta", F), ("transA", I), ("transB", I)),
            ["Identity"] = Op(1, 1), ["Dropout"] = Op(1, 3, ("seed", I), ("ratio", F), ("is_test", I)),
        };
    }

    public static void Validate(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckStructure(model);   // GraphValidator.Structure.cs: versions, imports, names, definitions, the input
        var g = model.Graph;
        var init = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in g.Initializers)
        {
            if (!Enum.IsDefined(t.DataType) || t.DataType == OnnxDataType.Undefined)
                Fail($"initializer '{t.Name}' has data_type {(int)t.DataType}, not an ONNX element type");
            if (t.Dims.Any(d => d < 0)) Fail($"initializer '{t.Name}' has a negative dimension {Dims(t.Dims)}");
            if (t.DataType == OnnxDataType.Float)
            {
                var data = t.ToFloatArray();
                int bad = Finite.FirstNonFinite(data);
                if (bad >= 0) Fail($"initializer '{t.Name}' element {bad} of {data.Length} is {F(data[bad])}: weights must be finite (corrupt model?)");
            }
            init[t.Name] = t;
        }
        foreach (var v in g.Inputs.Concat(g.Outputs))
            if (v.HasTensorType && !Enum.IsDefined(v.ElemType))
                Fail($"value '{v.Name}' has element type {(int)v.ElemType}, not an ONNX element type");
        foreach (var n in g.Nodes) CheckNode(n, init);
    }

    static void CheckNode(OnnxNode n, Dictionary<string, OnnxTensor> init)
    {
        string where = $"node '{n.Name}' ({n.OpType})";
        if (n.Outputs.Count == 0 || string.IsNullOrEmpty(n.Outputs[0])) Fail($"{where}: has no output");
        if (IsDefaultDomain(n.Domain) && Schemas.TryGetValue(n.OpType, out var schema))
        {
            int given = n.Inputs.Count;
            while (given > schema.Min && string.IsNullOrEmpty(n.Inputs[given - 1])) given--;   // trailing "" = omitted optional input
            if (given < schema.Min || given > schema.Max || n.Inputs.Take(schema.Min).Any(string.IsNullOrEmpty))
                Fail($"{where}: has {n.Inputs.Count} inputs [{string.Join(", ", n.Inputs)}]; {n.OpType} takes " +
                     (schema.Min == schema.Max ? $"{schema.Min}" : $"{schema.Min} to {schema.Max}"));
            foreach (var a in n.Attributes)
            {
                if (!schema.Attributes.TryGetValue(a.Name ?? "", out var type))
                    Fail($"{where}: unknown attribute '{a.Name}'; {n.OpType} has [{string.Join(", ", schema.Attributes.Keys)}]");
                if (a.Type != type) Fail($"{where}: attribute '{a.Name}' is {a.Type}; {type} expected");
            }
        }
        OnnxTensor Const(int i) => i < n.Inputs.Count && init.TryGetValue(n.Inputs[i] ?? "", out var t) ? t : null;
        switch (n.OpType)
        {
            case "Conv":
            {
                var w = Const(1);
                int spatial = w != null ? w.Dims.Length - 2 : (n.GetInts("kernel_shape")?.Length ?? 2);
                if (w != null)
                {
                    if (w.Dims.Length < 3) Fail($"{where}: weight '{w.Name}' has dims {Dims(w.Dims)}; [M, C/group, k...] expected");
                    if (w.Dims.Any(d => d < 1)) Fail($"{where}: weight '{w.Name}' has an empty dimension {Dims(w.Dims)}");
                    var ks = n.GetInts("kernel_shape");
                    if (ks != null && !ks.SequenceEqual(w.Dims[2..]))
                        Fail($"{where}: kernel_shape {Dims(ks)} does not match weight '{w.Name}' {Dims(w.Dims)}");
                    long group = n.GetInt("group", 1);
                    if (group < 1 || w.Dims[0] % group != 0) Fail($"{where}: group {group} must be ≥ 1 and divide the {w.Dims[0]} output channels");
                    Bounded(w, where);
                    var b = Const(2);
                    if (b != null && (b.Dims.Length != 1 || b.Dims[0] != w.Dims[0]))
                        Fail($"{where}: bias '{b.Name}' has dims {Dims(b.Dims)}; [{w.Dims[0]}] expected");
                }
                Window(n, where, spatial);
                break;
            }
            case "MaxPool" or "AveragePool":
            {
                var ks = n.GetInts("kernel_shape");
                if (ks == null) Fail($"{where}: kernel_shape is required");
                Window(n, where, ks.Length);
                // ORT (pool_attributes.h) refuses a pad as large as the window: that output would see only padding.
                if (n.GetInts("pads") is { } pads)
                    for (int i = 0; i < pads.Length; i++)
                        if (pads[i] >= ks[i % ks.Length]) Fail($"{where}: pads {Dims(pads)} must each be smaller than kernel_shape {Dims(ks)}");
                break;
            }
            case "BatchNormalization":
            {
                long? c = null;
                for (int i = 1; i <= 4; i++)
                {
                    var p = Const(i);
                    if (p == null) continue;
                    if (p.Dims.Length != 1 || (c != null && p.Dims[0] != c))
                        Fail($"{where}: parameter '{p.Name}' has dims {Dims(p.Dims)}; all four must be [C]{(c != null ? $" = [{c}]" : "")}");
                    c = p.Dims[0];
                }
                float eps = n.GetFloat("epsilon", 1e-5f);
                if (!float.IsFinite(eps) || eps < 0) Fail($"{where}: epsilon {F(eps)} must be finite and ≥ 0");
                if (Const(4) is { DataType: OnnxDataType.Float } v)
                {
                    var var = v.ToFloatArray();
                    for (int i = 0; i < var.Length; i++)
                        if (!(var[i] >= 0 && var[i] + eps > 0))
                            Fail($"{where}: variance '{v.Name}' element {i} is {F(var[i])} with epsilon {F(eps)}: var + epsilon must be > 0");
                }
                break;
            }
            case "Gemm":
            {
                var b = Const(1);
                if (b == null) break;
                if (b.Dims.Length != 2) Fail($"{where}: B '{b.Name}' has dims {Dims(b.Dims)}; 2-D expected");
                Bounded(b, where);
                foreach (var flag in new[] { "transA", "transB" })
                    if (n.GetInt(flag, 0) is not (0 or 1)) Fail($"{where}: {flag} = {n.GetInt(flag, 0)}; 0 or 1 expected");
                long outs = n.GetInt("transB", 0) != 0 ? b.Dims[0] : b.Dims[1];
                var c = Const(2);
                if (c != null && c.ElementCount != outs && c.ElementCount != 1)
                    Fail($"{where}: C '{c.Name}' has dims {Dims(c.Dims)}; {outs} (or 1) elements expected for B {Dims(b.Dims)}");
                break;
            }
            case "MatMul":
                if (Const(1) is { } m) Bounded(m, where);
                break;
        }
    }

    static void Window(OnnxNode n, string where, int spatial)
    {
        void Each(string attr, int count, long min)
        {
            var v = n.GetInts(attr);
            if (v == null) return;
            if (v.Length != count) Fail($"{where}: {attr} {Dims(v)} has {v.Length} values; {count} expected");
            foreach (var x in v) if (x < min || x > MaxWindow) Fail($"{where}: {attr} {Dims(v)}: every value must be in [{min}, {MaxWindow}]");
        }
        Each("kernel_shape", spatial, 1);
        Each("strides", spatial, 1);
        Each("dilations", spatial, 1);
        Each("pads", 2 * spatial, 0);
    }

    static void Bounded(OnnxTensor w, string where)
    {
        if (w.DataType != OnnxDataType.Float) return;
        var data = w.ToFloatArray();
        for (int i = 0; i < data.Length; i++)
            if (MathF.Abs(data[i]) > MaxWeight)
                Fail($"{where}: weight '{w.Name}' element {i} is {F(data[i])}, beyond ±{F(MaxWeight)} (corrupt model?)");
    }

    static bool IsDefaultDomain(string domain) => string.IsNullOrEmpty(domain) || domain == "ai.onnx";

    static string Dims(long[] d) => "[" + string.Join(",", d) + "]";
    static string F(float v) => v.ToString("G6", CultureInfo.InvariantCulture);
    static void Fail(string message) => throw new InvalidDataException(message);
}
