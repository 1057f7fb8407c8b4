using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Training.Data;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Export;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Trainer;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>
/// The trainer end to end on tiny synthetic data (ResNet-20 on 8×8 images: each run is a second or two):
/// exact resume, Ctrl-C, a failing checkpoint write, ONNX export checked by ONNX Runtime, init-from and freeze.
/// </summary>
public class TrainerTests
{
    string _root;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "rr-trainer-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, true);

    /// <summary>3 classes of 8×8 grayscale images: a bright 3×3 square in a class-specific corner, plus noise.</summary>
    internal static string IdxData(string root, int train = 80, int test = 20)
    {
        var dir = Path.Combine(root, "idx");
        Directory.CreateDirectory(dir);
        var rng = new Random(3);
        (byte[] px, byte[] labels) Make(int n)
        {
            var px = new byte[n * 64];
            var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                int c = i % 3;
                labels[i] = (byte)c;
                for (int k = 0; k < 64; k++) px[i * 64 + k] = (byte)rng.Next(0, 60);
                int oy = c == 1 ? 5 : 0, ox = c == 2 ? 5 : 0;
                for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) px[i * 64 + (oy + y) * 8 + ox + x] = 250;
            }
            return (px, labels);
        }
        var (tp, tl) = Make(train);
        var (sp, sl) = Make(test);
        DataTests.WriteIdx(Path.Combine(dir, "train-images-idx3-ubyte"), new[] { train, 8, 8 }, tp, false);
        DataTests.WriteIdx(Path.Combine(dir, "train-labels-idx1-ubyte"), new[] { train }, tl, false);
        DataTests.WriteIdx(Path.Combine(dir, "t10k-images-idx3-ubyte"), new[] { test, 8, 8 }, sp, false);
        DataTests.WriteIdx(Path.Combine(dir, "t10k-labels-idx1-ubyte"), new[] { test }, sl, false);
        return "idx:" + dir;
    }

    /// <summary>A 60-frame rr-frames-v1 recording of 8×8 RGB frames: class = dominant colour.</summary>
    internal static string FramesData(string root)
    {
        var dir = Path.Combine(root, "frames");
        var rng = new Random(4);
        var frames = Enumerable.Range(0, 60).Select(i =>
        {
            int c = i % 3;
            var rgb = new byte[8 * 8 * 3];
            for (int k = 0; k < rgb.Length; k++) rgb[k] = (byte)(k % 3 == c ? rng.Next(150, 256) : rng.Next(0, 100));
            return ((byte)c, rgb);
        }).ToList();
        FramesDataset.Write(dir, 8, 8, new[] { "red", "green", "blue" }, frames);
        return "frames:" + dir;
    }

    TrainOptions Options(string data, string outName, int epochs = 2) => new()
    {
        Data = data, Model = "resnet20", Epochs = epochs, Out = Path.Combine(_root, outName), Batch = 16, Lr = 0.05,
        Nesterov = true, Schedule = "onecycle", Seed = 11, Recipe = "test recipe",
    };

    static Trainer.Result RunQuiet(TrainOptions o, int stopAfter = -1, CancellationToken cancel = default, Func<string, Stream> ckptStream = null)
    {
        var t = new Trainer(o, TextWriter.Null, new ProgressBar(TextWriter.Null, false)) { StopAfterSteps = stopAfter, CheckpointStreamFactory = ckptStream };
        return t.Run(null, cancel);
    }

    static Dictionary<string, float[]> Weights(string dir) =>
        Checkpoint.Load(Path.Combine(dir, Checkpoint.FileName)).Model.ToDictionary(t => t.Name, t => t.Data);

    [Test]
    public void ResumeGivesTheSameRunAsNoInterruption()
    {
        string data = IdxData(_root);   // 80 images / batch 16 = 5 steps per epoch
        var full = RunQuiet(Options(data, "full"));
        Assert.That(full.Interrupted, Is.False);
        Assert.That(full.Epochs, Has.Count.EqualTo(2));

        // Stopped at the end of epoch 1, and in the middle of epoch 2 (step 7 = batch 2 of 5).
        foreach (var (name, stop) in new[] { ("after-epoch", 5), ("mid-epoch", 7) })
        {
            var part = RunQuiet(Options(data, name), stopAfter: stop);
            Assert.That(part.Interrupted, Is.True, name);
            var resumed = Trainer.Resume(Path.Combine(_root, name), log: TextWriter.Null);
            Assert.That(resumed.Interrupted, Is.False);
            for (int e = 0; e < 2; e++)
            {
                Assert.That(resumed.Epochs[e].TrainLoss, Is.EqualTo(full.Epochs[e].TrainLoss), $"{name}: train loss of epoch {e + 1}");
                Assert.That(resumed.Epochs[e].TrainAcc, Is.EqualTo(full.Epochs[e].TrainAcc), $"{name}: train acc of epoch {e + 1}");
                Assert.That(resumed.Epochs[e].TestAcc, Is.EqualTo(full.Epochs[e].TestAcc), $"{name}: test acc of epoch {e + 1}");
            }
            var a = Weights(Path.Combine(_root, "full"));
            var b = Weights(Path.Combine(_root, name));
            foreach (var (k, v) in a) Assert.That(b[k], Is.EqualTo(v), $"{name}: {k} differs after resume");
            Assert.That(MetricsFiles.Read(Path.Combine(_root, name)).Select(m => m.Epoch), Is.EqualTo(new[] { 1, 2 }));
        }
        // The run learned something (3 easy classes): guards against a loop that never updates.
        Assert.That(full.Epochs[^1].TrainLoss, Is.LessThan(full.Epochs[0].TrainLoss));
    }

    [Test]
    public void CancellationSavesAResumableCheckpoint()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();   // as if Ctrl-C came during the first step
        var r = RunQuiet(Options(IdxData(_root), "cancel"), cancel: cts.Token);
        Assert.That((r.Interrupted, r.EpochsDone, r.BatchInEpoch), Is.EqualTo((true, 0, 1)));
        var c = Checkpoint.Load(r.CheckpointPath);
        Assert.That((c.GlobalStep, c.BatchInEpoch, c.PartialSeen), Is.EqualTo((1L, 1, 16L)));
        Assert.That(File.Exists(Path.Combine(_root, "cancel", "model.onnx")), Is.False);
        Assert.That(() => RunQuiet(Options(IdxData(_root), "cancel")), Throws.InvalidOperationException.With.Message.Contains("--resume"));
    }

    [Test]
    public void AFullDiskDuringACheckpointKeepsTheLastGoodOne()
    {
        int saves = 0;
        Stream Open(string tmp)
        {
            if (++saves == 2) throw new IOException("No space left on device");
            return new FileStream(tmp, FileMode.Create);
        }
        var o = Options(IdxData(_root), "disk");
        Assert.That(() => RunQuiet(o, ckptStream: Open), Throws.InstanceOf<IOException>().With.Message.Contains("No space"));
        var c = Checkpoint.Load(Path.Combine(o.Out, Checkpoint.FileName));
        Assert.That(c.EpochsDone, Is.EqualTo(1), "the epoch-1 checkpoint must survive the failed epoch-2 write");
        Assert.That(Directory.GetFiles(o.Out).Where(f => f.Contains(".tmp-")), Is.Empty);
    }

    [Test]
    public void ExportedModelRunsInOnnxRuntimeLikeTheEngine()
    {
        var o = Options(FramesData(_root), "export", epochs: 1);
        var r = RunQuiet(o);
        var model = OnnxModel.Load(r.ModelPath);
        Assert.That(model.GetMetadata(MetadataKeys.Labels), Is.EqualTo("[\"red\",\"green\",\"blue\"]"));
        Assert.That(model.GetMetadata(MetadataKeys.Arch), Is.EqualTo("resnet20"));
        Assert.That(model.GetMetadata(MetadataKeys.InputSize), Is.EqualTo("8"));
        Assert.That(model.GetMetadata(MetadataKeys.Recipe), Is.EqualTo("test recipe"));
        var ckpt = Checkpoint.Load(r.CheckpointPath);
        Assert.That(model.GetMetadata(MetadataKeys.Mean), Is.EqualTo(MetadataKeys.FormatFloats(ckpt.Mean)));

        // Engine eval-mode logits for the test frames, normalised as training does.
        var net = ResNet.Create("resnet20", 3, 3);
        net.LoadStateDict(ckpt.Model.Select(t => (t.Name, t.Data, t.Shape)), strict: true);
        net.Eval();
        using var data = DataSource.Load(o.Data);
        var loader = new BatchLoader(data.Test, 7, ckpt.Mean, ckpt.Std, Augmentation.None, 0, false);
        var batch = loader.Epoch(0).First();
        var x = batch.X.AsSpan(0, batch.Count * 192).ToArray();
        var engine = net.Forward(new Tensor((float[])x.Clone(), batch.Count, 3, 8, 8)).Data.ToArray();

        using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(File.ReadAllBytes(r.ModelPath), options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { batch.Count, 3, 8, 8 });
        using var run = new RunOptions();
        using var outputs = session.Run(run, new[] { ResNetOnnxBuilder.InputName }, new[] { input }, new[] { ResNetOnnxBuilder.OutputName });
        var ort = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.That(ort.Length, Is.EqualTo(batch.Count * 3));
        // 1e-4 of the logits' scale: two float32 implementations summing in different orders.
        GoldenFile.AssertClose("ORT vs engine eval logits", ort, engine);
    }

    [Test]
    public void InitFromOurExportLoadsByNameWithANewHead()
    {
        var src = RunQuiet(Options(FramesData(_root), "src", epochs: 1));
        var net = ResNet.Create("resnet20", classes: 5, inChannels: 3, seed: 99);
        var headBefore = net.Fc.Weight.Data.ToArray();
        var r = PretrainedLoader.Load(net, src.ModelPath);
        Assert.That(r.Mode, Is.EqualTo("by name"));
        Assert.That((r.NewHead, r.SourceClasses), Is.EqualTo((true, 3)));
        var trained = Weights(Path.Combine(_root, "src"));
        foreach (var (name, data, _) in net.StateDict())
        {
            if (name.StartsWith("fc.")) continue;
            Assert.That(data, Is.EqualTo(trained[name]), name);
        }
        Assert.That(net.Fc.Weight.Data, Is.EqualTo(headBefore), "the new head must keep its fresh initialisation");
        Assert.That(r.LoadedParameters, Does.Contain("layer3.2.conv2.weight").And.Not.Contain("fc.weight"));
    }

    [Test]
    public void InitFromATorchExportWithFoldedBatchNormReproducesItsLogits()
    {
        var g = GoldenFile.Load("resnet_mini.bin");
        var net = GoldenTests.MiniResNet(g);   // then overwritten by the ONNX weights
        foreach (var (_, data, _) in net.StateDict()) Array.Fill(data, 0.5f);
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "training-goldens", "resnet_mini_folded.onnx");
        var r = PretrainedLoader.Load(net, path);
        Assert.That(r.Mode, Does.StartWith("by structure"));
        Assert.That(r.NewHead, Is.False);
        net.Eval();
        var x = new Tensor((float[])g["input"].Clone(), g.Tensors["input"].Shape);
        GoldenFile.AssertClose("eval logits after loading the folded export", net.Forward(x).Data, g["logits_eval"]);
    }

    [Test]
    public void InitFromRejectsWrongChannelsAndOtherNetworks()
    {
        var folded = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "training-goldens", "resnet_mini_folded.onnx");
        Assert.That(() => PretrainedLoader.Load(ResNet.Create("resnet20", 10, 3), folded),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("not this ResNet"));
        var src = RunQuiet(Options(FramesData(_root), "rgb", epochs: 1));
        Assert.That(() => PretrainedLoader.Load(ResNet.Create("resnet20", 3, 1), src.ModelPath),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("takes 3 input channel(s); the data has 1"));
        Assert.That(() => PretrainedLoader.Load(ResNet.Create("resnet32", 3, 3), src.ModelPath),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("layer1.3"));
        var junk = Path.Combine(_root, "junk.onnx");
        File.WriteAllBytes(junk, new byte[] { 1, 2, 3 });
        Assert.That(() => PretrainedLoader.Load(ResNet.Create("resnet20", 3, 3), junk), Throws.Exception);
    }

    [Test]
    public void FineTuningWithFrozenStagesLeavesThemUntouched()
    {
        string frames = FramesData(_root);
        var src = RunQuiet(Options(frames, "pre", epochs: 1));
        var o = Options(frames, "tune", epochs: 1);
        o.InitFrom = src.ModelPath;
        o.Freeze = "stem,layer1";
        RunQuiet(o);
        var before = Weights(Path.Combine(_root, "pre"));
        var after = Weights(Path.Combine(_root, "tune"));
        foreach (var name in new[] { "conv1.weight", "bn1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer1.2.bn2.running_var" })
            Assert.That(after[name], Is.EqualTo(before[name]), $"frozen {name} changed");
        Assert.That(after["layer2.0.conv1.weight"], Is.Not.EqualTo(before["layer2.0.conv1.weight"]), "layer2 did not train");
        Assert.That(() => Trainer.ApplyFreeze(ResNet.Create("resnet20", 3), "stem,layer4"),
            Throws.ArgumentException.With.Message.Contains("layer4").And.Message.Contains("layer3"));
    }
}
