using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Optim;

namespace ResNetRealtime.Tests.Training.App;

public class ScheduleTests
{
    [Test]
    public void OneCycleMatchesPyTorchPerStep()
    {
        var g = GoldenFile.Load("resnet_mini.bin");
        var lr = g["onecycle_lr"];
        var mom = g["onecycle_momentum"];
        var s = LrSchedule.Create("onecycle", 0.1, lr.Length, momentum: 0.9);
        for (int i = 0; i < lr.Length; i++)
        {
            Assert.That(s.LrAt(i), Is.EqualTo(lr[i]).Within(1e-6 * 0.1 + 1e-7), $"lr at step {i}");
            Assert.That(s.MomentumAt(i), Is.EqualTo(mom[i]).Within(1e-6), $"momentum at step {i}");
        }
    }

    [Test]
    public void StepScheduleMatchesPyTorchMultiStep()
    {
        // "step" decays ×0.1 at 50% and 75% of the steps: 37 steps → milestones 18 and 27, as in the golden.
        var lr = GoldenFile.Load("resnet_mini.bin")["multistep_lr"];
        var s = LrSchedule.Create("step", 0.1, lr.Length);
        for (int i = 0; i < lr.Length; i++) Assert.That(s.LrAt(i), Is.EqualTo(lr[i]).Within(1e-8), $"lr at step {i}");
    }

    [Test]
    public void CosineWarmsUpLinearlyThenAnneals()
    {
        var s = LrSchedule.Create("cosine", 1.0, 14, warmupSteps: 4);
        Assert.That(s.LrAt(0), Is.EqualTo(0.25).Within(1e-12));
        Assert.That(s.LrAt(3), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(s.LrAt(4), Is.EqualTo(1.0).Within(1e-12));           // cosine starts at the peak
        Assert.That(s.LrAt(9), Is.EqualTo(0.5).Within(1e-12));           // half way through the 10 cosine steps
        Assert.That(s.LrAt(13), Is.EqualTo(0.5 * (1 + Math.Cos(Math.PI * 0.9))).Within(1e-12));
        Assert.That(() => LrSchedule.Create("cosine", 1.0, 5, warmupSteps: 5), Throws.ArgumentException.With.Message.Contains("warm-up"));
    }

    [Test]
    public void ApplySetsOptimizerRateAndMomentum()
    {
        var p = new Parameter("w", new[] { 1 });
        var opt = new Sgd(new[] { p }, 0.5, 0.9);
        var s = LrSchedule.Create("onecycle", 0.1, 10);
        s.Apply(opt, 0);
        Assert.That(opt.LearningRate, Is.EqualTo(0.1 / 25).Within(1e-12));
        Assert.That(opt.Momentum, Is.EqualTo(0.95).Within(1e-12));
        Assert.That(() => LrSchedule.Create("exp", 0.1, 10), Throws.ArgumentException.With.Message.Contains("exp"));
    }
}
