using NUnit.Framework;
using ResNetRealtime.Cli;

namespace ResNetRealtime.Tests.Training.App;

public class TrainVerbTests
{
    [Test]
    public void ParsesEveryOptionAndKeepsTheCommandLineAsRecipe()
    {
        var raw = new[] { "--data", "fashion-mnist:/d", "--model", "resnet20", "--epochs", "3", "--out", "/tmp/x", "--batch", "64", "--lr", "0.05",
                          "--optimizer", "sgd", "--momentum", "0.8", "--nesterov", "--schedule", "cosine", "--warmup", "1", "--wd", "0.01",
                          "--label-smoothing", "0", "--seed", "7", "--size", "32", "--crop-pad", "3", "--no-flip", "--limit", "100",
                          "--engine", "ours", "--device", "cpu" };
        var o = TrainVerb.Parse(raw);
        Assert.That((o.Data, o.Model, o.Epochs, o.Out, o.Batch, o.Lr, o.Optimizer), Is.EqualTo(("fashion-mnist:/d", "resnet20", 3, "/tmp/x", 64, 0.05, "sgd")));
        Assert.That((o.Momentum, o.Nesterov, o.Schedule, o.Warmup, o.WeightDecay, o.LabelSmoothing, o.Seed), Is.EqualTo((0.8, true, "cosine", 1.0, 0.01, 0.0, 7)));
        Assert.That((o.Size, o.CropPad, o.Flip, o.Limit, o.Engine, o.Device), Is.EqualTo((32, 3, (bool?)false, 100, "ours", "cpu")));
        Assert.That(o.Recipe, Is.EqualTo("rr train " + string.Join(" ", raw)));
    }

    [Test]
    public void DefaultsAreTheTrainOptionsDefaults()
    {
        var o = TrainVerb.Parse(new[] { "--data", "fashion-mnist", "--model", "resnet20", "--out", "/tmp/x" });
        var d = new ResNetRealtime.Training.Trainer.TrainOptions();
        Assert.That((o.Epochs, o.Batch, o.Lr, o.Optimizer, o.Momentum, o.Nesterov, o.Schedule, o.Warmup), Is.EqualTo((d.Epochs, d.Batch, d.Lr, d.Optimizer, d.Momentum, d.Nesterov, d.Schedule, d.Warmup)));
        Assert.That((o.WeightDecay, o.LabelSmoothing, o.Size, o.CropPad, o.Flip, o.PretrainedLrScale, o.Engine, o.Device),
                    Is.EqualTo((d.WeightDecay, d.LabelSmoothing, d.Size, d.CropPad, d.Flip, d.PretrainedLrScale, d.Engine, d.Device)));
    }

    const string Base = "--data idx:/d --model resnet20 --out /tmp/x";

    [TestCase("--model resnet20 --epochs 1 --out /tmp/x", "--data is required")]
    [TestCase(Base + " --epochs 0", "--epochs must be in [1, 100000] (got 0)")]
    [TestCase(Base + " --optimizer rmsprop", "rmsprop")]
    [TestCase(Base + " --schedule exp", "exp")]
    [TestCase(Base + " --schedule cosine --epochs 2 --warmup 2", "--warmup must be in [0, 2)")]
    [TestCase(Base + " --lr fast", "--lr must be a number (got 'fast')")]
    [TestCase(Base + " --epoch 3", "unknown option --epoch; did you mean --epochs?")]
    [TestCase(Base + " --flip --no-flip", "contradict")]
    [TestCase("--resume /tmp/x --lr 0.1", "drop --lr")]
    [TestCase("--resume /tmp/x --engine ours", "drop --engine")]
    // Options the chosen optimiser, schedule or mode would silently ignore.
    [TestCase(Base + " --warmup 1", "--warmup does not apply with --schedule onecycle")]
    [TestCase(Base + " --schedule step --warmup 1", "--warmup does not apply with --schedule step")]
    [TestCase(Base + " --optimizer adam --nesterov", "--nesterov does not apply with --optimizer adam")]
    [TestCase(Base + " --optimizer adamw --schedule cosine --nesterov", "--nesterov does not apply with --optimizer adamw")]
    [TestCase(Base + " --momentum 0.8", "--momentum does not apply with --schedule onecycle")]
    [TestCase(Base + " --optimizer adam --momentum 0", "--momentum does not apply with --schedule onecycle")]
    [TestCase(Base + " --pretrained-lr-scale 0.5", "--pretrained-lr-scale does not apply without --init-from")]
    [TestCase(Base + " --engine jax", "--engine must be ours or torchsharp (got 'jax')")]
    [TestCase(Base + " --device tpu", "--device must be cpu or cuda (got 'tpu')")]
    [TestCase(Base + " --device cuda", "--device cuda: our engine runs on the CPU only; use --engine torchsharp")]
    [TestCase(Base + " --engine torchsharp --device tpu", "--device must be cpu or cuda (got 'tpu')")]
    [TestCase("--data idx:/d --model wide_resnet51 --out /tmp/x", "wide_resnet50_2")]
    public void BadCommandLinesAreUsageErrors(string line, string message)
    {
        Assert.That(() => TrainVerb.Run(line.Split(' ')), Throws.InstanceOf<UsageException>().With.Message.Contains(message));
    }

    [TestCase(" --momentum 0")]                                   // plain SGD: one-cycle has no momentum to cycle
    [TestCase(" --schedule cosine --warmup 1 --momentum 0.8")]
    [TestCase(" --schedule step --optimizer adam --momentum 0.8")] // Adam's beta1
    [TestCase(" --init-from m.onnx --pretrained-lr-scale 0.5")]
    public void OptionsThatApplyAreAccepted(string extra)
    {
        Assert.That(() => TrainVerb.Parse((Base + extra).Split(' ')), Throws.Nothing);
    }

    [Test]
    public void MissingDataIsOneLineAndExitCode1()
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        int code;
        var outDir = Path.Combine(Path.GetTempPath(), "rr-verb-" + Guid.NewGuid().ToString("N"));
        try { code = Program.Main(new[] { "train", "--data", "fashion-mnist:/nonexistent/fm", "--model", "resnet20", "--epochs", "1", "--out", outDir }); }
        finally { Console.SetError(saved); if (Directory.Exists(outDir)) Directory.Delete(outDir, true); }
        Assert.That(code, Is.EqualTo(1));
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), err.ToString());
        Assert.That(lines[0], Does.Contain("/nonexistent/fm"));
    }

    /// <summary>The first Ctrl-C (SIGINT) finishes the step, saves the checkpoint and exits 130, in the real process.</summary>
    [Test]
    public void InterruptSavesACheckpointAndExits130()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("SIGINT is sent with kill(1)");
        var root = Path.Combine(TestContext.CurrentContext.WorkDirectory, "train-interrupt");
        if (Directory.Exists(root)) Directory.Delete(root, true);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        DataTests.WriteIdxDir(data, gz: false);
        using var p = KillTests.StartUntilFirstEpoch(new[] { "train", "--data", "idx:" + data, "--model", "resnet20", "--size", "8",
                                                            "--batch", "4", "--epochs", "100000", "--threads", "1", "--out", Path.Combine(root, "run") });
        p.Interrupt();
        var (code, stdout, err) = p.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.That(code, Is.EqualTo(130), err + stdout);
        Assert.That(err, Does.Contain("stopping after this step"));
        Assert.That(File.Exists(Path.Combine(root, "run", "checkpoint.rrck")), Is.True);
    }
}
