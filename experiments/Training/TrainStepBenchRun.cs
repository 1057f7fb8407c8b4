using ResNetRealtime.Training.Bench;

namespace ResNetRealtime.Experiments.Training;

/// <summary>The training-step benchmark (TrainStepBench) from the command line: step times and images per second.
///   dotnet run --project experiments -c Release -- train-step [--model resnet20] [--batch 128] [--steps 10] [--threads N]
/// (threads 0: the engine's default).</summary>
public static class TrainStepBenchRun
{
    public static void Run(ExperimentArgs a)
    {
        string model = a.Get("model", "resnet20");
        int batch = a.Int("batch", 128), steps = a.Int("steps", 10), threads = a.Int("threads", 0);
        a.Done();
        var r = TrainStepBench.Run(model, batch, 32, steps: steps, warmup: 2, threads: threads);
        Console.WriteLine(r.ToString());
        Console.WriteLine("steps ms: " + string.Join(" ", r.StepMs.Select(v => v.ToString("F0"))));
        Check.That(r.ImagesPerSecond > 0, $"the benchmark measured {r.ImagesPerSecond} images/s");
    }
}
