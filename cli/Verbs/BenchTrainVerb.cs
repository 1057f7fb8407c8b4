using System.CommandLine;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr bench-train [--model resnet20] [--batch 128] [--size 32] [--engine ours,torchsharp] [--steps N] [--warmup W]
/// [--threads T] [--json F] [--no-torch]` (also spelt `rr bench --train …`): training steps per second of each
/// engine on random data, and PyTorch's in the same run when /usr/bin/python3 has torch.
/// </summary>
public static class BenchTrainVerb
{
    public static Command Create()
    {
        var modelOpt = Cli.Str("--model", "NAME", "architecture, as rr train --model", "resnet20");
        var batchOpt = Cli.Int("--batch", "N", "batch size", 128, 1, 65536);
        var sizeOpt = Cli.Int("--size", "S", "square input size", 32, 1, 4096);
        var enginesOpt = Cli.List("--engine", "ours,torchsharp", "training engines to time, in this order", "ours");
        var stepsOpt = Cli.Int("--steps", "N", "timed training steps", 10, 1, 100000);
        var warmupOpt = Cli.Int("--warmup", "W", "untimed steps first", 2, 0, 1000);
        var threadsOpt = Cli.Int("--threads", "T", "worker threads; 0 = all cores", 0, 0, 1024);
        var jsonOpt = Cli.Str("--json", "F", "write the figures as JSON", absent: "not written");
        var noTorchOpt = Cli.Flag("--no-torch", "skip the PyTorch comparison");
        var trainFlag = Cli.Flag("--train", "the old spelling's flag (rr bench --train)");
        trainFlag.Hidden = true;
        var cmd = new Command("bench-train", "Training speed (images/s) of each engine, beside PyTorch when python3-torch is installed " +
                                             "(also spelt rr bench --train).")
            { modelOpt, batchOpt, sizeOpt, enginesOpt, stepsOpt, warmupOpt, threadsOpt, jsonOpt, noTorchOpt, trainFlag };
        cmd.SetAction(pr => Execute(pr.GetValue(modelOpt), pr.GetValue(batchOpt), pr.GetValue(sizeOpt), pr.Items(enginesOpt), pr.GetValue(stepsOpt),
                                    pr.GetValue(warmupOpt), pr.GetValue(threadsOpt), pr.GetValue(jsonOpt), pr.GetValue(noTorchOpt)));
        return cmd;
    }

    /// <summary>`rr bench-train ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(string model, int batch, int size, string[] engines, int steps, int warmup, int threads, string json, bool noTorch)
    {
        engines = engines.Select(e => e.ToLowerInvariant()).ToArray();
        if (engines.Length == 0) throw new UsageException("--engine needs at least one engine");
        foreach (var e in engines.Where(e => !TrainEngines.Names.Contains(e)))
            throw new UsageException($"--engine must be {string.Join(" or ", TrainEngines.Names)} (got '{e}')");
        if (engines.Distinct().Count() != engines.Length) throw new UsageException($"--engine names an engine twice ('{string.Join(",", engines)}')");

        try { return TrainBench.Compare(engines, model, batch, size, steps, warmup, threads, noTorch, json, Console.Out, Console.Error); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
