using System.Globalization;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr train --data KIND:PATH --model NAME --epochs N --out DIR [options]` and `rr train --resume DIR`;
/// `rr bench --train ...` (BenchVerb delegates to <see cref="Bench"/>).
/// Exit codes: 0 done, 130 interrupted by Ctrl-C (checkpoint saved), 2 usage, 1 other errors.
/// </summary>
public static class TrainVerb
{
    public const string Usage =
        "rr train --data KIND:PATH --model NAME --epochs N --out DIR [--engine ours|torchsharp] [--device cpu|cuda] [--batch 128] [--lr 0.1] [--optimizer sgd|adam|adamw] " +
        "[--momentum 0.9] [--nesterov] [--schedule onecycle|cosine|step|none] [--warmup EPOCHS] [--wd 5e-4] [--label-smoothing 0.1] " +
        "[--seed 0] [--threads T] [--size S] [--crop-pad P] [--flip|--no-flip] [--init-from M.onnx] [--freeze stem,layer1,...] " +
        "[--pretrained-lr-scale 0.1] [--zero-init-residual] [--limit N]  |  rr train --resume DIR [--threads T]";

    public static int Run(string[] args)
    {
        var a = new Args(args);
        if (a.Flag("help")) { Console.WriteLine(Usage); return 0; }
        int threads = a.Int("threads", 0, 0, 1024);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C: finish the step, save, exit cleanly. A second one kills as usual.
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("rr train: stopping after this step (Ctrl-C again to abort without saving)…");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            Trainer.Result result;
            if (a.Has("resume"))
            {
                string dir = a.Required("resume");
                var extra = new[] { "data", "model", "engine", "device", "epochs", "out", "batch", "lr", "optimizer", "schedule", "seed", "size", "limit", "init-from", "freeze" }
                    .Where(k => a.Has(k)).ToList();
                if (extra.Count > 0) throw new UsageException($"--resume continues with the checkpoint's settings; drop --{string.Join(", --", extra)}");
                a.Finish();
                result = Trainer.Resume(dir, cts.Token, threads: threads);
            }
            else
            {
                var o = Parse(a, args);
                a.Finish();
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

    /// <summary>Options from the command line (everything but --resume/--threads).</summary>
    internal static TrainOptions Parse(Args a, string[] raw)
    {
        var o = new TrainOptions
        {
            Data = a.Required("data"),
            Model = a.Required("model"),
            Engine = a.String("engine", "ours").ToLowerInvariant(),
            Device = a.String("device", "cpu").ToLowerInvariant(),
            Epochs = a.Int("epochs", 10, 1, 100000),
            Out = a.Required("out"),
            Batch = a.Int("batch", 128, 1, 65536),
            Lr = a.Double("lr", 0.1),
            Optimizer = a.String("optimizer", "sgd").ToLowerInvariant(),
            Momentum = a.Double("momentum", 0.9),
            Nesterov = a.Flag("nesterov"),
            Schedule = a.String("schedule", "onecycle").ToLowerInvariant(),
            Warmup = a.Double("warmup", 0),
            WeightDecay = a.Double("wd", 5e-4),
            LabelSmoothing = a.Double("label-smoothing", 0.1),
            Seed = a.Int("seed", 0),
            Size = a.Int("size", 0, 1, 4096),
            CropPad = a.Int("crop-pad", -1, 0, 1024),
            InitFrom = a.String("init-from"),
            Freeze = a.String("freeze"),
            PretrainedLrScale = a.Double("pretrained-lr-scale", 0.1),
            ZeroInitResidual = a.Flag("zero-init-residual"),
            Limit = a.Int("limit", 0, 0, int.MaxValue),
            Recipe = "rr train " + string.Join(" ", raw.Select(Quote)),
        };
        bool flip = a.Flag("flip"), noFlip = a.Flag("no-flip");
        if (flip && noFlip) throw new UsageException("--flip and --no-flip contradict each other");
        o.Flip = flip ? true : noFlip ? false : null;
        if (o.Freeze != null && o.InitFrom == null) Console.Error.WriteLine("rr train: note: --freeze without --init-from freezes randomly initialised layers");
        o.Validate();
        return o;
    }

    static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>`rr bench --train --model resnet20 --batch 128 --size 32 [--engine ours,torchsharp] [--steps N] [--threads T] [--json F] [--no-torch]`.</summary>
    public static int Bench(string[] args)
    {
        var a = new Args(args);
        a.Flag("train");
        string model = a.String("model", "resnet20");
        var engines = a.String("engine", "ours").ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int batch = a.Int("batch", 128, 1, 65536);
        int size = a.Int("size", 32, 1, 4096);
        int steps = a.Int("steps", 10, 1, 100000);
        int warmup = a.Int("warmup", 2, 0, 1000);
        int threads = a.Int("threads", 0, 0, 1024);
        string json = a.String("json");
        bool noTorch = a.Flag("no-torch");
        a.Finish();
        try { return TrainBench.Compare(engines, model, batch, size, steps, warmup, threads, noTorch, json, Console.Out, Console.Error); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
