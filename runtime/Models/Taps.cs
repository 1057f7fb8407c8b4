// Taps: expose intermediate tensors as extra graph outputs so ONNX Runtime returns them.
//
// Names: "layer1".."layerK" (stage outputs found by ModelInspector), "stem" (input of the first
// block), "pool" (global average pool output) — or any existing node output / graph input by its
// exact name. The model passed in is not modified: the result shares its nodes and initializers
// (read-only use) and has its own output list, so adding taps costs no weight copies.
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Models;

internal static class Taps
{
    /// <summary>The tensor name <paramref name="tap"/> stands for (see the file header); throws ArgumentException naming
    /// the stages and some node outputs when it is neither. Every backend resolves taps here.</summary>
    public static string Resolve(OnnxModel model, string tap) => Resolve(model, new[] { tap })[0];

    /// <summary>Resolves each of <paramref name="taps"/> (the model is inspected at most once).</summary>
    public static string[] Resolve(OnnxModel model, IReadOnlyList<string> taps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(taps);
        var g = model.Graph;
        var tensors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var o in n.Outputs) if (!string.IsNullOrEmpty(o)) tensors.Add(o);
        foreach (var i in g.RealInputs()) tensors.Add(i.Name);

        ResNetStructure structure = null;
        bool inspected = false;
        ResNetStructure Structure()
        {
            if (!inspected) { inspected = true; try { structure = ModelInspector.Inspect(model).ResNet; } catch (InvalidDataException) { } }
            return structure;
        }

        var names = new string[taps.Count];
        for (int k = 0; k < taps.Count; k++)
        {
            string tap = taps[k]?.Trim();
            if (string.IsNullOrEmpty(tap)) throw new ArgumentException("empty tap name");
            string resolved = null;
            var s = IsStageAlias(tap) ? Structure() : null;
            if (s != null)
            {
                if (tap == "stem") resolved = s.StemOutput;
                else if (tap == "pool") resolved = s.PoolOutput;
                else resolved = s.Stages.Find(st => st.Name == tap)?.OutputName;
            }
            if (resolved == null && tensors.Contains(tap)) resolved = tap;
            if (resolved == null) throw new ArgumentException(UnknownTapMessage(tap, Structure(), g));
            names[k] = resolved;
        }
        return names;
    }

    public static (OnnxModel model, string[] outputNames) AddOutputs(OnnxModel model, IReadOnlyList<string> taps)
    {
        var names = Resolve(model, taps);
        var g = model.Graph;
        var copy = new OnnxModel
        {
            IrVersion = model.IrVersion, ProducerName = model.ProducerName, ProducerVersion = model.ProducerVersion,
            Domain = model.Domain, ModelVersion = model.ModelVersion, DocString = model.DocString,
            OpsetImports = [.. model.OpsetImports], MetadataProps = [.. model.MetadataProps], Unknown = model.Unknown,
            Graph = new OnnxGraph
            {
                Name = g.Name, DocString = g.DocString, Unknown = g.Unknown,
                Nodes = [.. g.Nodes], Initializers = [.. g.Initializers],
                Inputs = [.. g.Inputs], Outputs = [.. g.Outputs], ValueInfo = [.. g.ValueInfo],
            },
        };
        foreach (string name in names.Distinct())
        {
            if (copy.Graph.Outputs.Any(o => o.Name == name)) continue;
            var declared = g.FindValueInfo(name);
            // Without a declared type we say float32 of unknown shape: ORT fills in the shape at run time.
            copy.Graph.Outputs.Add(declared != null
                ? new OnnxValueInfo(name, declared.ElemType == OnnxDataType.Undefined ? OnnxDataType.Float : declared.ElemType, declared.Shape)
                : new OnnxValueInfo { Name = name, ElemType = OnnxDataType.Float, HasTensorType = true });
        }
        return (copy, names);
    }

    static bool IsStageAlias(string tap) =>
        tap is "stem" or "pool" || (tap.StartsWith("layer", StringComparison.Ordinal) && int.TryParse(tap.AsSpan(5), out int i) && i >= 1);

    static string UnknownTapMessage(string tap, ResNetStructure s, OnnxGraph g)
    {
        string stages = s == null ? "none (not a ResNet)" : string.Join(", ", new[] { "stem" }.Concat(s.Stages.Select(st => st.Name)).Concat(s.PoolOutput != null ? ["pool"] : []));
        var outputs = g.Nodes.SelectMany(n => n.Outputs).Where(o => !string.IsNullOrEmpty(o)).ToList();
        var near = outputs.Where(o => o.Contains(tap, StringComparison.OrdinalIgnoreCase)).Take(5).ToList();
        var examples = near.Count > 0 ? near : outputs.Take(3).Concat(outputs.Skip(Math.Max(3, outputs.Count - 2))).ToList();
        return $"unknown tap '{tap}': stages are {stages}; or name a node output, e.g. {string.Join(", ", examples.Select(e => $"'{e}'"))} ({outputs.Count} in all)";
    }
}
