using NUnit.Framework;
using ResNetRealtime.Runtime.Evaluation;
using ResNetRealtime.Tools.Evaluation;

namespace ResNetRealtime.Tests.Eval;

/// <summary>EvalScores and Predictor.TopIndices against independent counts: a hand-built case whose
/// confusion matrix is written out, and seeded random cases checked against a sort and a direct count.</summary>
[TestFixture]
public class EvalScoresTests
{
    [Test]
    public void AHandBuiltThreeClassCaseGivesItsKnownConfusionMatrix()
    {
        // true:  0 0 0 0 0 1 1 1 2 2 2 2     predicted (top-1 first, k=2):
        int[] labels = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
        int[] top1 = [0, 0, 0, 1, 2, 1, 1, 0, 2, 2, 1, 2];
        int[] second = [1, 1, 2, 0, 0, 0, 2, 2, 0, 1, 2, 0];   // image 3, 4 and 10 have the label second; 7 does not
        int[] top = labels.Select((_, i) => new[] { top1[i], second[i] }).SelectMany(p => p).ToArray();
        int[] reference = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2];   // a perfect reference: agreement = accuracy
        var s = EvalScores.Tally(labels, top, 2, 3, reference);
        int[,] expected = { { 3, 1, 1 }, { 1, 2, 0 }, { 0, 1, 3 } };
        Assert.That(s.Confusion, Is.EqualTo(expected));
        Assert.That(s.Top1Correct, Is.EqualTo(8));
        Assert.That(s.Accuracy, Is.EqualTo(8 / 12.0));
        Assert.That(s.TopKCorrect, Is.EqualTo(11), "top-2: all but image 7");
        Assert.That(s.ClassAccuracy(0), Is.EqualTo(3 / 5.0));
        Assert.That(s.ClassAccuracy(1), Is.EqualTo(2 / 3.0));
        Assert.That(s.ClassAccuracy(2), Is.EqualTo(3 / 4.0));
        Assert.That(s.Agreements, Is.EqualTo(8));
        var noRef = EvalScores.Tally(labels, top, 2, 3);
        Assert.That(noRef.Agreements, Is.EqualTo(-1));
        Assert.That(noRef.Agreement, Is.NaN);
    }

    [TestCase(1, 7, 50)]
    [TestCase(5, 13, 127)]
    public void PerClassAccuracyWeightedByClassSizeIsTheAccuracy(int k, int classes, int n)
    {
        var rng = new Random(classes);
        var labels = Enumerable.Range(0, n).Select(_ => rng.Next(classes - 1)).ToArray();   // the last class has no images
        var top = Enumerable.Range(0, n).SelectMany(i =>
            Enumerable.Range(0, classes).OrderBy(_ => rng.Next()).Prepend(rng.Next(3) == 0 ? labels[i] : -1).Where(c => c >= 0).Distinct().Take(k)).ToArray();
        var refTop1 = Enumerable.Range(0, n).Select(i => rng.Next(2) == 0 ? top[i * k] : (top[i * k] + 1) % classes).ToArray();
        var s = EvalScores.Tally(labels, top, k, classes, refTop1);
        double weighted = Enumerable.Range(0, classes).Where(c => s.ClassCount[c] > 0).Sum(c => s.ClassAccuracy(c) * s.ClassCount[c]) / n;
        Assert.That(weighted, Is.EqualTo(s.Accuracy).Within(1e-12));
        Assert.That(s.ClassAccuracy(classes - 1), Is.NaN, "a class with no images");
        Assert.That(s.Top1Correct, Is.EqualTo(Enumerable.Range(0, n).Count(i => top[i * k] == labels[i])));
        Assert.That(s.TopKCorrect, Is.EqualTo(Enumerable.Range(0, n).Count(i => top.Skip(i * k).Take(k).Contains(labels[i]))));
        Assert.That(s.Agreements, Is.EqualTo(Enumerable.Range(0, n).Count(i => refTop1[i] == top[i * k])));
        Assert.That(s.Confusion.Cast<int>().Sum(), Is.EqualTo(n));
    }

    [Test]
    public void BadInputIsOneClearMessage()
    {
        Assert.That(() => EvalScores.Tally([], [], 1, 3), Throws.ArgumentException.With.Message.Contains("empty"));
        Assert.That(() => EvalScores.Tally([0, 1], [0], 1, 3), Throws.ArgumentException.With.Message.Contains("1 predictions for 2 images"));
        Assert.That(() => EvalScores.Tally([0, 3], [0, 1], 1, 3), Throws.ArgumentException.With.Message.Contains("label 3 of image 1"));
    }

    [TestCase(1, 1)]
    [TestCase(7, 1)]
    [TestCase(13, 5)]
    [TestCase(127, 5)]
    [TestCase(5, 5)]
    public void TopIndicesMatchesAStableSortDescending(int length, int k)
    {
        var rng = new Random(length * 31 + k);
        for (int trial = 0; trial < 20; trial++)
        {
            // Values on a coarse grid so ties occur; a tie goes to the lower index, as argmax does.
            var v = Enumerable.Range(0, length).Select(_ => (float)rng.Next(6)).ToArray();
            var expected = Enumerable.Range(0, length).OrderByDescending(i => v[i]).ThenBy(i => i).Take(k).ToArray();
            var got = new int[k];
            Predictor.TopIndices(v, got);
            Assert.That(got, Is.EqualTo(expected), $"values [{string.Join(",", v)}]");
        }
    }
}
