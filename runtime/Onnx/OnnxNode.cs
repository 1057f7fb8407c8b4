// OnnxNode (NodeProto): one operator application. Inputs may contain "" for an omitted optional input.
namespace ResNetRealtime.Runtime.Onnx;

internal sealed class OnnxNode
{
    public string Name { get; set; }
    public string OpType { get; set; }
    /// <summary>Operator domain; null or "" is the default ONNX domain.</summary>
    public string Domain { get; set; }
    public List<string> Inputs { get; set; } = [];
    public List<string> Outputs { get; set; } = [];
    public List<OnnxAttribute> Attributes { get; set; } = [];
    public string DocString { get; set; }

    internal UnknownFields Unknown { get; set; }

    public OnnxNode() { }

    public OnnxNode(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params OnnxAttribute[] attributes)
    {
        OpType = opType;
        Name = name;
        Inputs = [.. inputs];
        Outputs = [.. outputs];
        Attributes = [.. attributes];
    }

    public OnnxAttribute GetAttribute(string name)
    {
        foreach (var a in Attributes) if (a.Name == name) return a;
        return null;
    }

    /// <summary>Value of an INT attribute, or <paramref name="defaultValue"/> when absent.</summary>
    public long GetInt(string name, long defaultValue = 0)
    {
        var a = GetAttribute(name);
        if (a == null) return defaultValue;
        if (a.Type != OnnxAttributeType.Int) throw WrongType(a, "INT");
        return a.I;
    }

    /// <summary>Value of an INTS attribute (a copy), or null when absent.</summary>
    public long[] GetInts(string name)
    {
        var a = GetAttribute(name);
        if (a == null) return null;
        if (a.Type != OnnxAttributeType.Ints) throw WrongType(a, "INTS");
        return (long[])(a.Ints ?? []).Clone();
    }

    public float GetFloat(string name, float defaultValue = 0f)
    {
        var a = GetAttribute(name);
        if (a == null) return defaultValue;
        if (a.Type != OnnxAttributeType.Float) throw WrongType(a, "FLOAT");
        return a.F;
    }

    public string GetString(string name, string defaultValue = null)
    {
        var a = GetAttribute(name);
        if (a == null) return defaultValue;
        if (a.Type != OnnxAttributeType.String) throw WrongType(a, "STRING");
        return a.S;
    }

    /// <summary>Adds or replaces the attribute with the same name.</summary>
    public void SetAttribute(OnnxAttribute attribute)
    {
        int i = Attributes.FindIndex(a => a.Name == attribute.Name);
        if (i >= 0) Attributes[i] = attribute; else Attributes.Add(attribute);
    }

    InvalidDataException WrongType(OnnxAttribute a, string expected) =>
        new($"node '{Name}' ({OpType}): attribute '{a.Name}' is {a.Type}, expected {expected}");

    public override string ToString() =>
        $"{OpType} '{Name}' ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}
