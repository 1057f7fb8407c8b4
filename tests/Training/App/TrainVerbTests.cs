using NUnit.Framework;
using ResNetRealtime.Cli;

namespace ResNetRealtime.Tests.Training.App;

public class TrainVerbTests
{
    [Test]
    public void ParsesEveryOptionAndKeepsTheCommandLineAsRecipe()
    {
        var raw = new[] { "--data", "fashion-mnist:/d", "--model", "resnet20", "--epochs", "3", "--out", "/tmp/x", "--batch", "64", "--lr", "0.05",
                          "--optimizer", "adamw", "--momentum", "0.8", "--nesterov", "--schedule", "cosine", "--warmup", "1", "--wd", "0.01",
                          "--label-smoothing", "0", "--seed", "7", "--size", "32", "--crop-pad", "3", "--no-flip", "--limit", "100" };
        var a = new Args(raw);
        var o = TrainVerb.Parse(a, raw);
        a.Finish();
        Assert.That((o.Data, o.Model, o.Epochs, o.Out, o.Batch, o.Lr, o.Optimizer), Is.EqualTo(("fashion-mnist:/d", "resnet20", 3, "/tmp/x", 64, 0.05, "adamw")));
        Assert.That((o.Momentum, o.Nesterov, o.Schedule, o.Warmup, o.WeightDecay, o.LabelSmoothing, o.Seed), Is.EqualTo((0.8, true, "cosine", 1.0, 0.01, 0.0, 7)));
        Assert.That((o.Size, o.CropPad, o.Flip, o.Limit), Is.EqualTo((32, 3, (bool?)false, 100)));
        Assert.That(o.Recipe, Is.EqualTo("rr train " + string.Join(" ", raw)));
    }

    [TestCase("--model resnet20 --epochs 1 --out /tmp/x", "--data is required")]
    [TestCase("--data idx:/d --model resnet20 --epochs 0 --out /tmp/x", "--epochs must be in")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --optimizer rmsprop", "rmsprop")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --schedule exp", "exp")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --epochs 2 --warmup 2", "--warmup")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --lr fast", "--lr must be a number")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --epoch 3", "unknown option: --epoch")]
    [TestCase("--resume /tmp/x --lr 0.1", "drop --lr")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --engine tensorflow", "--engine must be ours or torchsharp (got 'tensorflow')")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --engine torchsharp --device tpu", "--device must be cpu or cuda (got 'tpu')")]
    [TestCase("--data idx:/d --model resnet20 --out /tmp/x --device cuda", "our engine runs on the CPU only")]
    [TestCase("--data idx:/d --model wide_resnet51 --out /tmp/x", "wide_resnet50_2")]
    [TestCase("--resume /tmp/x --engine torchsharp", "drop --engine")]
    public void BadCommandLinesAreUsageErrors(string line, string message)
    {
        Assert.That(() => TrainVerb.Run(line.Split(' ')), Throws.InstanceOf<UsageException>().With.Message.Contains(message));
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
}
