using System.Diagnostics;
using ResNetRealtime.Cli.Bench;
using ResNetRealtime.Demo.App;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Experiments.Costs;

/// <summary>
/// What the GPU backends' self-check (<see cref="BackendSelfCheck"/>) adds to creating a <see cref="RealtimeClassifier"/>:
/// per round, the same model is created unchecked, checked with an empty cache (the probe on the backend, the ort-cpu
/// reference, the comparison) and checked again (the cached verdict), interleaved so a busy machine slows all three alike.
/// Medians of the rounds. Measurement, not a gate:
///   dotnet run --project experiments -c Release -- selfcheck-cost [--model PATH] [--backends gl] [--rounds 5]
/// </summary>
public static class SelfCheckCost
{
    public static void Run(ExperimentArgs args)
    {
        string model = args.Get("model", ModelProvider.DefaultModelPath());
        string backendList = args.Get("backends", "gl");
        int rounds = args.Int("rounds", 5);
        args.Done();
        Check.That(rounds >= 1, $"--rounds must be ≥ 1, got {rounds}");
        Console.WriteLine($"model {model}; {rounds} rounds; ISA {Isa()}; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"backend",-9} {"create unchecked",17} {"create, first check",20} {"create, cached",15} {"probe (first)",14}");
        foreach (var name in backendList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!InferenceNames.TryParse(name, out Backend backend) || backend is Backend.Auto or Backend.OrtCpu)
                throw new UsageException($"--backends takes gl, ort-dml, ort-cuda (ort-cpu is the reference and is never checked), got '{name}'");
            var off = new double[rounds]; var first = new double[rounds]; var cached = new double[rounds]; var probe = new double[rounds];
            try
            {
                for (int r = 0; r < rounds; r++)
                {
                    off[r] = TimeCreate(model, backend, selfCheck: false, out _);
                    BackendSelfCheck.ClearCache();
                    first[r] = TimeCreate(model, backend, selfCheck: true, out var f);
                    cached[r] = TimeCreate(model, backend, selfCheck: true, out var c);
                    Check.That(f is { Cached: false, Passed: true } && c is { Cached: true, Passed: true },
                               $"round {r}: expected a passing fresh check then a cached one, got {f} / {c}");
                    probe[r] = f.Milliseconds;
                }
            }
            catch (Exception e) when (e is not UsageException)
            {
                Console.WriteLine($"{name,-9} cannot run here: {e.Message.Split('\n')[0]}");
                continue;
            }
            Console.WriteLine($"{name,-9} {BenchRun.Median(off),14:F1} ms {BenchRun.Median(first),17:F1} ms {BenchRun.Median(cached),12:F1} ms {BenchRun.Median(probe),11:F1} ms");
        }
    }

    static double TimeCreate(string model, Backend backend, bool selfCheck, out SelfCheckResult result)
    {
        long t0 = Stopwatch.GetTimestamp();
        using var clf = RealtimeClassifier.Create(model, new RealtimeOptions { Backend = backend, SelfCheck = selfCheck, Threads = 1 });
        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        result = clf.SelfCheck;
        return ms;
    }

    static string Isa() =>
        System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "avx512f" : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "avx2" : "below avx2";
}
