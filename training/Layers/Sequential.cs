using ResNetRealtime.Training.Engine;

namespace ResNetRealtime.Training.Layers;

/// <summary>nn.Sequential: children run in order; backward in reverse. Children are named "{name}.{index}"
/// by whoever builds them (torchvision: "layer1.0", "layer1.0.downsample.0").</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _modules;

    public Sequential(string name, params Module[] modules) : base(name)
    {
        _modules = new List<Module>(modules);
    }

    public IReadOnlyList<Module> Items => _modules;
    public Module this[int i] => _modules[i];
    public int Count => _modules.Count;

    public override IEnumerable<Module> Children() => _modules;

    public override Tensor Forward(Tensor x)
    {
        foreach (var m in _modules) x = m.Forward(x);
        return x;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        for (int i = _modules.Count - 1; i >= 0; i--) gradOut = _modules[i].Backward(gradOut);
        return gradOut;
    }
}
