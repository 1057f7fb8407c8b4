using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Training.App;
using ResNetRealtime.Training.Data;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Torch;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Tests.Training.Torch;

/// <summary>
/// The TorchSharp engine: it loads on this machine (after the build's libstdc++ fix), and it and our engine
/// check each other — from the same weights and batch they agree on logits, loss, every gradient, BatchNorm
/// running statistics and the weights after SGD (momentum, Nesterov, weight decay) and AdamW steps, with
/// parameter groups (no decay on BatchNorm/biases, a scaled "pretrained" group) and a frozen stage.
/// Tolerance 1e-4 of each tensor's largest magnitude: two float32 implementations that sum in different
/// orders (oneDNN vs our SIMD kernels) differ by ~1e-6 relative; 1e-4 still catches any wrong formula.
/// </summary>
public class TorchEngineTests
{
    const double Rtol = 1e-4;
    string _root;

    [SetUp]
    public void SetUp()
    {
        Assert.That(TorchRuntime.TryLoad(out var error), Is.True, error);
        _root = Path.Combine(Path.GetTempPath(), "rr-torch-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() { if (_root != null && Directory.Exists(_root)) Directory.Delete(_root, true); }

    /// <summary>A small CIFAR-style basic ResNet, or a small ImageNet-stem grouped bottleneck (ResNeXt-like: 7×7/2 + max-pool, groups 4).</summary>
    static (ResNetConfig Config, int Size) Arch(string which) => which == "basic"
        ? (ResNetConfig.FromName("resnet20", 5, 3), 8)
        : (new ResNetConfig { Name = "tiny_resnext", Block = BlockKind.Bottleneck, Layers = new[] { 1, 2 }, StageWidths = new[] { 8, 16 }, Groups = 4, WidthPerGroup = 32, Classes = 5, InChannels = 3 }, 16);

    /// <summary>The host both engines start from: seeded weights, BatchNorm scales, shifts and running
    /// statistics made non-trivial, layer1 in the "pretrained" group, and (bottleneck) the stem frozen.</summary>
    static (ResNet Host, List<string> Frozen) Host(ResNetConfig c, bool freezeStem)
    {
        var net = new ResNet(c, seed: 5);
        var rng = new Random(9);
        foreach (var m in net.Modules().OfType<ResNetRealtime.Training.Layers.BatchNorm2d>())
            for (int i = 0; i < m.Channels; i++)
            {
                m.Weight.Data[i] = 0.5f + (float)rng.NextDouble(); m.Bias.Data[i] = 0.2f * (float)(rng.NextDouble() - 0.5);
                m.RunningMean.Data[i] = 0.1f * (float)(rng.NextDouble() - 0.5); m.RunningVar.Data[i] = 0.5f + (float)rng.NextDouble();
            }
        var frozen = Trainer.ApplyFreeze(net, freezeStem ? "stem" : null);
        foreach (var p in net.Parameters()) if (p.RequiresGrad && p.Name.StartsWith("layer1.", StringComparison.Ordinal)) p.Group = "pretrained";
        return (net, frozen);
    }

    /// <summary>Every tensor to <see cref="Rtol"/>. With <paramref name="adam"/> (name → gradient and learning
    /// rate of the step just taken): Adam moves a weight by about lr·g/(|g| + eps), so where |g| is at the
    /// rounding level the engines agree to (≤ 1e-3 of the tensor's largest gradient) the direction is noise and
    /// such elements are held to 2·lr instead; every other element, and every buffer, to Rtol.</summary>
    static void AssertStateClose(ITrainModel actual, ITrainModel expected, string what, Dictionary<string, (float[] Grad, double Lr)> adam = null)
    {
        var e = expected.GetState().ToDictionary(t => t.Name);
        var a = actual.GetState();
        Assert.That(a.Select(t => t.Name), Is.EquivalentTo(e.Keys), what + ": names");
        foreach (var t in a)
        {
            var exp = e[t.Name].Data;
            if (adam == null || !adam.TryGetValue(t.Name, out var g)) { TestMath.AssertClose(t.Data, exp, Rtol, $"{what}: {t.Name}", atol: 1e-7); continue; }
            double gmax = g.Grad.Max(v => Math.Abs(v)), wmax = exp.Max(v => Math.Abs(v));
            for (int i = 0; i < exp.Length; i++)
            {
                double tol = Math.Abs(g.Grad[i]) <= 1e-3 * gmax ? 2 * g.Lr + Rtol * wmax : Rtol * wmax + 1e-7;
                if (!(Math.Abs(t.Data[i] - exp[i]) <= tol))
                    Assert.Fail($"{what}: {t.Name}[{i}] got {t.Data[i]:G9}, expected {exp[i]:G9} (grad {g.Grad[i]:G3}, max {gmax:G3}; tol {tol:G3})");
            }
        }
    }

    [TestCase("basic", "sgd")]
    [TestCase("basic", "adamw")]
    [TestCase("bottleneck", "sgd")]
    [TestCase("bottleneck", "adamw")]
    public void EnginesAgreeOnForwardBackwardAndTwoOptimizerSteps(string arch, string optimizer)
    {
        var (cfg, size) = Arch(arch);
        var (hostA, frozen) = Host(cfg, freezeStem: arch == "bottleneck");
        var (hostB, _) = Host(cfg, freezeStem: arch == "bottleneck");
        using var ours = TrainEngines.Create("ours", "cpu", hostA);
        using var torch = TrainEngines.Create("torchsharp", "cpu", hostB);
        int n = arch == "basic" ? 6 : 4;
        var rng = new Random(21);
        var x = new Images(TestMath.Rand(rng, n * 3 * size * size), n, 3, size, size);
        var labels = Enumerable.Range(0, n).Select(i => rng.Next(cfg.Classes)).ToArray();
        double lr = optimizer == "sgd" ? 0.05 : 2e-3;
        ITrainOptimizer Opt(ITrainModel m) => m.CreateOptimizer(optimizer, lr, 5e-2, 0.9, nesterov: true, g => g == "pretrained" ? 0.1 : 1.0);
        var optO = Opt(ours);
        var optT = Opt(torch);
        ours.Train(frozen);
        torch.Train(frozen);

        // Train-mode logits (batch statistics; this also moves the running statistics once in both).
        TestMath.AssertClose(torch.Forward(x), ours.Forward(x), Rtol, "train-mode logits");
        var trainable = hostA.Parameters().Where(p => p.RequiresGrad).Select(p => p.Name).ToList();
        Assert.That(trainable.Count, Is.GreaterThan(10));

        for (int step = 1; step <= 2; step++)
        {
            optO.ZeroGrad(); optT.ZeroGrad();
            var (lossO, _) = ours.ForwardBackward(x, labels, 0.1f);
            var (lossT, _) = torch.ForwardBackward(x, labels, 0.1f);
            Assert.That(lossT, Is.EqualTo(lossO).Within(Rtol * Math.Abs(lossO)), $"step {step}: loss");
            foreach (var name in trainable)
                TestMath.AssertClose(torch.Gradient(name), ours.Gradient(name), Rtol, $"step {step}: grad {name}", atol: 1e-9);
            foreach (var name in hostA.Parameters().Where(p => !p.RequiresGrad).Select(p => p.Name))
                Assert.That(torch.Gradient(name).All(v => v == 0), $"frozen {name} got a gradient");
            var adam = optimizer == "sgd" ? null : trainable.ToDictionary(nm => nm, nm => (ours.Gradient(nm), lr * (nm.StartsWith("layer1.") ? 0.1 : 1.0)));
            optO.Step(); optT.Step();
            // Weights after the step, and the BatchNorm running statistics (two train-mode passes by now).
            AssertStateClose(torch, ours, $"after {optimizer} step {step}", adam);
            if (adam != null)
            {
                // Step 2 then checks Adam's second-step arithmetic (moments, bias corrections) from one state.
                torch.SetState(ours.GetState());
                optT.LoadState(optO.StepCount, optO.StateBuffers());
            }
        }
        var bo = optO.StateBuffers().ToDictionary(b => b.Key, b => b.Values);
        var bt = optT.StateBuffers().ToDictionary(b => b.Key, b => b.Values);
        Assert.That(bt.Keys, Is.EquivalentTo(bo.Keys), "optimizer state keys");
        foreach (var (k, v) in bo) TestMath.AssertClose(bt[k], v, Rtol, "optimizer state " + k, atol: 1e-9);
        // The frozen stem stayed as it was, in both.
        if (frozen.Count > 0)
            Assert.That(torch.GetState().First(t => t.Name == "bn1.running_mean").Data, Is.EqualTo(Host(cfg, true).Host.Bn1.RunningMean.Data));

        // Eval mode: running statistics.
        ours.Eval(); torch.Eval();
        TestMath.AssertClose(torch.Forward(x), ours.Forward(x), Rtol, "eval-mode logits");
    }

    [Test]
    public void TorchSharpLoadsAndAStepLowersTheLoss()
    {
        var (host, _) = Host(Arch("basic").Config, false);
        using var m = TrainEngines.Create("torchsharp", "cpu", host);
        var opt = m.CreateOptimizer("sgd", 0.05, 0, 0.9, false, _ => 1);
        var rng = new Random(2);
        var x = new Images(TestMath.Rand(rng, 8 * 3 * 8 * 8), 8, 3, 8, 8);
        var labels = Enumerable.Range(0, 8).Select(i => i % 5).ToArray();
        m.Train(Array.Empty<string>());
        double first = 0, last = 0;
        for (int i = 0; i < 5; i++)
        {
            opt.ZeroGrad();
            last = m.ForwardBackward(x, labels, 0f).Loss;
            if (i == 0) first = last;
            opt.Step();
        }
        Assert.That(last, Is.LessThan(first), "five SGD steps on one batch must lower its loss");
    }

    static TrainOptions Options(string data, string outDir, int epochs = 2) => new()
    {
        Data = data, Model = "resnet20", Engine = "torchsharp", Epochs = epochs, Out = outDir, Batch = 16, Lr = 0.05,
        Nesterov = true, Schedule = "onecycle", Seed = 11, Recipe = "test recipe",
    };

    static Trainer.Result RunQuiet(TrainOptions o, int stopAfter = -1) =>
        new Trainer(o, TextWriter.Null, new ProgressBar(TextWriter.Null, false)) { StopAfterSteps = stopAfter }.Run(null, default);

    [Test]
    public void ResumeWithTheTorchSharpEngineContinuesExactly()
    {
        string data = TrainerTests.IdxData(_root, train: 48, test: 12);   // 48 images / batch 16 = 3 steps per epoch
        var full = RunQuiet(Options(data, Path.Combine(_root, "full")));
        var part = RunQuiet(Options(data, Path.Combine(_root, "mid")), stopAfter: 4);   // batch 1 of epoch 2
        Assert.That(part.Interrupted, Is.True);
        var resumed = Trainer.Resume(Path.Combine(_root, "mid"), log: TextWriter.Null);
        for (int e = 0; e < 2; e++)
            Assert.That((resumed.Epochs[e].TrainLoss, resumed.Epochs[e].TestAcc), Is.EqualTo((full.Epochs[e].TrainLoss, full.Epochs[e].TestAcc)), $"epoch {e + 1}");
        var a = Checkpoint.Load(Path.Combine(_root, "full", Checkpoint.FileName));
        var b = Checkpoint.Load(Path.Combine(_root, "mid", Checkpoint.FileName));
        Assert.That(TrainOptions.FromJson(b.Options).Engine, Is.EqualTo("torchsharp"));
        var bw = b.Model.ToDictionary(t => t.Name, t => t.Data);
        foreach (var t in a.Model) Assert.That(bw[t.Name], Is.EqualTo(t.Data), $"{t.Name} differs after resume");
        var bo = b.OptimizerState.ToDictionary(t => t.Name, t => t.Data);
        Assert.That(bo.Keys, Is.EquivalentTo(a.OptimizerState.Select(t => t.Name)));
        foreach (var t in a.OptimizerState) Assert.That(bo[t.Name], Is.EqualTo(t.Data), $"optimizer {t.Name} differs after resume");
        Assert.That(full.Epochs[^1].TrainLoss, Is.LessThan(full.Epochs[0].TrainLoss), "the run must learn");
        Assert.That(File.Exists(Path.Combine(_root, "full", "gradflow.csv")), "gradient-flow report");
    }

    /// <summary>Also --init-from (a model our engine trained) with --freeze stem,layer1 on the TorchSharp engine:
    /// the frozen stages keep the source's weights and BatchNorm statistics (eval mode), the rest trains.</summary>
    [Test]
    public void ATorchSharpTrainedModelExportsAnOnnxThatOrtRunsToItsEvalLogits()
    {
        string frames = TrainerTests.FramesData(_root);
        var so = Options(frames, Path.Combine(_root, "src"), epochs: 1);
        so.Engine = "ours";
        var src = RunQuiet(so);
        var o = Options(frames, Path.Combine(_root, "export"), epochs: 1);
        o.InitFrom = src.ModelPath;
        o.Freeze = "stem,layer1";
        var r = RunQuiet(o);
        var before = Checkpoint.Load(src.CheckpointPath).Model.ToDictionary(t => t.Name, t => t.Data);
        foreach (var t in Checkpoint.Load(r.CheckpointPath).Model)
        {
            bool frozen = t.Name.StartsWith("conv1.") || t.Name.StartsWith("bn1.") || t.Name.StartsWith("layer1.");
            if (frozen) Assert.That(t.Data, Is.EqualTo(before[t.Name]), $"frozen {t.Name} changed");
            else if (t.Name.StartsWith("layer3.") && t.Name.EndsWith("conv2.weight")) Assert.That(t.Data, Is.Not.EqualTo(before[t.Name]), $"{t.Name} did not train");
        }
        var model = OnnxModel.Load(r.ModelPath);
        Assert.That(model.GetMetadata(ResNetRealtime.Runtime.Models.MetadataKeys.Arch), Is.EqualTo("resnet20"));
        Assert.That(model.GetMetadata(ResNetRealtime.Runtime.Models.MetadataKeys.Recipe), Is.EqualTo("test recipe"));
        var ckpt = Checkpoint.Load(r.CheckpointPath);

        using var engine = TrainEngines.Create("torchsharp", "cpu", ResNet.Create("resnet20", 3, 3));
        engine.SetState(ckpt.Model);
        engine.Eval();
        using var data = DataSource.Load(o.Data);
        var batch = new BatchLoader(data.Test, 7, ckpt.Mean, ckpt.Std, Augmentation.None, 0, false).Epoch(0).First();
        var x = batch.X.AsSpan(0, batch.Count * 192).ToArray();
        var expected = engine.Forward(new Images(x, batch.Count, 3, 8, 8));

        using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(File.ReadAllBytes(r.ModelPath), options);
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { batch.Count, 3, 8, 8 });
        using var run = new RunOptions();
        using var outputs = session.Run(run, new[] { ResNetRealtime.Tools.Models.ResNetOnnxBuilder.InputName }, new[] { input }, new[] { ResNetRealtime.Tools.Models.ResNetOnnxBuilder.OutputName });
        var ort = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        GoldenFile.AssertClose("ORT vs TorchSharp eval logits", ort, expected);
    }

    [Test]
    public void TrainBenchTimesBothEnginesInOneRunAndWritesTheirKeys()
    {
        var json = Path.Combine(_root, "bench.json");
        var output = new StringWriter();
        TrainBench.Compare(new[] { "ours", "torchsharp" }, "resnet20", 4, 8, steps: 1, warmup: 0, threads: 1, noTorch: true, json, output, TextWriter.Null);
        Assert.That(output.ToString(), Does.Contain("TorchSharp resnet20 batch 4 8x8").And.Contain("ratio ours/torchsharp"));
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json)).AsObject();
        foreach (var key in new[] { "train.engine", "train.images_per_s", "engine.ours.images_per_s", "engine.torchsharp.images_per_s", "engine.torchsharp.median_ms", "ratio.ours_vs_torchsharp" })
            Assert.That(report.ContainsKey(key), key);
        Assert.That((double)report["engine.torchsharp.images_per_s"], Is.GreaterThan(0));
    }

    [Test]
    public void BadEngineOrDeviceIsOneClearError()
    {
        Assert.That(() => TrainEngines.Validate("tensorflow", "cpu"), Throws.ArgumentException.With.Message.Contains("--engine").And.Message.Contains("tensorflow"));
        Assert.That(() => TrainEngines.Validate("torchsharp", "tpu"), Throws.ArgumentException.With.Message.Contains("--device").And.Message.Contains("tpu"));
        Assert.That(() => TrainEngines.Validate("ours", "cuda"), Throws.ArgumentException.With.Message.Contains("--engine torchsharp"));
        // This machine has no GPU and only libtorch-cpu: cuda is refused with the package to install.
        Assert.That(() => TrainEngines.Create("torchsharp", "cuda", ResNet.Create("resnet20", 3, 3)),
            Throws.InstanceOf<TorchUnavailableException>().With.Message.Contains("libtorch-cuda"));
    }
}

/// <summary>A TorchSharp that cannot load is one line naming what to install, and nothing else breaks.</summary>
public class TorchLoadFailureTests
{
    [Test]
    public void MissingOrBrokenNativesGiveOneLineNamingThePackage()
    {
        var dir = Path.Combine(Path.GetTempPath(), "rr-torch-missing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string missing = TorchRuntime.LoadLinuxNatives(dir);
            Assert.That(missing, Does.Contain("TorchSharp 0.107.0").And.Contain("libtorch-cpu").And.Not.Contain("\n"));
            File.WriteAllText(Path.Combine(dir, "libLibTorchSharp.so"), "not an ELF file");
            string broken = TorchRuntime.LoadLinuxNatives(dir);
            Assert.That(broken, Does.StartWith("TorchSharp cannot load").And.Contain("install TorchSharp").And.Not.Contain("\n"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
