// TeachBackgrounds against frames whose object and background are known by construction: a square of one colour on
// a vertical gradient (the mask is exactly the square, the painted-out frame is the gradient), a frame of noise (no
// clean mask), an object too small; then the order rule: a class borrows the backgrounds of the classes taught
// before it, the first class the next one's, and a cleared class lends no more.
using NUnit.Framework;
using ResNetRealtime.Runtime.Teach;

namespace ResNetRealtime.Tests.Teach;

public class TeachBackgroundsTests
{
    const int W = 40, H = 30;

    /// <summary>A vertical gradient of dull colour (row y: (30 + y, 40 + y, 50 + y)), with a saturated square
    /// [x0, x0 + side) × [y0, y0 + side) of (220, 30, 200) when side &gt; 0.</summary>
    internal static byte[] Frame(int x0, int y0, int side, int shift = 0)
    {
        var f = new byte[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int i = (y * W + x) * 3;
                bool inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                f[i] = (byte)(inside ? 220 : 30 + y + shift); f[i + 1] = (byte)(inside ? 30 : 40 + y + shift); f[i + 2] = (byte)(inside ? 200 : 50 + y + shift);
            }
        return f;
    }

    static bool[] Mask(byte[] f, out bool clean)
    {
        var m = new bool[W * H];
        clean = TeachBackgrounds.ObjectMask(f, W, H, m, new bool[4096]);
        return m;
    }

    [Test]
    public void The_mask_is_the_object_and_painting_it_out_gives_back_the_background()
    {
        var f = Frame(12, 9, 10);
        var m = Mask(f, out bool clean);
        Assert.That(clean, Is.True, "a 10×10 square is 8% of a 40×30 frame");
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                Assert.That(m[y * W + x], Is.EqualTo(x >= 12 && x < 22 && y >= 9 && y < 19), $"pixel ({x}, {y})");
        var bg = new byte[f.Length];
        TeachBackgrounds.PaintOut(f, m, W, H, bg);
        // each row is one colour, so the interpolation between the square's two neighbours is exact
        Assert.That(bg, Is.EqualTo(Frame(0, 0, 0)));
    }

    [Test]
    public void Painting_out_interpolates_along_the_row_and_copies_at_the_edges()
    {
        // one row, 5 pixels: background 0 and 100 around three object pixels → 25, 50, 75; an object run at the left
        // edge takes its right neighbour
        var rgb = new byte[] { 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 100, 100, 100 };
        var dst = new byte[15];
        TeachBackgrounds.PaintOut(rgb, [false, true, true, true, false], 5, 1, dst);
        Assert.That(dst, Is.EqualTo(new byte[] { 0, 0, 0, 25, 25, 25, 50, 50, 50, 75, 75, 75, 100, 100, 100 }));
        TeachBackgrounds.PaintOut(rgb, [true, true, false, false, false], 5, 1, dst);
        Assert.That(dst[..6], Is.EqualTo(new byte[] { 9, 9, 9, 9, 9, 9 }), "the run [0, 2) copies pixel 2");
    }

    [Test]
    public void No_clean_mask_on_clutter_or_a_tiny_object()
    {
        var rng = new Random(5);
        var noise = new byte[W * H * 3];
        rng.NextBytes(noise);
        Mask(noise, out bool clean);
        Assert.That(clean, Is.False, "noise: the border has nearly every colour, or the inside none of its own");
        Mask(Frame(20, 15, 3), out clean);
        Assert.That(clean, Is.False, "a 3×3 object is under 2% of the frame");
        var b = new TeachBackgrounds();
        b.Observe(0, noise, W, H);
        Assert.That(b.Masked, Is.False);
        Assert.That(b.Has(0), Is.False, "no background kept from a frame without a clean mask");
    }

    [Test]
    public void A_class_takes_the_backgrounds_of_the_classes_taught_before_it()
    {
        var b = new TeachBackgrounds();
        var first = Frame(10, 8, 10, shift: 60);  // class 3 on a brighter gradient, taught first
        var second = Frame(20, 10, 8);            // class 1
        var dst = new byte[W * H * 3];
        b.Observe(3, first, W, H);
        Assert.That(b.Compose(0, first, dst), Is.False, "the first class has no other class to borrow from yet");
        Assert.That(b.GotBackground && b.Lenders == 0, Is.True);
        b.Observe(1, second, W, H);
        Assert.That(b.Has(1) && b.Has(3), Is.True);
        for (int v = 0; v < TeachAugment.Count; v++)
        {
            Assert.That(b.Compose(v, second, dst), Is.True);
            // class 1's square on class 3's painted-out gradient
            var want = Frame(20, 10, 8, shift: 60);
            Assert.That(dst, Is.EqualTo(want), $"variant {v}");
        }
        b.Observe(3, first, W, H); // class 3 again: no class came before it, so it borrows from the next, class 1
        Assert.That(b.Lenders, Is.EqualTo(1));
        Assert.That(b.Compose(7, first, dst), Is.True);
        Assert.That(dst, Is.EqualTo(Frame(10, 8, 10)), "class 3's square on class 1's gradient");
        b.Clear(3);
        b.Observe(1, second, W, H);
        Assert.That(b.Compose(0, second, dst), Is.False, "a cleared class lends its background no more");
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Observe(TeachLearner.MaxClasses, second, W, H));
        var e = Assert.Throws<ArgumentException>(() => b.Observe(1, second.AsSpan(0, 10).ToArray(), W, H));
        Assert.That(e.Message, Does.Contain("40x30").And.Contain("3600").And.Contain("10"));
    }
}
