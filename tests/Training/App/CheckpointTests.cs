using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Tests.Training.App;

public class CheckpointTests
{
    string _dir;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "rr-ckpt-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    static Checkpoint Sample(int epoch) => new()
    {
        EpochsDone = epoch, BatchInEpoch = 3, GlobalStep = 1234567890123, ElapsedS = 12.5, PartialLossSum = 1.25, PartialCorrect = 7,
        PartialSeen = 9, OptimizerKind = "sgd", OptimizerSteps = 99, OptimizerMomentum = 0.87,
        Mean = new[] { 0.1f, 0.2f }, Std = new[] { 0.3f, 0.4f }, Classes = new[] { "a", "b/c" },
        Options = new JsonObject { ["model"] = "resnet20", ["lr"] = 0.1 },
        Model = new() { new("conv1.weight", new[] { 2, 1, 3, 3 }, Enumerable.Range(0, 18).Select(i => i * 0.5f).ToArray()), new("bn1.running_var", new[] { 2 }, new[] { 1f, 2f }) },
        OptimizerState = new() { new("conv1.weight/momentum_buffer", new[] { 18 }, Enumerable.Range(0, 18).Select(i => -i * 1f).ToArray()) },
    };

    [Test]
    public void RoundTripsEveryField()
    {
        var path = Path.Combine(_dir, Checkpoint.FileName);
        Sample(4).Save(path);
        var c = Checkpoint.Load(path);
        var s = Sample(4);
        Assert.That((c.EpochsDone, c.BatchInEpoch, c.GlobalStep, c.ElapsedS, c.PartialLossSum, c.PartialCorrect, c.PartialSeen),
            Is.EqualTo((s.EpochsDone, s.BatchInEpoch, s.GlobalStep, s.ElapsedS, s.PartialLossSum, s.PartialCorrect, s.PartialSeen)));
        Assert.That((c.OptimizerKind, c.OptimizerSteps, c.OptimizerMomentum), Is.EqualTo(("sgd", 99L, 0.87)));
        Assert.That(c.Mean, Is.EqualTo(s.Mean)); Assert.That(c.Std, Is.EqualTo(s.Std)); Assert.That(c.Classes, Is.EqualTo(s.Classes));
        Assert.That((string)c.Options["model"], Is.EqualTo("resnet20"));
        Assert.That(c.Model.Select(t => t.Name), Is.EqualTo(s.Model.Select(t => t.Name)));
        Assert.That(c.Model[0].Shape, Is.EqualTo(new[] { 2, 1, 3, 3 }));
        Assert.That(c.Model[0].Data, Is.EqualTo(s.Model[0].Data));
        Assert.That(c.OptimizerState[0].Data, Is.EqualTo(s.OptimizerState[0].Data));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "temporary file left behind");
    }

    sealed class FullDiskStream : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > 100) throw new IOException("No space left on device");
            base.Write(buffer, offset, count);
        }
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > 100) throw new IOException("No space left on device");
            base.Write(buffer);
        }
    }

    [Test]
    public void AFailedWriteLeavesThePreviousCheckpointIntact()
    {
        var path = Path.Combine(_dir, Checkpoint.FileName);
        Sample(1).Save(path);
        var before = File.ReadAllBytes(path);
        string tmpSeen = null;
        Assert.That(() => Sample(2).Save(path, tmp => { tmpSeen = tmp; File.WriteAllText(tmp, "partial"); return new FullDiskStream(); }),
            Throws.InstanceOf<IOException>().With.Message.Contains("No space"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "the good checkpoint was damaged");
        Assert.That(Checkpoint.Load(path).EpochsDone, Is.EqualTo(1));
        Assert.That(File.Exists(tmpSeen), Is.False, "temporary file not cleaned up");
    }

    [Test]
    public void TruncatedOrForeignFilesAreRejected()
    {
        var path = Path.Combine(_dir, Checkpoint.FileName);
        Sample(1).Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        Assert.That(() => Checkpoint.Load(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated").Or.Message.Contains("trailer"));
        File.WriteAllText(path, "hello world, not a checkpoint");
        Assert.That(() => Checkpoint.Load(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("not an rr checkpoint"));
        Assert.That(() => Checkpoint.Load(Path.Combine(_dir, "missing")), Throws.InstanceOf<FileNotFoundException>());
    }

    [Test]
    public void MetricsFilesAndChartsAreWritten()
    {
        var epochs = new List<EpochMetrics> { new(1, 1.5, 0.4, 0.5, 10.25), new(2, 0.9, 0.7, 0.72, 20.5) };
        MetricsFiles.Write(_dir, epochs);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "metrics.json")));
        var e2 = doc.RootElement.GetProperty("epochs")[1];
        Assert.That(e2.GetProperty("epoch").GetInt32(), Is.EqualTo(2));
        Assert.That(e2.GetProperty("test_acc").GetDouble(), Is.EqualTo(0.72));
        Assert.That(e2.GetProperty("elapsed_s").GetDouble(), Is.EqualTo(20.5));
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "metrics.csv")), Is.EqualTo(new[]
            { "epoch,train_loss,train_acc,test_acc,elapsed_s", "1,1.5,0.4,0.5,10.25", "2,0.9,0.7,0.72,20.5" }));
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(_dir, "curves.svg"));   // well-formed XML
        Assert.That(svg.Descendants().Count(e => e.Name.LocalName == "polyline"), Is.EqualTo(3));
        Assert.That(MetricsFiles.Read(_dir), Is.EqualTo(epochs));
    }

    [Test]
    public void GradientFlowRecordsMeanNormsPerLayer()
    {
        var w = new Parameter("layer1.0.conv1.weight", new[] { 2 });
        var b = new Parameter("fc.bias", new[] { 1 });
        var frozen = new Parameter("conv1.weight", new[] { 1 }) { RequiresGrad = false };
        var gf = new GradientFlow(new[] { frozen, w, b });
        Assert.That(gf.Layers, Is.EqualTo(new[] { "layer1.0.conv1" }));
        w.Grad[0] = 3; w.Grad[1] = 4; gf.Accumulate();      // norm 5
        w.Grad[0] = 0; w.Grad[1] = 1; gf.Accumulate();      // norm 1
        Assert.That(gf.EndEpoch(1), Is.EqualTo(new[] { 3.0 }));
        gf.Write(_dir);
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "gradflow.csv"))[1], Is.EqualTo("1,layer1.0.conv1,3"));
        System.Xml.Linq.XDocument.Load(Path.Combine(_dir, "gradflow.svg"));
        var again = new GradientFlow(new[] { w });
        again.LoadCsv(_dir);
        Assert.That(again.History.Single().Norms, Is.EqualTo(new[] { 3.0 }));
    }
}
