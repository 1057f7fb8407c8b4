using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Optim;

namespace ResNetRealtime.Tests.Training.App;

public class OptimTests
{
    static Parameter P(string name, float[] w, float[] g, bool decay = true, string group = null)
    {
        var p = new Parameter(name, new[] { w.Length }, (float[])w.Clone()) { Decay = decay, Group = group };
        g.CopyTo(p.Grad, 0);
        return p;
    }

    [Test]
    public void SgdNesterovMatchesHandComputedTwoSteps()
    {
        // w = 1, g = 0.5 (held fixed), lr 0.1, momentum 0.9, wd 0.01, Nesterov.
        // step 1: d = 0.5 + 0.01·1 = 0.51; buf = 0.51; w = 1 − 0.1·(0.51 + 0.9·0.51) = 0.9031
        // step 2: d = 0.5 + 0.01·0.9031 = 0.509031; buf = 0.9·0.51 + 0.509031 = 0.968031
        //         w = 0.9031 − 0.1·(0.509031 + 0.9·0.968031) = 0.9031 − 0.13802589 = 0.76507411
        var p = P("w", new[] { 1f }, new[] { 0.5f });
        var opt = new Sgd(new[] { p }, 0.1, 0.9, nesterov: true, weightDecay: 0.01);
        opt.Step();
        Assert.That(p.Data[0], Is.EqualTo(0.9031f).Within(1e-6f));
        opt.Step();
        Assert.That(p.Data[0], Is.EqualTo(0.76507411f).Within(1e-6f));
    }

    [Test]
    public void SgdPlainMomentumAndNoMomentum()
    {
        // No momentum: w -= lr·(g + wd·w) = 2 − 0.5·(1 + 0.1·2) = 1.4
        var a = P("a", new[] { 2f }, new[] { 1f });
        new Sgd(new[] { a }, 0.5, 0, false, 0.1).Step();
        Assert.That(a.Data[0], Is.EqualTo(1.4f).Within(1e-6f));
        // Momentum 0.5, no Nesterov, g = 1 fixed, lr 1: buf 1 then 1.5 → w = 0 − 1 − 1.5 = −2.5
        var b = P("b", new[] { 0f }, new[] { 1f });
        var opt = new Sgd(new[] { b }, 1, 0.5);
        opt.Step(); opt.Step();
        Assert.That(b.Data[0], Is.EqualTo(-2.5f).Within(1e-6f));
    }

    [Test]
    public void SgdVectorPathEqualsScalarTail([Values(1, 7, 13, 127)] int n)
    {
        // Lengths around the vector width: every element must follow the same formula.
        var rng = new Random(n);
        var w = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var g = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var p = P("w", w, g);
        var opt = new Sgd(new[] { p }, 0.1, 0.9, true, 1e-3);
        opt.Step(); opt.Step();
        for (int i = 0; i < n; i++)
        {
            float d1 = g[i] + 1e-3f * w[i], w1 = w[i] - 0.1f * (d1 + 0.9f * d1);
            float d2 = g[i] + 1e-3f * w1, b2 = 0.9f * d1 + d2, w2 = w1 - 0.1f * (d2 + 0.9f * b2);
            Assert.That(p.Data[i], Is.EqualTo(w2).Within(1e-6f), $"element {i} of {n}");
        }
    }

    [Test]
    public void AdamFirstStepIsLrTimesSignOfGradient()
    {
        // Bias correction makes the first step lr·g/(|g| + eps) for any gradient scale.
        var p = P("w", new[] { 1f, 1f, 1f }, new[] { 3f, -0.002f, 0f });
        new Adam(new[] { p }, 0.01).Step();
        Assert.That(p.Data[0], Is.EqualTo(0.99f).Within(1e-6f));
        Assert.That(p.Data[1], Is.EqualTo(1.01f).Within(1e-5f));
        Assert.That(p.Data[2], Is.EqualTo(1f));
    }

    [Test]
    public void AdamWDecaysWeightsDirectly()
    {
        // Zero gradient: Adam's update is 0; AdamW still shrinks w by (1 − lr·wd).
        var a = P("a", new[] { 2f }, new[] { 0f });
        var w = P("w", new[] { 2f }, new[] { 0f });
        new Adam(new[] { a }, 0.1, weightDecay: 0.5).Step();
        new Adam(new[] { w }, 0.1, weightDecay: 0.5, decoupled: true).Step();
        Assert.That(w.Data[0], Is.EqualTo(2f * (1 - 0.05f)).Within(1e-6f));
        // Coupled decay turns wd·w into a gradient, so the first step is lr·sign = 0.1.
        Assert.That(a.Data[0], Is.EqualTo(1.9f).Within(1e-5f));
    }

    [Test]
    public void FrozenParametersAreSkippedAndGroupsScaleTheRate()
    {
        var frozen = P("frozen", new[] { 1f }, new[] { 1f });
        frozen.RequiresGrad = false;
        var pre = P("pre", new[] { 1f }, new[] { 1f }, group: "pretrained");
        var head = P("head", new[] { 1f }, new[] { 1f });
        var noDecay = P("bias", new[] { 1f }, new[] { 1f }, decay: false);
        var opt = new Sgd(new[] { frozen, pre, head, noDecay }, 0.1, weightDecay: 1);
        opt.SetGroupScale("pretrained", 0.1);
        opt.Step();
        Assert.That(frozen.Data[0], Is.EqualTo(1f), "frozen parameter changed");
        Assert.That(head.Data[0], Is.EqualTo(1 - 0.1f * 2).Within(1e-6f));
        Assert.That(pre.Data[0], Is.EqualTo(1 - 0.01f * 2).Within(1e-6f));
        Assert.That(noDecay.Data[0], Is.EqualTo(1 - 0.1f * 1).Within(1e-6f), "decay applied to a no-decay parameter");
        Assert.That(opt.StateBuffers().Any(b => b.Key.StartsWith("frozen/")), Is.False);
    }

    [Test]
    public void StateRoundTripContinuesExactly([Values("sgd", "adam", "adamw")] string kind)
    {
        var rng = new Random(5);
        var w = Enumerable.Range(0, 13).Select(_ => (float)rng.NextDouble()).ToArray();
        var g = Enumerable.Range(0, 13).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var a = P("a", w, g);
        var optA = Optimizer.Create(kind, new[] { a }, 0.05, 1e-2, 0.9, nesterov: kind == "sgd");
        optA.Step(); optA.Step();
        var b = P("a", w, g);
        var optB = Optimizer.Create(kind, new[] { b }, 0.05, 1e-2, 0.9, nesterov: kind == "sgd");
        optB.Step();
        var saved = optB.StateBuffers().Select(s => (s.Key, (float[])s.Values.Clone())).ToList();
        var c = new Parameter("a", new[] { 13 }, (float[])b.Data.Clone());
        g.CopyTo(c.Grad, 0);
        var optC = Optimizer.Create(kind, new[] { c }, 0.05, 1e-2, 0.9, nesterov: kind == "sgd");
        optC.LoadState(optB.StepCount, saved);
        optC.Step();
        Assert.That(c.Data, Is.EqualTo(a.Data), "resumed optimizer diverged from the uninterrupted one");
        Assert.That(optC.StepCount, Is.EqualTo(2));
    }

    [Test]
    public void BadSettingsAreRejectedWithTheirValues()
    {
        var p = P("w", new[] { 1f }, new[] { 1f });
        Assert.That(() => new Sgd(new[] { p }, -1), Throws.ArgumentException.With.Message.Contains("-1"));
        Assert.That(() => new Sgd(new[] { p }, 0.1, 0, nesterov: true), Throws.ArgumentException.With.Message.Contains("Nesterov"));
        Assert.That(() => Optimizer.Create("rmsprop", new[] { p }, 0.1, 0), Throws.ArgumentException.With.Message.Contains("rmsprop"));
        Assert.That(() => new Sgd(new[] { p, P("w", new[] { 1f }, new[] { 1f }) }, 0.1), Throws.ArgumentException.With.Message.Contains("twice"));
    }

    // ---- PyTorch goldens (tests/scripts/make_training_goldens.py): two steps with a fixed gradient.

    static List<Parameter> GoldenParameters(GoldenFile g)
    {
        var list = new List<Parameter>();
        foreach (var name in g.Names("grad/"))
        {
            var (shape, init) = g.Tensors["init/" + name];
            // Decay on conv/linear weights only, as the script's parameter groups (and our engine) do.
            var p = new Parameter(name, shape, (float[])init.Clone()) { Decay = name.EndsWith(".weight") && shape.Length > 1 };
            g["grad/" + name].CopyTo(p.Grad, 0);
            list.Add(p);
        }
        return list;
    }

    [TestCase("sgd", 0.1, 5e-4)]
    [TestCase("adam", 1e-3, 1e-4)]
    [TestCase("adamw", 1e-3, 1e-2)]
    public void TwoStepsMatchPyTorch(string kind, double lr, double wd)
    {
        var g = GoldenFile.Load("resnet_mini.bin");
        var ps = GoldenParameters(g);
        Assert.That(ps.Count, Is.GreaterThan(20));
        var opt = Optimizer.Create(kind, ps, lr, wd, 0.9, nesterov: kind == "sgd");
        opt.Step(); opt.Step();
        foreach (var p in ps) GoldenFile.AssertClose($"{kind} {p.Name}", p.Data, g[kind + "/" + p.Name]);
    }
}
