using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;

namespace ResNetRealtime.Tests.Imaging;

public class PreprocessorTests
{
    // The fast path blends in float32 (vertical first, then horizontal) where the reference works in
    // double per pixel; intermediates are ≤ 255, so rounding is ~255·2⁻²⁴·few ≈ 1e-4 in pixel units,
    // i.e. ~2e-6 after /255/std. 1e-4 leaves margin while still catching any wrong tap or weight
    // (one pixel level off is 1/255/0.229 ≈ 0.017).
    const float Tol = 1e-4f;

    static byte[] RandomFrame(int w, int h, int stride, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[(h - 1) * stride + w * 4 + 0];
        rng.NextBytes(px);
        return px;
    }

    static IEnumerable<TestCaseData> Cases()
    {
        var sizes = new (int w, int h, int th, int tw)[]
        {
            (1, 1, 224, 224), (7, 13, 224, 224), (13, 7, 5, 5), (127, 33, 16, 16), (1280, 720, 224, 224),
            (640, 480, 32, 32), (33, 127, 7, 13), (224, 224, 224, 224), (2, 300, 1, 1), (300, 2, 9, 3),
        };
        foreach (var f in Enum.GetValues<PixelFormat>())
            foreach (var (w, h, th, tw) in sizes)
                foreach (int pad in new[] { 0, 3 })
                    yield return new TestCaseData(w, h, pad, f, th, tw).SetName($"Matches_reference {w}x{h}+{pad} {f} -> {th}x{tw}");
    }

    [TestCaseSource(nameof(Cases))]
    public void Fast_path_matches_reference(int w, int h, int pad, PixelFormat f, int th, int tw)
    {
        int stride = w * f.BytesPerPixel() + pad;
        var px = RandomFrame(w, h, stride, w * 31 + h);
        // Trim to the exact minimum length: the fast path must not read beyond the last pixel.
        px = px.AsSpan(0, (h - 1) * stride + w * f.BytesPerPixel()).ToArray();
        foreach (int c in new[] { 3, 1 })
        {
            var pre = new Preprocessor(c, th, tw);
            var want = new float[pre.OutputLength];
            pre.RunReference(px, w, h, stride, f, want);
            foreach (bool simd in new[] { true, false })
            {
                pre.UseSimd = simd;
                var got = new float[pre.OutputLength];
                pre.Run(px, w, h, stride, f, got);
                for (int i = 0; i < got.Length; i++)
                    if (Math.Abs(got[i] - want[i]) > Tol)
                        Assert.Fail($"C={c} simd={simd}: element {i} (ch {i / (th * tw)}, y {i % (th * tw) / tw}, x {i % tw}) = {got[i]}, reference {want[i]}");
            }
        }
    }

    [Test]
    public void Geometry_matches_torchvision_resize256_centercrop224()
    {
        // torchvision: Resize(256) on 1280x720 → 455x256 (int(256*1280/720) = 455); CenterCrop(224):
        // top = round((256-224)/2) = 16, left = round((455-224)/2) = round(115.5) = 116 (half to even).
        var g = CropGeometry.Compute(1280, 720, 224, 224, Preprocessor.DefaultCropRatio);
        Assert.That((g.ResizedWidth, g.ResizedHeight, g.Left, g.Top), Is.EqualTo((455, 256, 116, 16)));
        // Portrait 480x640 → 256x341, crop at (16, 58).
        g = CropGeometry.Compute(480, 640, 224, 224, Preprocessor.DefaultCropRatio);
        Assert.That((g.ResizedWidth, g.ResizedHeight, g.Left, g.Top), Is.EqualTo((256, 341, 16, 58)));
        // Ratio 1: the shorter side is resized straight to the crop.
        g = CropGeometry.Compute(640, 480, 224, 224, 1.0);
        Assert.That((g.ResizedWidth, g.ResizedHeight, g.Left, g.Top), Is.EqualTo((298, 224, 37, 0)));
    }

    [Test]
    public void Uniform_frame_gives_normalised_constant_in_rgb_order()
    {
        // BGRA pixel (B=10, G=20, R=30): the output's channel 0 must be red.
        int w = 50, h = 40;
        var px = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++) { px[4 * i] = 10; px[4 * i + 1] = 20; px[4 * i + 2] = 30; px[4 * i + 3] = 255; }
        var pre = new Preprocessor(3, 8, 8);
        var o = new float[pre.OutputLength];
        pre.Run(px, w, h, w * 4, PixelFormat.Bgra32, o);
        Assert.That(o[0], Is.EqualTo((30 / 255f - 0.485f) / 0.229f).Within(1e-5));
        Assert.That(o[64], Is.EqualTo((20 / 255f - 0.456f) / 0.224f).Within(1e-5));
        Assert.That(o[128], Is.EqualTo((10 / 255f - 0.406f) / 0.225f).Within(1e-5));
    }

    [Test]
    public void Bad_arguments_are_rejected_with_values()
    {
        var pre = new Preprocessor(3, 4, 4);
        var o = new float[pre.OutputLength];
        var ex = Assert.Throws<ArgumentException>(() => pre.Run(new byte[10], 4, 4, 16, PixelFormat.Rgba32, o));
        Assert.That(ex.Message, Does.Contain("10 bytes").And.Contain("needs 64"));
        ex = Assert.Throws<ArgumentException>(() => pre.Run(new byte[100], 4, 4, 8, PixelFormat.Rgb24, o));
        Assert.That(ex.Message, Does.Contain("stride 8"));
        ex = Assert.Throws<ArgumentException>(() => pre.Run(new byte[64], 4, 4, 16, PixelFormat.Rgba32, new float[5]));
        Assert.That(ex.Message, Does.Contain("48"));
        Assert.Throws<ArgumentException>(() => new Preprocessor(3, 4, 4, new float[] { 0.5f }, new float[] { 0.5f }));
    }

    [Test]
    public void Steady_state_allocates_nothing()
    {
        var pre = new Preprocessor(3, 224, 224);
        var px = RandomFrame(1280, 720, 1280 * 4, 1);
        var o = new float[pre.OutputLength];
        Assert.That(SteadyState.BytesPerWindow(() => pre.Run(px, 1280, 720, 1280 * 4, PixelFormat.Bgra32, o)), Is.EqualTo(0));
    }

    [Test, Explicit("benchmark, not a test: timings on shared CI machines are noise; `rr bench` reports preprocess p50"), Category("Bench")]
    public void Timing_1280x720_to_224_is_reported()
    {
        // Reports p50 (single thread) with a loose sanity bound (20 ms); the 0.5 ms goal is measured by
        // `rr bench` beside the bare ORT session. Run with --filter Name~Timing_1280x720.
        var pre = new Preprocessor(3, 224, 224);
        var px = RandomFrame(1280, 720, 1280 * 4, 2);
        var o = new float[pre.OutputLength];
        for (int i = 0; i < 20; i++) pre.Run(px, 1280, 720, 1280 * 4, PixelFormat.Bgra32, o);
        var t = new double[200];
        for (int i = 0; i < t.Length; i++)
        {
            long a = Stopwatch.GetTimestamp();
            pre.Run(px, 1280, 720, 1280 * 4, PixelFormat.Bgra32, o);
            t[i] = Stopwatch.GetElapsedTime(a).TotalMilliseconds;
        }
        Array.Sort(t);
        TestContext.Out.WriteLine($"preprocess 1280x720 BGRA -> 3x224x224: p50 {t[100]:F3} ms, p95 {t[190]:F3} ms (1 thread)");
        Assert.That(t[100], Is.LessThan(20));
    }
}
