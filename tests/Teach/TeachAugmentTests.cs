// The taught frames' variants: each pixel shuffle against a hand-written table on a non-square 3×2 frame (so a
// swapped width/height or a turn the wrong way shows), the turns composing to the identity, and TeachAugmenter
// teaching exactly the backbone's embeddings of those variants — checked against a second backbone run here —
// dropping what a full queue cannot hold and nothing of a class cleared while its frames were queued; the first
// class's variants waiting for a second class's background (TeachBackgrounds).
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Teach;

public class TeachAugmentTests
{
    const int W = 3, H = 2;

    /// <summary>Pixel (x, y) of the test frame: R = 10y + x, G = R + 100, B = R + 200 (every pixel and channel distinct).</summary>
    static byte[] Frame()
    {
        var f = new byte[W * H * 3];
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) { int i = (y * W + x) * 3, v = 10 * y + x; f[i] = (byte)v; f[i + 1] = (byte)(v + 100); f[i + 2] = (byte)(v + 200); }
        return f;
    }

    static byte[] Run(string name, byte[] src, int w, int h)
    {
        var dst = new byte[src.Length];
        TeachAugment.Apply(Array.IndexOf(TeachAugment.Names, name), src, w, h, dst);
        return dst;
    }

    /// <summary>The source pixels (x, y) each output pixel should hold, row by row.</summary>
    static byte[] Expect(params (int X, int Y)[] pixels) => pixels.SelectMany(p => Frame().AsSpan((p.Y * W + p.X) * 3, 3).ToArray()).ToArray();

    [Test]
    public void Turns_and_mirror_move_pixels_as_written()
    {
        // r90 (clockwise): 2 wide, 3 tall; the top row is the left column read bottom to top.
        Assert.That(Run("r90", Frame(), W, H), Is.EqualTo(Expect((0, 1), (0, 0), (1, 1), (1, 0), (2, 1), (2, 0))));
        Assert.That(TeachAugment.Size(Array.IndexOf(TeachAugment.Names, "r90"), W, H), Is.EqualTo((2, 3)));
        // r270: the top row is the right column read top to bottom.
        Assert.That(Run("r270", Frame(), W, H), Is.EqualTo(Expect((2, 0), (2, 1), (1, 0), (1, 1), (0, 0), (0, 1))));
        Assert.That(Run("r180", Frame(), W, H), Is.EqualTo(Expect((2, 1), (1, 1), (0, 1), (2, 0), (1, 0), (0, 0))));
        Assert.That(Run("flip", Frame(), W, H), Is.EqualTo(Expect((2, 0), (1, 0), (0, 0), (2, 1), (1, 1), (0, 1))));
        Assert.That(TeachAugment.Size(Array.IndexOf(TeachAugment.Names, "flip"), W, H), Is.EqualTo((W, H)));
    }

    [Test]
    public void Turns_compose_to_the_identity()
    {
        var f = Frame();
        Assert.That(Run("r270", Run("r90", f, W, H), H, W), Is.EqualTo(f));
        Assert.That(Run("r180", Run("r180", f, W, H), W, H), Is.EqualTo(f));
        Assert.That(Run("r90", Run("r90", Run("r90", Run("r90", f, W, H), H, W), W, H), H, W), Is.EqualTo(f));
        Assert.That(Run("flip", Run("flip", f, W, H), W, H), Is.EqualTo(f));
    }

    [Test]
    public void Channel_orders_and_grey()
    {
        var f = Frame();
        var p120 = Run("p120", f, W, H);
        var p021 = Run("p021", f, W, H);
        var grey = Run("grey", f, W, H);
        for (int i = 0; i < W * H; i++)
        {
            int r = f[3 * i], g = f[3 * i + 1], b = f[3 * i + 2];
            Assert.That(p120.AsSpan(3 * i, 3).ToArray(), Is.EqualTo(new[] { (byte)g, (byte)b, (byte)r }), $"pixel {i}: R,G,B take G,B,R");
            Assert.That(p021.AsSpan(3 * i, 3).ToArray(), Is.EqualTo(new[] { (byte)r, (byte)b, (byte)g }));
            byte y = (byte)((77 * r + 150 * g + 29 * b) >> 8);
            Assert.That(grey.AsSpan(3 * i, 3).ToArray(), Is.EqualTo(new[] { y, y, y }));
        }
        // all ten differ from the frame and from each other
        var all = TeachAugment.Names.Select(n => Convert.ToHexString(Run(n, f, W, H))).Append(Convert.ToHexString(f)).ToArray();
        Assert.That(all.Distinct().Count(), Is.EqualTo(TeachAugment.Count + 1));
    }

    [Test]
    public void Bad_sizes_are_refused_with_the_numbers()
    {
        var e = Assert.Throws<ArgumentException>(() => TeachAugment.Apply(0, new byte[10], W, H, new byte[18]));
        Assert.That(e.Message, Does.Contain("3x2").And.Contain("18").And.Contain("10"));
        Assert.Throws<ArgumentOutOfRangeException>(() => TeachAugment.Apply(TeachAugment.Count, Frame(), W, H, new byte[18]));
    }

    // The augmenter over a random-weight ResNet-18 at 32² (no download).
    static LoadedModel Backbone() => LoadedModel.From(ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", 10, 3, 32),
        new ResNetBuildOptions { Seed = 5, Output = ResNetOutput.PooledFeatures }));

    static byte[] Picture(int seed, int w = 40, int h = 30)
    {
        var rng = new Random(seed);
        var p = new byte[w * h * 3];
        rng.NextBytes(p);
        return p;
    }

    [Test]
    public void Augmenter_teaches_the_backbone_embeddings_of_the_ten_variants()
    {
        var model = Backbone();
        using var reference = new TeachBackbone(model, ["layer4"], pooling: TeachPooling.AvgMax);
        using var learner = new TeachLearner(reference.Features);
        using var aug = new TeachAugmenter(learner, model, ["layer4"], TeachPooling.AvgMax);
        const int w = 40, h = 30;
        var pic = Picture(1, w, h);
        Assert.That(aug.Enqueue(2, pic, w, h), Is.True);
        Assert.That(aug.WaitIdle(60_000), Is.True);
        Assert.That(learner.WaitUntilCurrent(60_000), Is.True);
        Assert.That((aug.Added, aug.Dropped, learner.Count(2)), Is.EqualTo((10L, 0L, 10)));

        // One class: the head is the class mean, weight row = Sharpness × mean of the ten embeddings (TeachHead.FromMeans).
        int d = reference.Features.Length;
        var mean = new double[d];
        var e = new float[d];
        var v = new byte[pic.Length];
        for (int k = 0; k < TeachAugment.Count; k++)
        {
            var (vw, vh) = TeachAugment.Size(k, w, h);
            TeachAugment.Apply(k, pic, w, h, v);
            reference.Embed(v, vw, vh, vw * 3, PixelFormat.Rgb24, e);
            for (int j = 0; j < d; j++) mean[j] += e[j] / 10.0;
        }
        var head = learner.Head;
        Assert.That(head.ClassIds, Is.EqualTo(new[] { 2 }));
        for (int j = 0; j < d; j++)
            Assert.That(head.Weight[j] / TeachHead.Sharpness, Is.EqualTo(mean[j]).Within(1e-5), $"feature {j}"); // float32 sums of 10 unit-scale values
    }

    [Test]
    public void Clear_drops_a_class_queued_frames_and_a_full_queue_drops_new_ones()
    {
        var model = Backbone();
        using var learner = new TeachLearner(new TeachFeatures(["x"], [512], TeachPooling.AvgMax));
        using (var aug = new TeachAugmenter(learner, model, ["layer4"], TeachPooling.AvgMax, slots: 4))
        {
            for (int i = 0; i < 3; i++) Assert.That(aug.Enqueue(1, Picture(i), 40, 30), Is.True);
            Assert.That(aug.Enqueue(4, Picture(9), 40, 30), Is.True);
            aug.Clear(1); // at most the first frame of class 1 is in flight; its embeddings must not arrive
            Assert.That(aug.WaitIdle(60_000), Is.True);
            Assert.That((learner.Count(1), learner.Count(4)), Is.EqualTo((0, 10)));
        }
        using var learner2 = new TeachLearner(new TeachFeatures(["x"], [512], TeachPooling.AvgMax));
        using var one = new TeachAugmenter(learner2, model, ["layer4"], TeachPooling.AvgMax, slots: 1);
        Assert.That(one.Enqueue(0, Picture(1), 40, 30), Is.True);
        Assert.That(one.Enqueue(0, Picture(2), 40, 30), Is.False, "the only slot is held until its ten passes are done");
        Assert.That(one.Dropped, Is.EqualTo(1));
        Assert.That(one.WaitIdle(60_000), Is.True);
        Assert.That(learner2.Count(0), Is.EqualTo(10));
    }

    [Test]
    public void The_first_class_variants_wait_for_a_second_class_background()
    {
        var model = Backbone();
        using var learner = new TeachLearner(new TeachFeatures(["x"], [512], TeachPooling.AvgMax));
        using var aug = new TeachAugmenter(learner, model, ["layer4"], TeachPooling.AvgMax, slots: 4);
        // a square on a gradient (TeachBackgroundsTests): a clean mask, so the frame can take another background
        Assert.That(aug.Enqueue(0, TeachBackgroundsTests.Frame(10, 8, 10, shift: 60), 40, 30), Is.True);
        Assert.That(aug.WaitIdle(60_000), Is.True, "a waiting frame is not work to wait for");
        Assert.That((aug.Waiting, aug.Added, learner.Count(0)), Is.EqualTo((1, 0L, 0)));
        Assert.That(aug.Enqueue(1, TeachBackgroundsTests.Frame(20, 10, 8), 40, 30), Is.True);
        Assert.That(aug.WaitIdle(60_000), Is.True);
        Assert.That((aug.Waiting, aug.Added, aug.Swapped, learner.Count(0), learner.Count(1)), Is.EqualTo((0, 20L, 20L, 10, 10)),
            "class 1 borrows class 0's background, and then class 0 class 1's");
        // noise has no clean mask: its variants go at once, on their own background
        Assert.That(aug.Enqueue(2, Picture(3), 40, 30), Is.True);
        Assert.That(aug.WaitIdle(60_000), Is.True);
        Assert.That((aug.Added, aug.Swapped), Is.EqualTo((30L, 20L)));

        using var learner2 = new TeachLearner(new TeachFeatures(["x"], [512], TeachPooling.AvgMax));
        using var first = new TeachAugmenter(learner2, model, ["layer4"], TeachPooling.AvgMax, slots: 4);
        for (int i = 0; i < 4; i++) Assert.That(first.Enqueue(0, TeachBackgroundsTests.Frame(10 + i, 8, 10), 40, 30), Is.True);
        Assert.That(first.WaitIdle(60_000), Is.True);
        Assert.That((first.Waiting, first.Added), Is.EqualTo((3, 10L)), "3/4 of the slots wait; the frame after them goes on its own background");
        first.Clear(0);
        Assert.That(first.Waiting, Is.EqualTo(0), "a cleared class's waiting frames free their slots");

        using var learner3 = new TeachLearner(new TeachFeatures(["x"], [512], TeachPooling.AvgMax));
        using var lone = new TeachAugmenter(learner3, model, ["layer4"], TeachPooling.AvgMax, slots: 4);
        Assert.That(lone.Enqueue(0, TeachBackgroundsTests.Frame(10, 8, 10), 40, 30), Is.True);
        Assert.That(lone.Enqueue(1, Picture(4), 40, 30), Is.True); // a second class with no clean mask: nothing to lend
        Assert.That(lone.WaitIdle(60_000), Is.True);
        Assert.That((lone.Waiting, lone.Added, lone.Swapped), Is.EqualTo((0, 20L, 0L)), "the waiting frame goes on its own background once a second class comes");
    }

    [Test]
    public void Augmenter_refuses_a_learner_of_another_layout()
    {
        using var learner = new TeachLearner(new TeachFeatures(["x"], [512], TeachPooling.Avg));
        var e = Assert.Throws<ArgumentException>(() => new TeachAugmenter(learner, Backbone(), ["layer4"], TeachPooling.AvgMax));
        Assert.That(e.Message, Does.Contain("1024").And.Contain("512"));
    }
}
