// OnnxGraph (GraphProto): nodes in topological order, initializers (weights), declared inputs,
// outputs and intermediate value infos. Lookups here are linear scans: fine for the few hundred
// nodes of a ResNet; build a dictionary if you do many.
namespace ResNetRealtime.Runtime.Onnx;

internal sealed class OnnxGraph
{
    public string Name { get; set; }
    public List<OnnxNode> Nodes { get; set; } = [];
    public List<OnnxTensor> Initializers { get; set; } = [];
    public List<OnnxValueInfo> Inputs { get; set; } = [];
    public List<OnnxValueInfo> Outputs { get; set; } = [];
    public List<OnnxValueInfo> ValueInfo { get; set; } = [];
    public string DocString { get; set; }

    internal UnknownFields Unknown { get; set; }

    public OnnxTensor FindInitializer(string name)
    {
        foreach (var t in Initializers) if (t.Name == name) return t;
        return null;
    }

    /// <summary>The node that outputs <paramref name="tensorName"/>, or null (graph input, initializer or unknown).</summary>
    public OnnxNode FindProducer(string tensorName)
    {
        foreach (var n in Nodes) if (n.Outputs.Contains(tensorName)) return n;
        return null;
    }

    /// <summary>Every node that reads <paramref name="tensorName"/>, in graph order.</summary>
    public List<OnnxNode> FindConsumers(string tensorName)
    {
        var list = new List<OnnxNode>();
        foreach (var n in Nodes) if (n.Inputs.Contains(tensorName)) list.Add(n);
        return list;
    }

    public OnnxNode FindNode(string nodeName)
    {
        foreach (var n in Nodes) if (n.Name == nodeName) return n;
        return null;
    }

    /// <summary>Graph inputs that are not initializers (IR &lt; 4 exporters list weights as inputs too).</summary>
    public List<OnnxValueInfo> RealInputs()
    {
        var init = new HashSet<string>(Initializers.Select(t => t.Name));
        return Inputs.Where(i => !init.Contains(i.Name)).ToList();
    }

    /// <summary>Declared type of a value: graph input, output or value_info entry; null if none.</summary>
    public OnnxValueInfo FindValueInfo(string name) =>
        Inputs.Find(v => v.Name == name) ?? Outputs.Find(v => v.Name == name) ?? ValueInfo.Find(v => v.Name == name);
}
