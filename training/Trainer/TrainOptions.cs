using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// Everything that defines a training run (what `rr train` parses). Stored in the checkpoint as JSON so
/// that <c>--resume DIR</c> continues with exactly these settings.
/// </summary>
public sealed class TrainOptions
{
    /// <summary>KIND:PATH, see Data.DataSource.</summary>
    public string Data { get; set; }
    public string Model { get; set; } = "resnet20";
    /// <summary>Training engine: "ours" (SIMD, CPU), "torchsharp" (libtorch; the road to CUDA) or "auto" (the default: the
    /// faster of the two on this CPU, <see cref="TrainEngines.ResolveAuto"/>; a run records the engine it resolved to).</summary>
    public string Engine { get; set; } = TrainEngines.Auto;
    /// <summary>"cpu" or "cuda" (cuda: TorchSharp engine with a CUDA libtorch package installed).</summary>
    public string Device { get; set; } = "cpu";
    public int Epochs { get; set; } = 10;
    public string Out { get; set; }
    public int Batch { get; set; } = 128;
    /// <summary>Peak learning rate (one-cycle's max, cosine's after warm-up, step's initial).</summary>
    public double Lr { get; set; } = 0.1;
    public string Optimizer { get; set; } = "sgd";
    public double Momentum { get; set; } = 0.9;
    public bool Nesterov { get; set; }
    public string Schedule { get; set; } = "onecycle";
    /// <summary>Warm-up in epochs (cosine), may be fractional.</summary>
    public double Warmup { get; set; }
    public double WeightDecay { get; set; } = 5e-4;
    public double LabelSmoothing { get; set; } = 0.1;
    public int Seed { get; set; }
    /// <summary>Square training size; 0 = the data set's own (folders: 64).</summary>
    public int Size { get; set; }
    /// <summary>Random-crop padding in pixels; -1 = size/8 rounded down, at least 1 (2 for 28², 4 for 32²).</summary>
    public int CropPad { get; set; } = -1;
    /// <summary>Random horizontal flips (off by default for digits, where a mirror changes the class).</summary>
    public bool? Flip { get; set; }
    public string InitFrom { get; set; }
    /// <summary>Comma-separated stages to freeze: stem, layer1..layer4, fc.</summary>
    public string Freeze { get; set; }
    /// <summary>Learning-rate multiplier of parameters loaded by --init-from (and not frozen).</summary>
    public double PretrainedLrScale { get; set; } = 0.1;
    /// <summary>Cap on training images (test images: a fifth of it), for quick runs; 0 = all.</summary>
    public int Limit { get; set; }
    /// <summary>Only the first N training images of each class (the test split stays whole); 0 = all.</summary>
    public int PerClass { get; set; }
    /// <summary>Input channels to train with: 0 = the data's own; 3 on a grey set copies grey to RGB.</summary>
    public int Channels { get; set; }
    /// <summary>Wall-time budget in seconds (the whole run's elapsed time, evaluations included): the run stops at the
    /// end of the batch that crosses it, evaluates, and exports as if it had finished; 0 = none.</summary>
    public double TimeBudget { get; set; }
    /// <summary>Zero-initialise each block's last BatchNorm scale.</summary>
    public bool ZeroInitResidual { get; set; }
    /// <summary>The exact command line, written into the ONNX model as rr.recipe.</summary>
    public string Recipe { get; set; }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, Json)!.AsObject();
    public static TrainOptions FromJson(JsonObject o) => o.Deserialize<TrainOptions>(Json);

    /// <summary>Throws ArgumentException naming the first bad setting and its value.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Data)) throw new ArgumentException("--data KIND:PATH is required");
        if (string.IsNullOrEmpty(Out)) throw new ArgumentException("--out DIR is required");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be >= 1 (got {Epochs})");
        if (Batch < 1) throw new ArgumentException($"--batch must be >= 1 (got {Batch})");
        if (!(Lr > 0) || double.IsInfinity(Lr)) throw new ArgumentException($"--lr must be > 0 (got {Lr})");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentException($"--label-smoothing must be in [0, 1) (got {LabelSmoothing})");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"--wd must be >= 0 (got {WeightDecay})");
        if (!(Warmup >= 0) || Warmup >= Epochs) throw new ArgumentException($"--warmup must be in [0, {Epochs}) epochs (got {Warmup})");
        if (Optimizer is not ("sgd" or "adam" or "adamw")) throw new ArgumentException($"--optimizer must be sgd, adam or adamw (got '{Optimizer}')");
        if (Schedule is not ("step" or "cosine" or "onecycle" or "none")) throw new ArgumentException($"--schedule must be step, cosine, onecycle or none (got '{Schedule}')");
        TrainEngines.Validate(Engine, Device);
        Models.ResNetConfig.FromName(Model);   // unknown names: one line listing the known ones, before any data loads
        if (Size < 0) throw new ArgumentException($"--size must be > 0 (got {Size})");
        if (PerClass < 0) throw new ArgumentException($"--per-class must be >= 0 (got {PerClass})");
        if (Channels is not (0 or 1 or 3)) throw new ArgumentException($"--channels must be 1 or 3 (got {Channels})");
        if (!(TimeBudget >= 0) || double.IsInfinity(TimeBudget)) throw new ArgumentException($"--time-budget must be >= 0 seconds (got {TimeBudget})");
        if (Limit < 0) throw new ArgumentException($"--limit must be >= 0 (got {Limit})");
    }
}
