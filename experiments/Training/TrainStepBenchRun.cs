using NUnit.Framework;
using ResNetRealtime.Training.Bench;

namespace ResNetRealtime.Tests.Training;

/// <summary>Not a test: prints the training-step benchmark. Run with
/// dotnet test tests/ResNetRealtime.Tests.csproj -c Release --filter "FullyQualifiedName~TrainStepBenchRun" --logger "console;verbosity=detailed"
/// (environment RR_BENCH_MODEL / RR_BENCH_BATCH / RR_BENCH_STEPS / RR_BENCH_THREADS override the defaults).</summary>
[TestFixture, Explicit("benchmark, minutes on 2 cores")]
public class TrainStepBenchRun
{
    [Test]
    public void ResNet20Batch128()
    {
        string model = Environment.GetEnvironmentVariable("RR_BENCH_MODEL") ?? "resnet20";
        int batch = int.Parse(Environment.GetEnvironmentVariable("RR_BENCH_BATCH") ?? "128");
        int steps = int.Parse(Environment.GetEnvironmentVariable("RR_BENCH_STEPS") ?? "10");
        int threads = int.Parse(Environment.GetEnvironmentVariable("RR_BENCH_THREADS") ?? "0");
        var r = TrainStepBench.Run(model, batch, 32, steps: steps, warmup: 2, threads: threads);
        TestContext.Out.WriteLine(r.ToString());
        TestContext.Out.WriteLine("steps ms: " + string.Join(" ", r.StepMs.Select(v => v.ToString("F0"))));
        Assert.That(r.ImagesPerSecond, Is.GreaterThan(0));
    }
}
