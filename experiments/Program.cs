// The research harnesses: benchmarks, profilers and the teach-mode accuracy experiments behind choices the runtime
// made. None is a check (the tests are in tests/); each prints a table. docs/experiments.md has what each found.
//   dotnet run --project experiments -c Release -- --help
//   dotnet run --project experiments -c Release -- <name> [options]
using ResNetRealtime.Experiments.Costs;
using ResNetRealtime.Experiments.Int8;
using ResNetRealtime.Experiments.Teach;
using ResNetRealtime.Experiments.Training;

namespace ResNetRealtime.Experiments;

public static class Program
{
    sealed record Experiment(string Name, string Usage, string Summary, Action<ExperimentArgs> Run);

    static readonly Experiment[] All =
    [
        new("teach-accuracy", "[--quick] [--out FILE]",
            "teach heads (class means, softmax regression) x features x augmentation; seed-3 frames taught, seed-5 tested (~2 min)",
            TeachExperiment.Run),
        new("teach-seeds", "[--rows NAME] [--dir DIR] [row options; see --rows help]",
            "--auto-teach replayed offline over the live frames of 8 scene seeds: pooling, variants, heads (~15 min the first time)",
            TeachSeedsExperiment.Run),
        new("teach-seed-errors", "[--seed S] [--dir DIR]",
            "one seed's scored frames after teaching: index, label, call, p(call), p(label)",
            TeachSeedsExperiment.SeedErrors),
        new("int8-vs-fp32", "", "float32 against int8 ORT sessions, ResNet-18/34/50 at 224², interleaved frame by frame",
            Int8BenchRun.Float32VersusInt8),
        new("int8-whole-path", "", "rr bench's method on the int8 model: total/bare and bytes per frame, ResNet-18 and 50",
            Int8BenchRun.Int8WholePathAgainstABareInt8Session),
        new("int8-overhead", "", "where the int8 ResNet-18's whole path spends its time over a bare session",
            Int8BenchRun.WhereTheInt8WholePathSpendsItsTimeOverABareSession),
        new("int8-agreement", "--frames DIR [--arch resnet18,resnet50]",
            "int8 against float32 top-1 on a frames recording (with a test/ split) resized to 224²",
            Int8Agreement224.Run),
        new("gl-host-state-cost", "", "one GlHostState Save+Restore against one glGetInteger (headless GL)",
            GlHostStateCost.SaveRestoreMedian),
        new("finite-check-cost", "", "the finiteness check against preprocessing a 1280x720 frame (must stay under 2%)",
            FiniteCheckCost.CostAgainstPreprocessing),
        new("selfcheck-cost", "[--model PATH] [--backends gl,ort-dml,ort-cuda] [--rounds 5]",
            "what the GPU self-check adds to RealtimeClassifier.Create: unchecked, first check, cached check", SelfCheckCost.Run),
        new("train-step", "[--model resnet20] [--batch 128] [--steps 10] [--threads N]",
            "the training engine's step time and images/s", TrainStepBenchRun.Run),
        new("train-op-profile", "breakdown|phases|weight-grad|forward-in-place|conv-vs-gemm|conv-gflops [--threads N]",
            "the training engine's ops on ResNet-20's shapes (batch 128)", OpProfileRun.Run),
    ];

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine("usage: dotnet run --project experiments -c Release -- <name> [options]\n");
            foreach (var e in All)
                Console.WriteLine($"  {e.Name,-19} {e.Usage}\n  {"",-19} {e.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        var exp = All.FirstOrDefault(e => e.Name == args[0]);
        if (exp == null)
        {
            Console.Error.WriteLine($"error: no experiment '{args[0]}'; --help lists them ({string.Join(", ", All.Select(e => e.Name))})");
            return 2;
        }
        try
        {
            exp.Run(new ExperimentArgs(args.Skip(1)));
            return 0;
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {exp.Name}: {e.Message}\nusage: {exp.Name} {exp.Usage}");
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {exp.Name}: {e.Message}");
            return 1;
        }
    }
}
