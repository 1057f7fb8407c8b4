using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.IO;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>
/// Crash consistency of `rr train`, in real subprocesses of the built rr: the process is SIGKILLed at named
/// points (the RR_TEST_KILL_AT test hook, see KillPoint) — during a batch, during each file's write,
/// between the writes, at the very end — then resumed (or, killed before the first checkpoint, started
/// again), and must end with the uninterrupted run's metrics.json, bit-identical checkpoint weights and
/// model.onnx, and no temporary files. ResNet-20 on 8×8 images, 48 images, 3 epochs of 3 steps, 1 thread
/// (the resume too: the engine splits its reductions per thread, so bit-exactness needs the same count).
/// </summary>
[NonParallelizable]
public class KillTests
{
    string _root, _data, _run;

    [OneTimeSetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "rr-kill-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _data = TrainerTests.IdxData(_root);
        _run = Path.Combine(_root, "run");
    }

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_root, true);

    /// <summary>`dotnet rr.dll ARGS` with the test hooks' variables set only as given.</summary>
    static ChildProcess Rr(IEnumerable<string> args, (string, string)[] env) => ChildProcess.StartRr(args, psi =>
    {
        psi.Environment.Remove("RR_TEST_KILL_AT");
        psi.Environment.Remove("RR_TEST_SAVE_DELAY_MS");
        foreach (var (k, v) in env) psi.Environment[k] = v;
    });

    static (int Code, string Out, string Err) Run(IEnumerable<string> args, params (string, string)[] env)
    {
        using var p = Rr(args, env);
        return p.WaitForExit(TimeSpan.FromSeconds(120));
    }

    /// <summary>Starts `rr ARGS` and returns once its stderr shows a finished epoch 1 (so a checkpoint exists).</summary>
    internal static ChildProcess StartUntilFirstEpoch(IEnumerable<string> args, params (string, string)[] env)
    {
        var p = Rr(args, env);
        p.WaitForStderr(e => e.Contains("epoch 1/") && e.Contains("test acc"), TimeSpan.FromSeconds(120), "finished epoch 1");
        return p;
    }

    string[] TrainArgs => new[] { "train", "--data", _data, "--model", "resnet20", "--size", "8", "--batch", "16", "--limit", "48",
                                  "--epochs", "3", "--lr", "0.05", "--seed", "11", "--threads", "1", "--out", _run };

    static string MetricsWithoutTimes(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
        return string.Join("; ", doc.RootElement.GetProperty("epochs").EnumerateArray().Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.GetProperty("epoch").GetInt32()} {e.GetProperty("train_loss").GetDouble():R} {e.GetProperty("train_acc").GetDouble():R} {e.GetProperty("test_acc").GetDouble():R}")));
    }

    static string[] Temps(string dir) => Directory.GetFiles(dir).Where(f => f.Contains(".tmp-")).Select(Path.GetFileName).ToArray();

    /// <summary>Every kill point in one test, so the reference run is made once (the whole matrix: ~30 rr processes).</summary>
    [Test]
    public void AKilledRunResumesToTheUninterruptedResult()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("SIGKILL through kill(2)");
        var reference = Run(TrainArgs);
        Assert.That(reference.Code, Is.EqualTo(0), reference.Err);
        var refDir = Path.Combine(_root, "ref");
        Directory.Move(_run, refDir);   // every case trains in the same --out, so model.onnx's recipe matches byte for byte
        string refMetrics = MetricsWithoutTimes(refDir);
        Assert.That(refMetrics.Split("; "), Has.Length.EqualTo(3));
        var refWeights = Checkpoint.Load(Path.Combine(refDir, Checkpoint.FileName)).Model;
        var refModel = File.ReadAllBytes(Path.Combine(refDir, "model.onnx"));
        string refLine = reference.Out.Trim();

        // Point:N = the N-th pass through the point (3 steps per epoch; writes are counted per file, one per epoch).
        string[] points =
        {
            "batch:2", "batch:5", "write-checkpoint.rrck:2", "after-checkpoint:2", "write-metrics.json:2", "after-metrics:2",
            "write-curves.svg:2", "write-gradflow.csv:2", "after-gradflow:2", "write-checkpoint.rrck:3", "after-checkpoint:3",
            "before-export:1", "after-export:1",
        };
        var matrix = new List<string>();
        var failures = new List<string>();
        foreach (var point in points)
        {
            if (Directory.Exists(_run)) Directory.Delete(_run, true);
            var killed = Run(TrainArgs, ("RR_TEST_KILL_AT", point));
            if (killed.Code != 137) { failures.Add($"{point}: exit {killed.Code}, not SIGKILL: {killed.Err}"); continue; }
            bool hasCkpt = File.Exists(Path.Combine(_run, Checkpoint.FileName));
            var resumed = hasCkpt ? Run(new[] { "train", "--resume", _run, "--threads", "1" }) : Run(TrainArgs);   // no checkpoint yet: start again
            var problems = new List<string>();
            if (resumed.Code != 0) problems.Add($"exit {resumed.Code}: {resumed.Err}");
            else
            {
                string m = MetricsWithoutTimes(_run);
                if (m != refMetrics) problems.Add($"metrics.json [{m}] != [{refMetrics}]");
                if (resumed.Out.Trim().Split(',')[0] != refLine.Split(',')[0]) problems.Add($"prints '{resumed.Out.Trim()}', uninterrupted '{refLine}'");
                var w = Checkpoint.Load(Path.Combine(_run, Checkpoint.FileName)).Model;
                for (int i = 0; i < refWeights.Count; i++)
                    if (w[i].Name != refWeights[i].Name || !w[i].Data.AsSpan().SequenceEqual(refWeights[i].Data)) { problems.Add($"{refWeights[i].Name} differs"); break; }
                if (!File.ReadAllBytes(Path.Combine(_run, "model.onnx")).AsSpan().SequenceEqual(refModel)) problems.Add("model.onnx differs");
                var temps = Temps(_run);
                if (temps.Length > 0) problems.Add("temporary files left: " + string.Join(", ", temps));
            }
            string row = $"{point,-24} {(hasCkpt ? "--resume" : "rerun   ")} {(problems.Count == 0 ? "identical" : string.Join("; ", problems))}";
            matrix.Add(row);
            if (problems.Count > 0) failures.Add(row);
        }
        TestContext.Out.WriteLine("kill point               recovery  result\n" + string.Join("\n", matrix));
        Assert.That(failures, Is.Empty, string.Join("\n", matrix));
    }

    /// <summary>Two Ctrl-Cs 50 ms apart: the second lands during the save (held 1.5 s by RR_TEST_SAVE_DELAY_MS) and waits for it.</summary>
    [Test]
    public void ASecondCtrlCDuringTheSaveLetsTheSaveFinish()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("SIGINT is sent with kill(1)");
        var dir = Path.Combine(_root, "sigint2");
        using var p = StartUntilFirstEpoch(new[] { "train", "--data", _data, "--model", "resnet20", "--size", "8", "--batch", "4", "--epochs", "100000",
                                                  "--threads", "1", "--limit", "48", "--out", dir }, ("RR_TEST_SAVE_DELAY_MS", "1500"));
        p.Interrupt();
        Thread.Sleep(50);
        p.Interrupt();
        var (code, stdout, err) = p.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.That(code, Is.EqualTo(130), err + stdout);
        var c = Checkpoint.Load(Path.Combine(dir, Checkpoint.FileName));
        Assert.That(c.BatchInEpoch, Is.GreaterThan(0), "the interrupt's mid-epoch checkpoint was not completed: " + err);
        Assert.That(Temps(dir), Is.Empty);
    }

    [Test]
    public void StaleTempsOfDeadWritersAreRemovedAndLiveOnesKept()
    {
        var dir = Path.Combine(_root, "stale");
        Directory.CreateDirectory(dir);
        int dead;
        using (var p = Process.Start("true")) { Assert.That(p.WaitForExit(10_000), Is.True, "`true` did not exit within 10 s"); dead = p.Id; }
        using var live = Process.Start("sleep", "30");
        try
        {
            File.WriteAllText(Path.Combine(dir, $"checkpoint.rrck.tmp-{dead}"), "torn");
            File.WriteAllText(Path.Combine(dir, $"metrics.json.tmp-{live.Id}"), "in progress");
            File.WriteAllText(Path.Combine(dir, "notes.tmp-x"), "not ours");
            var removed = AtomicFile.RemoveStaleTemps(dir);
            Assert.That(removed, Is.EqualTo(new[] { $"checkpoint.rrck.tmp-{dead}" }));
            Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { $"metrics.json.tmp-{live.Id}", "notes.tmp-x" }));
        }
        finally { live.Kill(); }
    }
}
