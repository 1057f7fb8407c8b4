// OnnxAttribute (AttributeProto): a named constant on a node. Type says which value field is in use;
// the writer emits exactly that field. Graph-valued, sparse-tensor and type-proto attributes are not
// modelled: their bytes are kept as unknown fields and round-trip unchanged.
// Strings are UTF-8 by the ONNX spec and are held as .NET strings.
namespace ResNetRealtime.Runtime.Onnx;

internal sealed class OnnxAttribute
{
    public string Name { get; set; }
    public OnnxAttributeType Type { get; set; }
    public float F { get; set; }
    public long I { get; set; }
    public string S { get; set; }
    public OnnxTensor T { get; set; }
    public float[] Floats { get; set; }
    public long[] Ints { get; set; }
    public List<string> Strings { get; set; }
    public List<OnnxTensor> Tensors { get; set; }
    public string DocString { get; set; }

    internal UnknownFields Unknown { get; set; }

    public static OnnxAttribute Float(string name, float value) => new() { Name = name, Type = OnnxAttributeType.Float, F = value };
    public static OnnxAttribute Int(string name, long value) => new() { Name = name, Type = OnnxAttributeType.Int, I = value };
    public static OnnxAttribute String(string name, string value) => new() { Name = name, Type = OnnxAttributeType.String, S = value };
    public static OnnxAttribute Tensor(string name, OnnxTensor value) => new() { Name = name, Type = OnnxAttributeType.Tensor, T = value };
    public static OnnxAttribute FloatList(string name, params float[] values) => new() { Name = name, Type = OnnxAttributeType.Floats, Floats = values };
    public static OnnxAttribute IntList(string name, params long[] values) => new() { Name = name, Type = OnnxAttributeType.Ints, Ints = values };
    public static OnnxAttribute StringList(string name, params string[] values) => new() { Name = name, Type = OnnxAttributeType.Strings, Strings = [.. values] };
    public static OnnxAttribute TensorList(string name, params OnnxTensor[] values) => new() { Name = name, Type = OnnxAttributeType.Tensors, Tensors = [.. values] };

    public override string ToString() => Type switch
    {
        OnnxAttributeType.Float => $"{Name}={F}",
        OnnxAttributeType.Int => $"{Name}={I}",
        OnnxAttributeType.String => $"{Name}=\"{S}\"",
        OnnxAttributeType.Floats => $"{Name}=[{string.Join(",", Floats ?? [])}]",
        OnnxAttributeType.Ints => $"{Name}=[{string.Join(",", Ints ?? [])}]",
        _ => $"{Name}:{Type}",
    };
}
