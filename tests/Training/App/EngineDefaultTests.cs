using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using NUnit.Framework;
using ResNetRealtime.Cli;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>
/// The training engine a user gets without --engine ("auto", <see cref="TrainEngines.ResolveAuto"/>): ours where .NET
/// runs 512-bit vectors, TorchSharp otherwise, and ours with one line when TorchSharp cannot load. A run records the
/// engine it resolved to (run.json, the checkpoint), never "auto", so a resume elsewhere keeps it.
/// </summary>
public class EngineDefaultTests
{
    [Test]
    public void Auto_is_ours_with_512_bit_vectors_and_never_loads_torch_for_it()
    {
        var (engine, note) = TrainEngines.ResolveAuto(wideVectors: true, () => throw new AssertionException("TorchSharp probed although our engine was chosen"));
        Assert.That((engine, note), Is.EqualTo(("ours", (string)null)));
    }

    [Test]
    public void Auto_is_torchsharp_without_512_bit_vectors()
    {
        Assert.That(TrainEngines.ResolveAuto(wideVectors: false, () => null), Is.EqualTo(("torchsharp", (string)null)));
    }

    [Test]
    public void Auto_falls_back_to_ours_with_one_line_when_torchsharp_cannot_load()
    {
        const string why = "TorchSharp is not installed beside this program (no /x/libLibTorchSharp.so); install TorchSharp 0.107.0 and rebuild";
        var (engine, note) = TrainEngines.ResolveAuto(wideVectors: false, () => why);
        Assert.That(engine, Is.EqualTo("ours"));
        Assert.That(note, Does.Contain(why).And.Contain("training with our engine").And.Not.Contain("\n"));
    }

    [Test]
    public void The_command_line_default_is_auto_and_resolves_for_this_cpu()
    {
        var o = TrainVerb.Parse(new[] { "--data", "idx:/d", "--model", "resnet20", "--out", "/tmp/x" });
        Assert.That(o.Engine, Is.EqualTo(TrainEngines.Auto));
        string expected = Vector512.IsHardwareAccelerated ? "ours" : ResNetRealtime.Training.Torch.TorchRuntime.TryLoad(out _) ? "torchsharp" : "ours";
        Assert.That(TrainEngines.Resolve(o.Engine), Is.EqualTo(expected));
    }

    [Test]
    public void Auto_with_a_gpu_device_asks_for_the_engine_that_has_one_on_every_cpu()
    {
        Assert.That(() => TrainEngines.Validate(TrainEngines.Auto, "cuda"),
            Throws.ArgumentException.With.Message.Contains("--device cuda: our engine runs on the CPU only; use --engine torchsharp"));
        Assert.That(() => TrainEngines.Validate(TrainEngines.Auto, "tpu"), Throws.ArgumentException.With.Message.Contains("--device must be cpu or cuda (got 'tpu')"));
    }

    [Test]
    public void A_run_records_the_engine_it_resolved_to()
    {
        var root = Path.Combine(Path.GetTempPath(), "rr-engine-default-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new TrainOptions { Data = TrainerTests.IdxData(root, train: 16, test: 4), Model = "resnet20", Epochs = 1, Batch = 16, Out = Path.Combine(root, "run"), Seed = 1 };
            Assert.That(o.Engine, Is.EqualTo(TrainEngines.Auto), "the library's default is the command line's");
            var r = new Trainer(o, TextWriter.Null, new ProgressBar(TextWriter.Null, false)).Run(null, default);
            Assert.That(r.Interrupted, Is.False);
            string resolved = TrainEngines.Default.Engine;
            Assert.That(TrainOptions.FromJson(Checkpoint.Load(Path.Combine(o.Out, Checkpoint.FileName)).Options).Engine, Is.EqualTo(resolved));
            var run = JsonNode.Parse(File.ReadAllText(Path.Combine(o.Out, Trainer.RunFileName)))!;
            Assert.That((string)run["options"]!["Engine"], Is.EqualTo(resolved));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }
}
