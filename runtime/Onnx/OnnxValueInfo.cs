// OnnxValueInfo (ValueInfoProto) and OnnxDim (TensorShapeProto.Dimension): the declared type of a
// graph input, output or intermediate value. Only tensor types are modelled; a value of another
// type (sequence, map, ...) keeps its TypeProto as unknown bytes and round-trips unchanged.
namespace ResNetRealtime.Runtime.Onnx;

internal sealed class OnnxValueInfo
{
    public string Name { get; set; }
    /// <summary>Element type of the tensor; Undefined when the value has no tensor type.</summary>
    public OnnxDataType ElemType { get; set; }
    /// <summary>Dimensions; null = rank unknown (no shape field). An empty array is a scalar.</summary>
    public OnnxDim[] Shape { get; set; }
    public string DocString { get; set; }

    internal bool HasTensorType { get; set; }
    internal UnknownFields TypeUnknown { get; set; }     // TypeProto fields other than tensor_type
    internal UnknownFields TensorTypeUnknown { get; set; }
    internal UnknownFields Unknown { get; set; }

    public OnnxValueInfo() { }

    public OnnxValueInfo(string name, OnnxDataType elemType, params OnnxDim[] shape)
    {
        Name = name;
        ElemType = elemType;
        Shape = shape;
        HasTensorType = true;
    }

    /// <summary>Shape as numbers with -1 for symbolic or unknown dims; null if the rank is unknown.</summary>
    public long[] ShapeOrMinusOne() => Shape == null ? null : Array.ConvertAll(Shape, d => d.Value ?? -1);

    public override string ToString() =>
        $"{Name} {ElemType} " + (Shape == null ? "[?]" : "[" + string.Join(",", Shape.Select(d => d.ToString())) + "]");
}

/// <summary>One dimension: a number (Value), a symbol such as "N" (Param), or neither (unknown).</summary>
internal sealed class OnnxDim
{
    public long? Value { get; set; }
    public string Param { get; set; }
    internal UnknownFields Unknown { get; set; }

    public OnnxDim() { }
    public OnnxDim(long value) { Value = value; }
    public OnnxDim(string param) { Param = param; }

    public static implicit operator OnnxDim(long value) => new(value);
    public static implicit operator OnnxDim(string param) => new(param);

    public override string ToString() => Value?.ToString() ?? Param ?? "?";
}
