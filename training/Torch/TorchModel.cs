using TorchSharp;
using TorchSharp.Modules;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Trainer;
using static TorchSharp.torch;

namespace ResNetRealtime.Training.Torch;

/// <summary>Creates the TorchSharp engine's model; TorchRuntime must have loaded the natives first.</summary>
public static class TorchFactory
{
    public static ITrainModel Create(string device, ResNet host)
    {
        CheckDevice(device);
        return new TorchModel(host, device);
    }

    /// <summary>cuda needs TorchSharp to see a GPU, i.e. a CUDA libtorch in place of libtorch-cpu.</summary>
    public static void CheckDevice(string device)
    {
        if (device == "cuda" && !cuda.is_available())
            throw new TorchUnavailableException("--device cuda: TorchSharp finds no CUDA here; install an NVIDIA driver and a CUDA libtorch package in place of libtorch-cpu (libtorch-cuda-12.8-linux-x64 / TorchSharp-cuda-linux; build with -p:RrLibTorch=libtorch-cuda-12.8-linux-x64 where your NuGet feed serves it)");
    }
}

/// <summary>
/// The TorchSharp engine behind <see cref="ITrainModel"/>: a <see cref="TorchResNet"/> with the host's
/// weights and trainable flags, on the CPU or CUDA. Per call, temporaries live in a dispose scope so that
/// native memory is returned at once rather than when the GC finalises the tensors.
/// </summary>
public sealed class TorchModel : ITrainModel
{
    readonly TorchResNet _net;
    readonly Dictionary<string, Parameter> _params;
    readonly Dictionary<string, Tensor> _buffers;
    readonly Dictionary<string, nn.Module> _children;
    readonly Device _device;

    public TorchModel(ResNet host, string device)
    {
        Host = host;
        Device = device;
        _device = device == "cuda" ? CUDA : CPU;
        torch.set_num_threads(Math.Max(1, Kernels.Workers.Threads));
        _net = new TorchResNet(host.Config);
        _net.to(_device);
        _params = _net.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        _buffers = _net.named_buffers().Where(b => !b.name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                                        .ToDictionary(b => b.name, b => b.buffer, StringComparer.Ordinal);
        _children = _net.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        SetState(host.StateDict().Select(e => new NamedTensor(e.name, e.shape, e.data)));
        foreach (var p in host.Parameters()) _params[p.Name].requires_grad = p.RequiresGrad;
    }

    public string Engine => "torchsharp";
    public string Device { get; }
    public ResNet Host { get; }
    internal TorchResNet Net => _net;

    public void Train(IReadOnlyCollection<string> frozenStages)
    {
        _net.train();
        foreach (var s in frozenStages ?? Array.Empty<string>())
            foreach (var name in s == "stem" ? new[] { "conv1", "bn1" } : new[] { s })
                if (_children.TryGetValue(name, out var m)) m.eval();
    }

    public void Eval() => _net.eval();

    Tensor Input(Images x)
    {
        var data = x.Data.Length == x.Length ? x.Data : x.Data.AsSpan(0, x.Length).ToArray();
        return tensor(data, new long[] { x.N, x.C, x.H, x.W }).to(_device);
    }

    public (double Loss, int Correct) ForwardBackward(Images x, ReadOnlySpan<int> labels, float labelSmoothing)
    {
        using var scope = NewDisposeScope();
        var target = tensor(labels.ToArray().Select(l => (long)l).ToArray()).to(_device);
        var logits = _net.forward(Input(x));
        var loss = nn.functional.cross_entropy(logits, target, label_smoothing: labelSmoothing);
        loss.backward();
        long correct;
        using (no_grad()) correct = logits.argmax(1).eq(target).sum().item<long>();
        return (loss.item<float>(), (int)correct);
    }

    public float[] Forward(Images x)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return _net.forward(Input(x)).cpu().data<float>().ToArray();
    }

    public IReadOnlyList<NamedTensor> GetState()
    {
        using var scope = NewDisposeScope();
        // Host order (torchvision's state_dict order), so checkpoints from both engines list tensors alike.
        return Host.StateDict().Select(e => new NamedTensor(e.name, (int[])e.shape.Clone(), Values(Lookup(e.name)))).ToList();
    }

    public void SetState(IEnumerable<NamedTensor> state)
    {
        var expected = new HashSet<string>(_params.Keys.Concat(_buffers.Keys), StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var t in state)
        {
            if (!expected.Remove(t.Name)) throw new ArgumentException($"state dict: unexpected name '{t.Name}' for {Host.Config.Name}");
            var dst = Lookup(t.Name);
            var shape = dst.shape;
            if (!shape.Select(d => (int)d).SequenceEqual(t.Shape))
                throw new ArgumentException($"state dict: '{t.Name}' has shape [{string.Join(",", t.Shape)}], model expects [{string.Join(",", shape)}]");
            dst.copy_(tensor(t.Data, shape));
        }
        if (expected.Count > 0) throw new ArgumentException($"state dict: {expected.Count} missing name(s), first '{expected.First()}'");
    }

    Tensor Lookup(string name) =>
        _params.TryGetValue(name, out var p) ? p : _buffers.TryGetValue(name, out var b) ? b : throw new ArgumentException($"no tensor '{name}' in {Host.Config.Name}");

    internal Parameter Param(string name) => _params.TryGetValue(name, out var p) ? p : throw new ArgumentException($"no parameter '{name}' in {Host.Config.Name}");

    static float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    public float[] Gradient(string name)
    {
        using var scope = NewDisposeScope();
        var p = Param(name);
        var g = p.grad;
        return g is null ? new float[p.numel()] : Values(g);
    }

    public double[] GradientNorms(IReadOnlyList<string> names)
    {
        using var scope = NewDisposeScope();
        var norms = new double[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            var g = Param(names[i]).grad;
            norms[i] = g is null ? 0 : g.to(float64).norm().item<double>();
        }
        return norms;
    }

    public ITrainOptimizer CreateOptimizer(string kind, double lr, double weightDecay, double momentum, bool nesterov, Func<string, double> groupScale) =>
        new TorchOptimizer(this, kind, lr, weightDecay, momentum, nesterov, groupScale);

    public void Dispose() => _net.Dispose();
}
