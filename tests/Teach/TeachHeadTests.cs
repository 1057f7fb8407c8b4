// The teach head on synthetic features: both heads separate separable clusters, softmax regression beats the
// class means where the means are misleading, the learner retrains off the caller's thread and predictions
// stay valid (probabilities sum to 1, classes consistent) while it does.
using NUnit.Framework;
using ResNetRealtime.Runtime.Teach;

namespace ResNetRealtime.Tests.Teach;

public class TeachHeadTests
{
    const int D = 37; // not a multiple of the vector width: the tails run

    /// <summary>Unit vectors around one centre per class: centre + noise·N(0,1), normalised (as TeachFeatures does).</summary>
    static List<float[]>[] Clusters(int classes, int perClass, float noise, int seed, float[][] centres = null)
    {
        var rng = new Random(seed);
        centres ??= Enumerable.Range(0, classes).Select(_ => Gaussian(rng, 1f)).ToArray();
        var lists = new List<float[]>[classes];
        for (int k = 0; k < classes; k++)
        {
            lists[k] = new List<float[]>();
            for (int i = 0; i < perClass; i++)
            {
                var x = Gaussian(rng, noise);
                for (int j = 0; j < D; j++) x[j] += centres[k][j];
                float n = MathF.Sqrt(x.Sum(v => v * v));
                for (int j = 0; j < D; j++) x[j] /= n;
                lists[k].Add(x);
            }
        }
        return lists;
    }

    static float[] Gaussian(Random rng, float s) =>
        Enumerable.Range(0, D).Select(_ => s * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();

    static double Accuracy(TeachHead h, List<float[]>[] test)
    {
        var p = new float[h.Classes];
        int right = 0, all = 0;
        for (int k = 0; k < test.Length; k++)
            foreach (var x in test[k])
            {
                h.Predict(x, p);
                int best = 0;
                for (int j = 1; j < p.Length; j++) if (p[j] > p[best]) best = j;
                if (h.ClassIds[best] == k) right++;
                all++;
            }
        return (double)right / all;
    }

    [Test]
    public void Both_heads_separate_separable_clusters()
    {
        var ids = new[] { 0, 1, 2, 3 };
        var train = Clusters(4, 10, 0.3f, seed: 1);
        var rngCentres = new Random(1); // same centres for the test set: the draw order of Clusters gives them first
        var centres = Enumerable.Range(0, 4).Select(_ => Gaussian(rngCentres, 1f)).ToArray();
        var test = Clusters(4, 50, 0.3f, seed: 2, centres);
        var means = TeachHead.FromMeans(train.Select(l => (IReadOnlyList<float[]>)l).ToArray(), ids, D);
        var soft = TeachHead.Train(train.Select(l => (IReadOnlyList<float[]>)l).ToArray(), ids, D);
        Assert.That(Accuracy(means, test), Is.GreaterThanOrEqualTo(0.98), "class means");
        Assert.That(Accuracy(soft, test), Is.GreaterThanOrEqualTo(0.98), "softmax regression");
        var p = new float[4];
        soft.Predict(test[2][0], p);
        Assert.That(p.Sum(), Is.EqualTo(1).Within(1e-5), "probabilities sum to 1 (float rounding)");
        Assert.That(p[2], Is.GreaterThan(0.5f), "confident on its own class");
    }

    [Test]
    public void Softmax_regression_fixes_what_the_means_get_wrong()
    {
        // Class 0 spreads along axis 1 over [-3, 3], class 1 sits at [1, 5]; only the sign of axis 0 tells them apart.
        // The nearest mean (0 vs 3 on axis 1) misassigns the overlap; a trained boundary finds axis 0.
        var rng = new Random(3);
        var lists = new[] { new List<float[]>(), new List<float[]>() };
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < 60; i++)
            {
                var x = new float[D];
                x[0] = k == 0 ? 0.3f : -0.3f;
                x[1] = (float)(k == 0 ? rng.NextDouble() * 6 - 3 : rng.NextDouble() * 4 + 1);
                x[2] = 1;
                float n = MathF.Sqrt(x.Sum(v => v * v));
                for (int j = 0; j < D; j++) x[j] /= n;
                lists[k].Add(x);
            }
        var s = lists.Select(l => (IReadOnlyList<float[]>)l).ToArray();
        double means = Accuracy(TeachHead.FromMeans(s, [0, 1], D), lists);
        double soft = Accuracy(TeachHead.Train(s, [0, 1], D, steps: 600), lists);
        Assert.That(soft, Is.GreaterThan(means + 0.1), $"softmax {soft:P1} vs means {means:P1}");
        Assert.That(soft, Is.GreaterThanOrEqualTo(0.95));
    }

    [Test]
    public void Learner_retrains_in_the_background_and_predicts_throughout()
    {
        var layout = new TeachFeatures(["f"], [D]);
        using var learner = new TeachLearner(layout, capacityPerClass: 16);
        var train = Clusters(3, 40, 0.3f, seed: 4);
        var probs = new float[TeachLearner.MaxClasses];
        Assert.That(learner.Predict(train[0][0], probs), Is.Null, "nothing taught: no head, no throw");

        Exception writerFault = null;
        var writer = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 40; i++)
                    for (int k = 0; k < 3; k++) { learner.Add(k, train[k][i]); if (i % 7 == 0) Thread.Sleep(1); }
            }
            catch (Exception e) { writerFault = e; }
        });
        writer.Start();
        int predictions = 0;
        while (writer.IsAlive || predictions < 100)
        {
            var h = learner.Predict(train[1][0], probs);
            if (h == null) continue;
            predictions++;
            Assert.That(h.Classes, Is.InRange(1, 3));
            Assert.That(probs.AsSpan(0, h.Classes).ToArray().Sum(), Is.EqualTo(1).Within(1e-5));
        }
        writer.Join();
        Assert.That(writerFault, Is.Null);
        Assert.That(learner.WaitUntilCurrent(30_000), Is.True, "the trainer catches up");
        var head = learner.Head;
        Assert.That(head.ClassIds, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(head.Kind, Is.EqualTo("softmax regression"));
        Assert.That(learner.Count(0), Is.EqualTo(16), "the ring keeps the last 16");
        Assert.That(learner.Added(0), Is.EqualTo(40));
        Assert.That(learner.LastUpdateMs, Is.GreaterThan(0));

        learner.Clear(1);
        Assert.That(learner.WaitUntilCurrent(30_000), Is.True);
        Assert.That(learner.Head.ClassIds, Is.EqualTo(new[] { 0, 2 }), "a cleared class leaves the head");
        Assert.That(learner.Count(1), Is.Zero);
    }

    [Test]
    public void Bad_arguments_say_what_was_wrong()
    {
        using var learner = new TeachLearner(new TeachFeatures(["f"], [D]));
        Assert.That(() => learner.Add(9, new float[D]), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("slot 9"));
        Assert.That(() => learner.Add(0, new float[D + 1]), Throws.ArgumentException.With.Message.Contains($"{D + 1} values"));
        var one = TeachHead.FromMeans([new List<float[]> { new float[D] }], [4], D);
        Assert.That(() => one.Predict(new float[3], new float[1]), Throws.ArgumentException.With.Message.Contains("3 values"));
    }
}
