using ResNetRealtime.Training.Engine;

namespace ResNetRealtime.Training.Layers;

/// <summary>A named non-trainable state tensor (BatchNorm's running_mean / running_var).</summary>
public sealed class NamedBuffer
{
    public NamedBuffer(string name, int[] shape, float[] data)
    {
        Name = name; Shape = shape; Data = data;
    }

    public string Name { get; }
    public int[] Shape { get; }
    public float[] Data { get; }
}

/// <summary>
/// A layer with forward and backward side by side.
///  - Forward(x) returns an output tensor the module owns and reuses (valid until its next Forward) and
///    keeps what Backward needs (usually a reference to x, which must stay unchanged until Backward).
///  - Backward(gradOut) ACCUMULATES parameter gradients into <see cref="Parameter.Grad"/> and returns
///    ∂L/∂x in a tensor the module owns (overwritten each call). Modules whose <see cref="NeedsInputGrad"/>
///    is false (the stem convolution) skip that work and return null.
///  - Parameters have their full torchvision names ("layer1.0.conv1.weight"), given at construction.
/// </summary>
public abstract class Module
{
    protected Module(string name) { Name = name ?? ""; }

    /// <summary>The module's path prefix ("layer1.0.conv1"; "" for the root).</summary>
    public string Name { get; }

    /// <summary>True in training mode (batch statistics); false in eval mode (running statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>When false Backward does not compute ∂L/∂x (and returns null). Default true.</summary>
    public bool NeedsInputGrad { get; set; } = true;

    public abstract Tensor Forward(Tensor x);
    public abstract Tensor Backward(Tensor gradOut);

    /// <summary>Direct sub-modules, in registration (= state-dict) order.</summary>
    public virtual IEnumerable<Module> Children() => Array.Empty<Module>();
    protected virtual IEnumerable<Parameter> OwnParameters() => Array.Empty<Parameter>();
    protected virtual IEnumerable<NamedBuffer> OwnBuffers() => Array.Empty<NamedBuffer>();

    public void Train(bool on = true)
    {
        Training = on;
        foreach (var c in Children()) c.Train(on);
    }

    public void Eval() => Train(false);

    /// <summary>All parameters of this module and its descendants, in torchvision order.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        foreach (var p in OwnParameters()) yield return p;
        foreach (var c in Children())
            foreach (var p in c.Parameters()) yield return p;
    }

    /// <summary>All buffers (running statistics) of this module and its descendants.</summary>
    public IEnumerable<NamedBuffer> Buffers()
    {
        foreach (var b in OwnBuffers()) yield return b;
        foreach (var c in Children())
            foreach (var b in c.Buffers()) yield return b;
    }

    /// <summary>Every module in the tree, depth first, this one first.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var c in Children())
            foreach (var m in c.Modules()) yield return m;
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    public long ParameterCount() => Parameters().Sum(p => (long)p.Data.Length);

    /// <summary>Parameters and buffers by name, torchvision order within each module (weight, bias,
    /// running_mean, running_var). The arrays are the live ones, not copies.</summary>
    public IEnumerable<(string name, float[] data, int[] shape)> StateDict()
    {
        foreach (var m in Modules())
        {
            foreach (var p in m.OwnParameters()) yield return (p.Name, p.Data, p.Shape);
            foreach (var b in m.OwnBuffers()) yield return (b.Name, b.Data, b.Shape);
        }
    }

    /// <summary>Copies values in by name. Throws with the name and both shapes on a mismatch; with
    /// <paramref name="strict"/> also when a name is unknown or one of ours is missing.
    /// Returns the names that were loaded.</summary>
    public IReadOnlyList<string> LoadStateDict(IEnumerable<(string name, float[] data, int[] shape)> state, bool strict = true)
    {
        var mine = StateDict().ToDictionary(e => e.name);
        var loaded = new List<string>();
        var unknown = new List<string>();
        foreach (var (name, data, shape) in state)
        {
            if (!mine.TryGetValue(name, out var dst)) { unknown.Add(name); continue; }
            if (shape == null || !shape.AsSpan().SequenceEqual(dst.shape))
                throw new ArgumentException($"state dict: '{name}' has shape [{(shape == null ? "null" : string.Join(",", shape))}], model expects [{string.Join(",", dst.shape)}]");
            if (data == null || data.Length != dst.data.Length)
                throw new ArgumentException($"state dict: '{name}' has {data?.Length ?? 0} values, shape [{string.Join(",", dst.shape)}] needs {dst.data.Length}");
            Array.Copy(data, dst.data, data.Length);
            loaded.Add(name);
        }
        if (strict)
        {
            if (unknown.Count > 0) throw new ArgumentException($"state dict: {unknown.Count} unexpected name(s), first '{unknown[0]}'");
            var missing = mine.Keys.Except(loaded).ToList();
            if (missing.Count > 0) throw new ArgumentException($"state dict: {missing.Count} missing name(s), first '{missing[0]}'");
        }
        return loaded;
    }

    protected string Sub(string child) => Name.Length == 0 ? child : Name + "." + child;
}
