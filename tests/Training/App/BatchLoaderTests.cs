using NUnit.Framework;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Tests.Training.App;

public class BatchLoaderTests
{
    /// <summary>n images of c×h×w with pixel = (index·31 + offset·7) mod 256, label = index mod 3.</summary>
    static ArrayDataset Synthetic(int n, int c, int h, int w)
    {
        int b = c * h * w;
        var px = new byte[n * b];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)((i / b * 31 + i % b * 7) % 256);
        return new ArrayDataset(px, Enumerable.Range(0, n).Select(i => (byte)(i % 3)).ToArray(), c, h, w, new[] { "a", "b", "c" }, "synthetic");
    }

    [Test]
    public void NormalisesWithoutAugmentationInOrder()
    {
        var ds = Synthetic(13, 2, 3, 5);
        var mean = new[] { 0.5f, 0.25f };
        var std = new[] { 0.2f, 0.4f };
        var loader = new BatchLoader(ds, 4, mean, std, Augmentation.None, 1, shuffle: false);
        Assert.That(loader.BatchesPerEpoch, Is.EqualTo(4));
        var img = new byte[30];
        int seen = 0;
        foreach (var batch in loader.Epoch(0))
        {
            Assert.That(batch.Count, Is.EqualTo(batch.Index < 3 ? 4 : 1));
            for (int k = 0; k < batch.Count; k++, seen++)
            {
                ds.CopyImage(seen, img);
                Assert.That(batch.Y[k], Is.EqualTo(seen % 3));
                for (int j = 0; j < 30; j++)
                {
                    int ch = j / 15;
                    float expect = (img[j] / 255f - mean[ch]) / std[ch];
                    Assert.That(batch.X[k * 30 + j], Is.EqualTo(expect).Within(1e-5f), $"image {seen} value {j}");
                }
            }
        }
        Assert.That(seen, Is.EqualTo(13));
    }

    [Test]
    public void CropAndFlipAreTorchvisionsSemantics()
    {
        // With mean 0 / std 1/255 the batch holds raw pixel values, so each augmented image must equal
        // some crop (offset in [-pad, pad]², zero outside) of the original, possibly mirrored.
        var ds = Synthetic(7, 1, 5, 7);
        var loader = new BatchLoader(ds, 7, new[] { 0f }, new[] { 1f / 255 }, new Augmentation(2, true), 42, shuffle: false);
        var batch = loader.Epoch(3).Single();
        var img = new byte[35];
        int flips = 0, shifted = 0;
        for (int k = 0; k < 7; k++)
        {
            ds.CopyImage(k, img);
            var got = batch.X.AsSpan(k * 35, 35).ToArray().Select(v => (int)MathF.Round(v)).ToArray();
            bool found = false;
            for (int dy = -2; dy <= 2 && !found; dy++)
                for (int dx = -2; dx <= 2 && !found; dx++)
                    foreach (bool flip in new[] { false, true })
                    {
                        bool ok = true;
                        for (int y = 0; y < 5 && ok; y++)
                            for (int x = 0; x < 7 && ok; x++)
                            {
                                int sy = y + dy, sx = (flip ? 6 - x : x) + dx;
                                int v = sy >= 0 && sy < 5 && sx >= 0 && sx < 7 ? img[sy * 7 + sx] : 0;
                                ok = got[y * 7 + x] == v;
                            }
                        if (ok) { found = true; if (flip) flips++; if (dy != 0 || dx != 0) shifted++; break; }
                    }
            Assert.That(found, Is.True, $"image {k} is not a padded crop/flip of the original");
        }
        Assert.That(shifted, Is.GreaterThan(0), "no image was shifted: augmentation inactive");
    }

    [Test]
    public void ShuffleIsSeededAndResumableAtAnyBatch()
    {
        var ds = Synthetic(50, 1, 4, 4);
        BatchLoader Make(long seed) => new(ds, 8, new[] { 0.5f }, new[] { 0.25f }, new Augmentation(1, true), seed, shuffle: true);
        var a = Make(7).Epoch(2).Select(b => (b.X.AsSpan(0, b.Count * 16).ToArray(), b.Y.AsSpan(0, b.Count).ToArray())).ToList();
        var again = Make(7).Epoch(2).Select(b => (b.X.AsSpan(0, b.Count * 16).ToArray(), b.Y.AsSpan(0, b.Count).ToArray())).ToList();
        var resumed = Make(7).Epoch(2, startBatch: 3).Select(b => (b.X.AsSpan(0, b.Count * 16).ToArray(), b.Y.AsSpan(0, b.Count).ToArray())).ToList();
        Assert.That(again.Select(t => t.Item1), Is.EqualTo(a.Select(t => t.Item1)));
        Assert.That(resumed.Select(t => t.Item1), Is.EqualTo(a.Skip(3).Select(t => t.Item1)));
        Assert.That(resumed.Select(t => t.Item2), Is.EqualTo(a.Skip(3).Select(t => t.Item2)));
        var order2 = Make(7).Order(2);
        Assert.That(order2.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, 50)), "not a permutation");
        Assert.That(Make(7).Order(3), Is.Not.EqualTo(order2), "epochs share an order");
        Assert.That(Make(8).Order(2), Is.Not.EqualTo(order2), "seeds share an order");
    }

    [Test]
    public void ProducerErrorsReachTheConsumerAndEarlyExitStopsIt()
    {
        var loader = new BatchLoader(new Failing(), 2, new[] { 0f }, new[] { 1f }, Augmentation.None, 0, false);
        Assert.That(() => loader.Epoch(0).ToList(), Throws.InstanceOf<IOException>().With.Message.Contains("disk gone"));
        var ok = new BatchLoader(Synthetic(100, 1, 2, 2), 2, new[] { 0f }, new[] { 1f }, Augmentation.None, 0, false);
        Assert.That(ok.Epoch(0).Take(2).Count(), Is.EqualTo(2));   // disposing mid-epoch must not hang
    }

    sealed class Failing : ImageDataset
    {
        public Failing() : base(10, 1, 2, 2, new[] { "x" }) { }
        public override int Label(int index) => 0;
        public override void CopyImage(int index, Span<byte> chw)
        {
            if (index == 5) throw new IOException("disk gone");
        }
    }
}
