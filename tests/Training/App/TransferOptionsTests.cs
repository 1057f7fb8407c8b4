using NUnit.Framework;
using ResNetRealtime.Cli;
using ResNetRealtime.Training.Data;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>
/// What the transfer-learning table needs from `rr train`: --per-class N, --channels 3 (grey copied to RGB,
/// for an ImageNet backbone on Fashion-MNIST) and --time-budget SECONDS, on the tiny synthetic sets of
/// <see cref="TrainerTests"/>.
/// </summary>
public class TransferOptionsTests
{
    string _root;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "rr-transfer-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, true);

    /// <summary>A ResNet-20 run on the 8x8 grey set; Adam at a constant rate, so a budget stop cuts no schedule short.</summary>
    TrainOptions Tiny(int epochs, double budget = 0, int channels = 0) => new()
    {
        Data = TrainerTests.IdxData(_root), Model = "resnet20", Epochs = epochs, Out = Path.Combine(_root, "run"), Batch = 16,
        Lr = 0.01, Optimizer = "adam", Schedule = "none", Seed = 1, TimeBudget = budget, Channels = channels, Recipe = "test",
    };

    [Test]
    public void PerClassTakesTheFirstNOfEachClassAndLeavesTheTestSplitWhole()
    {
        string spec = TrainerTests.IdxData(_root);   // 80 train / 20 test, label = index % 3
        using var d = DataSource.Load(spec, perClass: 5);
        Assert.That(d.Train.Count, Is.EqualTo(15));
        Assert.That(Enumerable.Range(0, 15).GroupBy(d.Train.Label).Select(g => g.Count()), Is.All.EqualTo(5));
        Assert.That(d.Test.Count, Is.EqualTo(20));
        // the first five of each class, in data-set order: images 0..14 of a set labelled i % 3
        using var all = DataSource.Load(spec);
        var a = new byte[64]; var b = new byte[64];
        for (int i = 0; i < 15; i++)
        {
            d.Train.CopyImage(i, a); all.Train.CopyImage(i, b);
            Assert.That(a, Is.EqualTo(b), $"image {i}");
        }
    }

    [Test]
    public void PerClassBeyondAClassSizeIsOneLineWithTheCounts()
    {
        var e = Assert.Throws<InvalidDataException>(() => DataSource.Load(TrainerTests.IdxData(_root), perClass: 27));
        // 80 images labelled i % 3: 27, 27, 26
        Assert.That(e.Message, Does.Contain("--per-class 27").And.Contain("2 26").And.Not.Contain("0 27"));
    }

    [Test]
    public void ChannelsThreeCopiesGreyToEachPlaneAfterTheResize()
    {
        string spec = TrainerTests.IdxData(_root);
        using var grey = DataSource.Load(spec, size: 12);
        using var rgb = DataSource.Load(spec, size: 12, channels: 3);
        Assert.That((rgb.Channels, rgb.Height, rgb.Train.Count, rgb.Test.Count), Is.EqualTo((3, 12, 80, 20)));
        var g = new byte[144]; var c = new byte[3 * 144];
        grey.Test.CopyImage(4, g); rgb.Test.CopyImage(4, c);
        for (int p = 0; p < 3; p++) Assert.That(c.AsSpan(p * 144, 144).ToArray(), Is.EqualTo(g), $"plane {p}");
        Assert.That(rgb.Mean, Has.Length.EqualTo(3));
    }

    [Test]
    public void ChannelsOtherThanGreyToRgbAreRefusedWithTheCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => DataSource.Load(TrainerTests.FramesData(_root), channels: 1));
        Assert.That(e.Message, Does.Contain("has 3 channel(s)").And.Contain("not to 1"));
    }

    [Test]
    public void TimeBudgetStopsEarlyThenEvaluatesExportsAndResumeOnlyFinishes()
    {
        var o = Tiny(epochs: 100000, budget: 1.0);
        var r = Trainer.Train(o, log: TextWriter.Null);
        Assert.That(r.Interrupted, Is.False);
        Assert.That(File.Exists(r.ModelPath), Is.True, "exported although the epochs were not all run");
        Assert.That(r.Epochs.Count, Is.GreaterThan(0).And.LessThan(100000));
        // stopped at the end of the batch that crossed the budget: past it, by about one batch of 16 8x8 images
        Assert.That(r.Epochs[^1].ElapsedS, Is.GreaterThanOrEqualTo(1.0).And.LessThan(30));
        Assert.That(r.Epochs[^1].TestAcc, Is.InRange(0.0, 1.0));
        var again = Trainer.Resume(o.Out, log: TextWriter.Null);
        Assert.That(again.Epochs.Select(e => e.Epoch), Is.EqualTo(r.Epochs.Select(e => e.Epoch)), "a budget stop is the run's end: resume trains nothing more");
    }

    [Test]
    public void WithoutABudgetEveryEpochRuns()
    {
        Assert.That(Trainer.Train(Tiny(epochs: 2), log: TextWriter.Null).Epochs.Count, Is.EqualTo(2));
    }

    [Test]
    public void TrainVerbParsesTheTableOptions()
    {
        var o = TrainVerb.Parse(new[] { "--data", "fashion-mnist", "--model", "resnet18", "--out", "/tmp/x", "--per-class", "10", "--channels", "3", "--time-budget", "90.5" });
        Assert.That((o.PerClass, o.Channels, o.TimeBudget), Is.EqualTo((10, 3, 90.5)));
        var d = TrainVerb.Parse(new[] { "--data", "fashion-mnist", "--model", "resnet18", "--out", "/tmp/x" });
        Assert.That((d.PerClass, d.Channels, d.TimeBudget), Is.EqualTo((0, 0, 0.0)));
    }

    [TestCase("--channels 2", "--channels must be 1 or 3 (got 2)")]
    [TestCase("--time-budget -5", "--time-budget must be >= 0 seconds (got -5)")]
    [TestCase("--per-class -1", "--per-class")]
    public void TrainVerbRefusesBadTableOptions(string extra, string message)
    {
        var args = ("--data idx:/d --model resnet20 --out /tmp/x " + extra).Split(' ');
        var e = Assert.Throws<UsageException>(() => TrainVerb.Parse(args));
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void EvalScoresAGreySetOnAThreeChannelModel()
    {
        var o = Tiny(epochs: 1, channels: 3);
        var r = Trainer.Train(o, log: TextWriter.Null);
        string spec = o.Data;
        string json = Path.Combine(_root, "eval.json");
        Assert.That(EvalVerb.Run(new[] { "--model", r.ModelPath, "--data", spec, "--json", json }), Is.EqualTo(0));
        Assert.That(File.ReadAllText(json), Does.Contain("\"images\": 20"));
    }
}
