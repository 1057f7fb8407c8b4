using System.Runtime.Intrinsics;
using ResNetRealtime.Training.Models;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// One model under training, as the trainer drives it; the two engines (ours, TorchSharp) each implement it
/// and everything else (data, augmentation, schedules, groups, freezing, checkpoints, metrics, export) is
/// shared. A model is built from a host <see cref="ResNet"/> of our engine, which defines the architecture
/// (from the runtime's ResNetSpec), the torchvision parameter names, the initial weights, and per parameter
/// whether it trains (<c>RequiresGrad</c>), takes weight decay (<c>Decay</c>) and its optimizer group.
/// Tensors cross the interface as float32 arrays: images [n, C, H, W], logits [n, K], state by name.
/// </summary>
public interface ITrainModel : IDisposable
{
    /// <summary>"ours" or "torchsharp".</summary>
    string Engine { get; }
    /// <summary>Where it computes ("cpu", "cuda").</summary>
    string Device { get; }
    /// <summary>The host model (architecture and parameter metadata; for ours also the live weights).</summary>
    ResNet Host { get; }

    /// <summary>Training mode, except the stages named (stem, layer1.., fc) whose BatchNorm stays in eval mode.</summary>
    void Train(IReadOnlyCollection<string> frozenStages);
    void Eval();

    /// <summary>Forward, cross-entropy with label smoothing (mean over the batch) and backward: gradients
    /// accumulate into the parameters. Returns the loss and how many arg-max predictions equal the label.</summary>
    (double Loss, int Correct) ForwardBackward(Images x, ReadOnlySpan<int> labels, float labelSmoothing);

    /// <summary>Logits [n, K] in the current mode (no gradient work), as a new array.</summary>
    float[] Forward(Images x);

    /// <summary>Parameters and BatchNorm running statistics by torchvision name (copies).</summary>
    IReadOnlyList<NamedTensor> GetState();
    /// <summary>Sets every parameter and buffer by name (all must be present, shapes must agree).</summary>
    void SetState(IEnumerable<NamedTensor> state);

    /// <summary>The accumulated gradient of a parameter (a copy; zeros if it has none).</summary>
    float[] Gradient(string name);
    /// <summary>L2 norms of the gradients of the named parameters, in that order.</summary>
    double[] GradientNorms(IReadOnlyList<string> names);

    /// <summary>The optimizer over the host's trainable parameters: weight decay only where <c>Decay</c>,
    /// learning rate × <paramref name="groupScale"/>(group) per group (1 for the default group).</summary>
    ITrainOptimizer CreateOptimizer(string kind, double lr, double weightDecay, double momentum, bool nesterov, Func<string, double> groupScale);
}

/// <summary>A batch of images: the first N·C·H·W values of <see cref="Data"/> (which may be longer), NCHW.</summary>
public readonly record struct Images(float[] Data, int N, int C, int H, int W)
{
    public int Length => N * C * H * W;
}

/// <summary>What the schedule, the trainer and checkpoints see of an optimizer.</summary>
public interface ITrainOptimizer
{
    /// <summary>"sgd", "adam" or "adamw".</summary>
    string Kind { get; }
    /// <summary>Base learning rate (groups get it times their scale); schedules set it before each step.</summary>
    double LearningRate { get; set; }
    /// <summary>SGD momentum or Adam β1 (one-cycle cycles it).</summary>
    double Momentum { get; set; }
    long StepCount { get; }
    void ZeroGrad();
    void Step();
    /// <summary>State as ("param.name/buffer", values): momentum_buffer, exp_avg, exp_avg_sq, step.</summary>
    IEnumerable<(string Key, float[] Values)> StateBuffers();
    void LoadState(long stepCount, IEnumerable<(string Key, float[] Values)> buffers);
}

/// <summary>Picks the engine by name. Unknown engines or devices: ArgumentException with the values.</summary>
public static class TrainEngines
{
    public static readonly string[] Names = { "ours", "torchsharp" };
    public static readonly string[] Devices = { "cpu", "cuda" };
    /// <summary>The default: the faster engine on this CPU (<see cref="ResolveAuto"/>), fixed when a run starts.</summary>
    public const string Auto = "auto";

    /// <summary>What "auto" is on this machine, and the one line to print when it had to fall back (else null).</summary>
    public static (string Engine, string Note) Default => _default ??= ResolveAuto(Vector512.IsHardwareAccelerated, () => Torch.TorchRuntime.TryLoad(out var e) ? null : e);
    static (string, string)? _default;

    /// <summary>
    /// The engine a user on an idle machine should get (`rr bench-train --model resnet20 --batch 128 --size 32`, 2 threads,
    /// each run alone on the machine; docs/training.md has the table): where .NET runs 512-bit vectors (an AVX-512 Zen 5)
    /// our engine's wide kernels ran 607–803 images/s against TorchSharp's 238–398 (medians 2.0x); on an AVX2-only EPYC
    /// TorchSharp ran 293 against our 165. So: ours with 512-bit vectors, TorchSharp otherwise — and ours, with one line
    /// saying why, when TorchSharp cannot load.
    /// <paramref name="torchError"/> returns null when TorchSharp loads, else the reason (it is only asked when needed).
    /// </summary>
    internal static (string Engine, string Note) ResolveAuto(bool wideVectors, Func<string> torchError)
    {
        if (wideVectors) return ("ours", null);
        string why = torchError();
        return why == null ? ("torchsharp", null)
            : ("ours", $"the default engine on this CPU (no AVX-512) is TorchSharp, which is not available here ({why}); training with our engine");
    }

    /// <summary><paramref name="engine"/>, or what "auto" is here.</summary>
    public static string Resolve(string engine) => engine == Auto ? Default.Engine : engine;

    /// <summary>Throws ArgumentException naming a bad engine or device, or a device the engine lacks ("auto": the one it resolves to).</summary>
    public static void Validate(string engine, string device)
    {
        if (engine == Auto)
        {
            // auto chooses between the CPU engines (by speed); a GPU is asked for by naming the engine that has one.
            if (device != "cpu" && Devices.Contains(device))
                throw new ArgumentException($"--device {device}: our engine runs on the CPU only; use --engine torchsharp (--engine auto chooses between the CPU engines)");
            engine = Default.Engine;
        }
        if (!Names.Contains(engine)) throw new ArgumentException($"--engine must be {string.Join(" or ", Names)} (got '{engine}')");
        if (!Devices.Contains(device)) throw new ArgumentException($"--device must be {string.Join(" or ", Devices)} (got '{device}')");
        if (engine == "ours" && device != "cpu") throw new ArgumentException($"--device {device}: our engine runs on the CPU only; use --engine torchsharp --device {device}");
    }

    /// <summary>Fails early (before data loads) with one line when the engine or device cannot run here.</summary>
    public static void EnsureAvailable(string engine, string device)
    {
        Validate(engine, device);
        engine = Resolve(engine);
        if (engine == "torchsharp") CheckTorch(device);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void CheckTorch(string device)
    {
        Torch.TorchRuntime.EnsureLoaded();
        Torch.TorchFactory.CheckDevice(device);
    }

    public static ITrainModel Create(string engine, string device, ResNet host)
    {
        Validate(engine, device);
        engine = Resolve(engine);
        return engine == "ours" ? new OursModel(host) : CreateTorch(device, host);
    }

    // Kept apart so that the JIT loads TorchSharp's types only when this engine is asked for.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static ITrainModel CreateTorch(string device, ResNet host)
    {
        Torch.TorchRuntime.EnsureLoaded();
        return Torch.TorchFactory.Create(device, host);
    }
}
