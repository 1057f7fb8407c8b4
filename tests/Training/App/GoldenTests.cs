using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Optim;

namespace ResNetRealtime.Tests.Training.App;

/// <summary>
/// The engine, the loss and the optimizers against PyTorch 1.13 on one small ResNet
/// (tests/scripts/make_training_goldens.py): same weights and input → same logits, loss, gradients,
/// BatchNorm running statistics, eval logits, and weights after optimizer steps, to 1e-4 relative.
/// </summary>
public class GoldenTests
{
    /// <summary>The script's "resnet-mini": our CIFAR layout, one BasicBlock per stage, widths 8/16/32.</summary>
    internal static ResNet MiniResNet(GoldenFile g)
    {
        var config = new ResNetConfig
        {
            Name = "resnet-mini", Block = BlockKind.Basic, Layers = new[] { 1, 1, 1 }, StageWidths = new[] { 8, 16, 32 },
            Cifar = true, Classes = 10, InChannels = 3,
        };
        var net = new ResNet(config, seed: 0);
        var state = g.Names("init/").Select(n => (n, g["init/" + n], g.Tensors["init/" + n].Shape)).ToList();
        net.LoadStateDict(state, strict: true);
        return net;
    }

    [Test]
    public void ForwardLossBackwardAndBatchNormStatsMatchPyTorch()
    {
        var g = GoldenFile.Load("resnet_mini.bin");
        var net = MiniResNet(g);
        var x = new Tensor((float[])g["input"].Clone(), g.Tensors["input"].Shape);
        var labels = g["labels"].Select(v => (int)v).ToArray();
        net.Train();
        net.ZeroGrad();
        var logits = net.Forward(x);
        GoldenFile.AssertClose("training-mode logits", logits.Data, g["logits_train"]);
        var ce = new CrossEntropyLoss(0.1f);
        double loss = ce.Forward(logits, labels);
        Assert.That(loss, Is.EqualTo(g["loss"][0]).Within(1e-4 * Math.Abs(g["loss"][0])), "loss with label smoothing 0.1");
        net.Backward(ce.Backward());
        var ps = net.Parameters().ToDictionary(p => p.Name);
        var expected = g.Names("grad/").ToList();
        Assert.That(ps.Keys, Is.EquivalentTo(expected), "parameter names differ from torchvision's");
        foreach (var name in expected) GoldenFile.AssertClose("grad " + name, ps[name].Grad, g["grad/" + name]);
        var buffers = net.StateDict().ToDictionary(e => e.name, e => e.data);
        foreach (var name in g.Names("buffers/")) GoldenFile.AssertClose("buffer " + name, buffers[name], g["buffers/" + name]);
        net.Eval();
        GoldenFile.AssertClose("eval-mode logits", net.Forward(x).Data, g["logits_eval"]);
    }

    [TestCase("sgd", 0.1, 5e-4)]
    [TestCase("adamw", 1e-3, 1e-2)]
    public void EngineGradientsThroughOptimizerMatchPyTorch(string kind, double lr, double wd)
    {
        // The whole step as the trainer runs it: our gradients (not the golden ones) feed our optimizer.
        var g = GoldenFile.Load("resnet_mini.bin");
        var net = MiniResNet(g);
        var x = new Tensor((float[])g["input"].Clone(), g.Tensors["input"].Shape);
        var ce = new CrossEntropyLoss(0.1f);
        net.Train();
        net.ZeroGrad();
        ce.Forward(net.Forward(x), g["labels"].Select(v => (int)v).ToArray());
        net.Backward(ce.Backward());
        var ps = net.Parameters().ToList();
        var opt = Optimizer.Create(kind, ps, lr, wd, 0.9, nesterov: kind == "sgd");
        opt.Step(); opt.Step();
        foreach (var p in ps) GoldenFile.AssertClose($"{kind} {p.Name}", p.Data, g[kind + "/" + p.Name]);
    }
}
