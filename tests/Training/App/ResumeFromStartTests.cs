using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>
/// `rr train` SIGKILLed during its first checkpoint write (the RR_TEST_KILL_AT hook, see KillPoint), then
/// `rr train --resume DIR`: there is no checkpoint yet, so the resume starts the run again from the settings it recorded
/// when it started (DIR/run.json), and ends with the uninterrupted run's metrics, weights and model.onnx. Real rr
/// subprocesses; every wait has a limit. ResNet-20 on 8×8 images, 32 images, 2 epochs of 2 steps, 1 thread (the resume
/// too: the engine splits its reductions per thread, so bit-exactness needs the same count).
/// </summary>
[NonParallelizable]
public class ResumeFromStartTests
{
    string _root;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "rr-resume-start-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, true);

    /// <summary>`dotnet rr.dll ARGS`, bounded: killed and failed after <paramref name="limitMs"/>; the streams are read
    /// asynchronously and each read is bounded too.</summary>
    static (int Code, string Out, string Err) Rr(string[] args, string killAt = null, int limitMs = 180_000)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rr.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("RR_TEST_KILL_AT");
        psi.Environment.Remove("RR_TEST_SAVE_DELAY_MS");
        if (killAt != null) psi.Environment["RR_TEST_KILL_AT"] = killAt;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limitMs))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
            Assert.Fail($"rr {string.Join(" ", args)} did not finish within {limitMs / 1000} s");
        }
        bool read = Task.WaitAll(new Task[] { o, e }, 10_000);
        Assert.That(read, Is.True, "rr's output streams did not close within 10 s of its exit");
        return (p.ExitCode, o.Result, e.Result);
    }

    static string MetricsWithoutTimes(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
        return string.Join("; ", doc.RootElement.GetProperty("epochs").EnumerateArray().Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.GetProperty("epoch").GetInt32()} {e.GetProperty("train_loss").GetDouble():R} {e.GetProperty("train_acc").GetDouble():R} {e.GetProperty("test_acc").GetDouble():R}")));
    }

    [Test]
    public void Killed_during_the_first_checkpoint_write_resumes_from_the_start_to_the_same_result()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("SIGKILL through kill(2)");
        string data = TrainerTests.IdxData(_root, train: 32, test: 8), run = Path.Combine(_root, "run"), refDir = Path.Combine(_root, "ref");
        string[] train = { "train", "--data", data, "--model", "resnet20", "--size", "8", "--batch", "16", "--limit", "32",
                           "--epochs", "2", "--lr", "0.05", "--seed", "7", "--threads", "1", "--engine", "ours", "--out", run };

        var reference = Rr(train);
        Assert.That(reference.Code, Is.Zero, reference.Err);
        Directory.Move(run, refDir);   // the killed run trains in the same --out, so model.onnx's recipe matches byte for byte
        string refMetrics = MetricsWithoutTimes(refDir);
        Assert.That(refMetrics.Split("; "), Has.Length.EqualTo(2));

        var killed = Rr(train, killAt: "write-checkpoint.rrck:1");
        Assert.That(killed.Code, Is.EqualTo(137), "SIGKILLed halfway through the first checkpoint's write: " + killed.Err);
        Assert.That(File.Exists(Path.Combine(run, Checkpoint.FileName)), Is.False, "killed before any checkpoint was committed");

        var resumed = Rr(new[] { "train", "--resume", run, "--threads", "1" });
        Assert.That(resumed.Code, Is.Zero, resumed.Err);
        Assert.That(resumed.Err, Does.Contain("starts again from its recorded settings"));
        Assert.That(MetricsWithoutTimes(run), Is.EqualTo(refMetrics));
        Assert.That(resumed.Out.Trim().Split(',')[0], Is.EqualTo(reference.Out.Trim().Split(',')[0]), "the same test accuracy line");
        var want = Checkpoint.Load(Path.Combine(refDir, Checkpoint.FileName)).Model;
        var got = Checkpoint.Load(Path.Combine(run, Checkpoint.FileName)).Model;
        Assert.That(got.Select(t => t.Name), Is.EqualTo(want.Select(t => t.Name)));
        for (int i = 0; i < want.Count; i++) Assert.That(got[i].Data, Is.EqualTo(want[i].Data), want[i].Name);
        Assert.That(File.ReadAllBytes(Path.Combine(run, "model.onnx")), Is.EqualTo(File.ReadAllBytes(Path.Combine(refDir, "model.onnx"))));
        Assert.That(Directory.GetFiles(run).Where(f => f.Contains(".tmp-")), Is.Empty, "the torn checkpoint's temporary file was removed");
    }

    [Test]
    public void Resume_of_a_folder_with_nothing_recorded_is_one_line()
    {
        var empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        var r = Rr(new[] { "train", "--resume", empty });
        Assert.That(r.Code, Is.Not.Zero);
        Assert.That(r.Err.Trim().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.Contain($"nothing to resume in {empty}: no {Checkpoint.FileName} and no run.json"));
    }
}
