using System.CommandLine;
using System.Globalization;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr train --data KIND:PATH --model NAME --epochs N --out DIR [options]` and `rr train --resume DIR`.
/// Options that the chosen optimiser, schedule or mode would ignore are refused with the reason.
/// Exit codes: 0 done, 130 interrupted by Ctrl-C (checkpoint saved; or, after a second Ctrl-C, the last
/// checkpoint kept), 2 usage, 1 other errors.
/// </summary>
public static class TrainVerb
{

    /// <summary>The options of `rr train`, one field each, so the action and <see cref="Parse"/> read the same symbols.</summary>
    sealed class Options
    {
        const string Needed = "none; required unless --resume";
        public readonly Option<string> Data = Cli.Str("--data", "KIND:PATH", "idx|mnist|fashion-mnist|cifar10|cifar100|folder|frames:PATH; " +
                                                      "plain fashion-mnist = Debian's /usr/share/datasets/fashion-mnist", absent: Needed);
        public readonly Option<string> Model = Cli.Str("--model", "NAME", string.Join(", ", ResNetConfig.KnownNames), absent: Needed);
        public readonly Option<string> Out = Cli.Str("--out", "DIR", "run folder: model.onnx, checkpoint, metrics, curves", absent: Needed);
        public readonly Option<int> Epochs = Cli.Int("--epochs", "N", "epochs", 10, 1, 100000);
        public readonly Option<int> Batch = Cli.Int("--batch", "N", "batch size", 128, 1, 65536);
        public readonly Option<double> Lr = Cli.Num("--lr", "X", "peak learning rate (one-cycle's max, cosine's after warm-up, step's initial)", 0.1);
        public readonly Option<string> Optimizer = Cli.Str("--optimizer", "sgd|adam|adamw", "optimiser", "sgd");
        public readonly Option<double> Momentum = Cli.Num("--momentum", "X", "SGD momentum, Adam's beta1 (one-cycle cycles it itself)", 0.9);
        public readonly Option<bool> Nesterov = Cli.Flag("--nesterov", "Nesterov momentum (SGD)");
        public readonly Option<string> Schedule = Cli.Str("--schedule", "onecycle|cosine|step|none", "learning-rate schedule", "onecycle");
        public readonly Option<double> Warmup = Cli.Num("--warmup", "EPOCHS", "linear warm-up before cosine annealing (--schedule cosine)", 0);
        public readonly Option<double> Wd = Cli.Num("--wd", "X", "weight decay (not on BatchNorm or biases)", 5e-4);
        public readonly Option<double> LabelSmoothing = Cli.Num("--label-smoothing", "X", "label smoothing", 0.1);
        public readonly Option<int> Seed = Cli.Int("--seed", "S", "seed of initialisation, shuffling and augmentation", 0);
        public readonly Option<int> Threads = Cli.Int("--threads", "T", "worker threads; 0 = all cores", 0, 0, 1024);
        public readonly Option<int> Size = Cli.Int("--size", "S", "square training size; 0 = the data set's own (folders: 64)", 0, 0, 4096);
        public readonly Option<int> CropPad = Cli.Int("--crop-pad", "P", "random-crop padding; -1 = size/8 (at least 1)", -1, -1, 1024);
        const string FlipDefault = "flips, except for mnist digits";
        public readonly Option<bool> Flip = Cli.Flag("--flip", "random horizontal flips", FlipDefault);
        public readonly Option<bool> NoFlip = Cli.Flag("--no-flip", "no random flips", FlipDefault);
        public readonly Option<string> InitFrom = Cli.Str("--init-from", "M.onnx", "start from a trained model's weights (new head for a new class count)", absent: "random initialisation");
        public readonly Option<string> Freeze = Cli.Str("--freeze", "stem,layer1,...", "stages to freeze: stem, layer1..layer4, fc", absent: "none");
        public readonly Option<double> PretrainedLrScale = Cli.Num("--pretrained-lr-scale", "X", "learning-rate multiplier of layers loaded by --init-from", 0.1);
        public readonly Option<bool> ZeroInitResidual = Cli.Flag("--zero-init-residual", "zero-initialise each block's last BatchNorm scale");
        public readonly Option<int> Limit = Cli.Int("--limit", "N", "use only N training images (N/5 test images); 0 = all", 0, 0, int.MaxValue);
        public readonly Option<int> PerClass = Cli.Int("--per-class", "N", "use only the first N training images of each class (the test split stays whole); 0 = all", 0, 0, int.MaxValue);
        public readonly Option<int> Channels = Cli.Int("--channels", "C", "input channels: 3 copies a grey data set to RGB (a pretrained backbone); 0 = the data's own", 0, 0, 3);
        public readonly Option<double> TimeBudget = Cli.Num("--time-budget", "SECONDS", "stop at the end of the batch that crosses this wall time (evaluations included), then evaluate and export; 0 = none", 0);
        public readonly Option<string> Engine = Cli.Str("--engine", "auto|ours|torchsharp", "training engine; auto: ours where the CPU has AVX-512 (its 512-bit kernels: " +
                                                        "~2x TorchSharp there), else TorchSharp (~1.8x ours on AVX2), or ours with one line when TorchSharp cannot load", TrainEngines.Auto);
        public readonly Option<string> Device = Cli.Str("--device", "cpu|cuda", "device (cuda: --engine torchsharp)", "cpu");
        public readonly Option<string> Resume = Cli.Str("--resume", "DIR", "continue the run in DIR exactly, with its recorded settings (stopped before its first checkpoint: it starts again)", absent: "a new run");

        public Option[] All => new Option[] { Data, Model, Out, Epochs, Batch, Lr, Optimizer, Momentum, Nesterov, Schedule, Warmup, Wd, LabelSmoothing, Seed,
                                             Threads, Size, CropPad, Flip, NoFlip, InitFrom, Freeze, PretrainedLrScale, ZeroInitResidual, Limit, PerClass, Channels, TimeBudget, Engine, Device, Resume };
    }

    static (Command, Options) Build()
    {
        var o = new Options();
        var cmd = new Command("train", "Train a ResNet on a data set and write ONNX (or continue one with --resume DIR). " +
                                       "Training speed: rr bench-train.");
        foreach (var opt in o.All) cmd.Add(opt);
        return (cmd, o);
    }

    public static Command Create()
    {
        var (cmd, o) = Build();
        cmd.SetAction(pr => Execute(pr, o));
        return cmd;
    }

    /// <summary>`rr train ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    /// <summary>What `rr train ARGS` (not --resume) would train with, checked as the verb checks it; nothing runs.</summary>
    internal static TrainOptions Parse(string[] args)
    {
        var (cmd, o) = Build();
        return ToOptions(Cli.ParseOnly(cmd, args), o);
    }

    static int Execute(ParseResult pr, Options opts)
    {
        int threads = pr.GetValue(opts.Threads);
        TrainOptions o = null;
        string resume = pr.GetValue(opts.Resume);
        if (resume != null)
        {
            var extra = opts.All.Where(x => x != opts.Resume && x != opts.Threads && pr.Given(x)).Select(x => x.Name).ToList();
            if (extra.Count > 0) throw new UsageException($"--resume continues with the checkpoint's settings; drop {string.Join(", ", extra)}");
        }
        else
        {
            o = ToOptions(pr, opts);
        }

        using var cts = new CancellationTokenSource();
        // First Ctrl-C: finish the step, save, exit 130. A second Ctrl-C aborts what is left of the training
        // (the step in progress) but never a save: it waits for Trainer.SaveGate, so a save in progress
        // completes and the exit comes after it, with the last committed checkpoint intact. Cancelling the
        // event each time keeps the runtime's default (instant termination) out of it; System.CommandLine's
        // own handler is off (Cli.Invoke: ProcessTerminationTimeout = null).
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            if (!cts.IsCancellationRequested)
            {
                Console.Error.WriteLine();
                Console.Error.WriteLine("rr train: stopping after this step (Ctrl-C again to abort the step; a save in progress always completes)…");
                cts.Cancel();
                return;
            }
            Console.Error.WriteLine("rr train: aborting (after the save in progress, if any); the last checkpoint stands");
            lock (Trainer.SaveGate) Environment.Exit(130);
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            Trainer.Result result;
            if (resume != null) result = Trainer.Resume(resume, cts.Token, threads: threads);
            else
            {
                if (threads > 0) Workers.Threads = threads;
                result = Trainer.Train(o, cts.Token);
            }
            if (result.Interrupted) return 130;
            var last = result.Epochs.Count > 0 ? result.Epochs[^1] : null;
            if (last != null)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"test accuracy {last.TestAcc * 100:F2}% after {last.Epoch} epochs, {last.ElapsedS:F0} s; model: {result.ModelPath}"));
            return 0;
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>The run's settings; refuses what is missing, contradictory, or ignored by the chosen optimiser/schedule/mode.</summary>
    static TrainOptions ToOptions(ParseResult pr, Options x)
    {
        foreach (var required in new[] { x.Data, x.Model, x.Out })
            if (!pr.Given(required)) throw new UsageException($"{required.Name} is required (or --resume DIR)");
        var o = new TrainOptions
        {
            Data = pr.GetValue(x.Data),
            Model = pr.GetValue(x.Model),
            Epochs = pr.GetValue(x.Epochs),
            Out = pr.GetValue(x.Out),
            Batch = pr.GetValue(x.Batch),
            Lr = pr.GetValue(x.Lr),
            Optimizer = pr.GetValue(x.Optimizer).ToLowerInvariant(),
            Momentum = pr.GetValue(x.Momentum),
            Nesterov = pr.GetValue(x.Nesterov),
            Schedule = pr.GetValue(x.Schedule).ToLowerInvariant(),
            Warmup = pr.GetValue(x.Warmup),
            WeightDecay = pr.GetValue(x.Wd),
            LabelSmoothing = pr.GetValue(x.LabelSmoothing),
            Seed = pr.GetValue(x.Seed),
            Size = pr.GetValue(x.Size),
            CropPad = pr.GetValue(x.CropPad),
            InitFrom = ResNetRealtime.Tools.Pretrained.ModelSource.Resolve(pr.GetValue(x.InitFrom)),
            Freeze = pr.GetValue(x.Freeze),
            PretrainedLrScale = pr.GetValue(x.PretrainedLrScale),
            ZeroInitResidual = pr.GetValue(x.ZeroInitResidual),
            Limit = pr.GetValue(x.Limit),
            PerClass = pr.GetValue(x.PerClass),
            Channels = pr.GetValue(x.Channels),
            TimeBudget = pr.GetValue(x.TimeBudget),
            Engine = pr.GetValue(x.Engine).ToLowerInvariant(),
            Device = pr.GetValue(x.Device).ToLowerInvariant(),
            Recipe = Cli.CommandLine(pr),
        };
        bool flip = pr.GetValue(x.Flip), noFlip = pr.GetValue(x.NoFlip);
        if (flip && noFlip) throw new UsageException("--flip and --no-flip contradict each other");
        o.Flip = flip ? true : noFlip ? false : null;

        // Engine/device names are checked by o.Validate() below (TrainEngines.Validate owns them).
        if (o.Optimizer is "adam" or "adamw") pr.NotApplicable($"with --optimizer {o.Optimizer} (Nesterov momentum is SGD's)", x.Nesterov);
        if (o.Schedule != "cosine") pr.NotApplicable($"with --schedule {o.Schedule} (it is the cosine schedule's linear warm-up)", x.Warmup);
        if (o.Schedule == "onecycle" && !(o.Optimizer == "sgd" && o.Momentum == 0))
            pr.NotApplicable("with --schedule onecycle (it cycles momentum 0.95 → 0.85 → 0.95 itself; only --momentum 0, plain SGD, turns that off)", x.Momentum);
        if (o.InitFrom == null) pr.NotApplicable("without --init-from (it scales the learning rate of the loaded layers)", x.PretrainedLrScale);
        if (o.Freeze != null && o.InitFrom == null) Console.Error.WriteLine("rr train: note: --freeze without --init-from freezes randomly initialised layers");
        try { o.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return o;
    }
}
