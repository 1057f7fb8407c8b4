using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Pretrained;

/// <summary>
/// The converted model, fed by our own Preprocessor with the model's rr.mean/rr.std, gives the original
/// network's features after the original preprocessing (ResNetPreprocess.onnx chained in front).
/// </summary>
public class PretrainedEquivalenceTests
{
    // 1e-4 of the largest feature: the two graphs differ only in float rounding — our Preprocessor's
    // x·(1/(255·std)) − mean/std against the original's x − M, a mean image split into m̄ + residual, and
    // (on gl) BatchNorm folded into the convs — each a few ulps per value, summed over ~20 layers.
    // Relative to the largest feature, since ReLU makes many features 0 or nearly so.
    const double Tolerance = 1e-4;

    static (float[] want, float[] input) Reference(int seed)
    {
        var (files, converted) = PretrainedFixture.Require();
        var rgb = PretrainedFixture.Picture(seed);
        // Original: RGB 0..255 planar.
        var raw = new float[3 * 224 * 224];
        for (int i = 0; i < 224 * 224; i++) for (int c = 0; c < 3; c++) raw[c * 224 * 224 + i] = rgb[i * 3 + c];
        using var orig = BackendFactory.Create(Backend.OrtCpu, PretrainedFixture.OriginalChain(files), new BackendOptions { Threads = 1 });
        var want = new float[orig.Classes];
        orig.Run(raw, 1, want);
        // Ours: the Preprocessor as every frame goes through it (same-size input, crop ratio 1: no resampling).
        var info = ModelInspector.Inspect(OnnxModel.Load(converted));
        var pre = new Preprocessor(3, 224, 224, info.Mean, info.Std, cropRatio: 1.0);
        var input = new float[pre.OutputLength];
        pre.Run(rgb, 224, 224, 224 * 3, PixelFormat.Rgb24, input);
        return (want, input);
    }

    static void AssertClose(float[] got, float[] want, string what)
    {
        Assert.That(got.Length, Is.EqualTo(512), what);
        double scale = want.Max(Math.Abs), worst = 0; int at = 0;
        for (int i = 0; i < want.Length; i++)
            if (Math.Abs(got[i] - want[i]) > worst) { worst = Math.Abs(got[i] - want[i]); at = i; }
        TestContext.Out.WriteLine($"{what}: max |diff| {worst:G3} at feature {at} (ours {got[at]}, original {want[at]}), max |feature| {scale:G4}, relative {worst / scale:G3}");
        Assert.That(scale, Is.GreaterThan(0.1), "the original's features are all ~0: the test picture says nothing");
        Assert.That(worst / scale, Is.LessThanOrEqualTo(Tolerance),
            $"{what}: feature {at} is {got[at]}, the original gives {want[at]} (max |feature| {scale})");
    }

    [TestCase(Backend.OrtCpu, 1)]
    [TestCase(Backend.OrtCpu, 2)]
    [TestCase(Backend.Gl, 1)]
    public void Converted_model_gives_the_original_features(Backend backend, int seed)
    {
        var (_, converted) = PretrainedFixture.Require();
        var (want, input) = Reference(seed);
        if (backend == Backend.Gl) Gl.GlTestContext.Get();   // the suite's headless context: fail (not skip) without GL 4.3
        using var be = BackendFactory.Create(backend, OnnxModel.Load(converted), new BackendOptions { Threads = 1 });
        var got = new float[be.Classes];
        be.Run(input, 1, got);
        AssertClose(got, want, $"{backend}, picture {seed}");
    }

    [Test]
    public void Swapping_the_channels_back_breaks_the_match()
    {
        // The test can fail: the same input in BGR order (what the stem's swapped weights undo) is far off.
        var (_, converted) = PretrainedFixture.Require();
        var (want, input) = Reference(1);
        int plane = 224 * 224;
        var bgr = new float[input.Length];
        input.AsSpan(2 * plane, plane).CopyTo(bgr); input.AsSpan(plane, plane).CopyTo(bgr.AsSpan(plane)); input.AsSpan(0, plane).CopyTo(bgr.AsSpan(2 * plane));
        using var be = BackendFactory.Create(Backend.OrtCpu, OnnxModel.Load(converted), new BackendOptions { Threads = 1 });
        var got = new float[512];
        be.Run(bgr, 1, got);
        double worst = want.Zip(got, (a, b) => Math.Abs(a - b)).Max() / want.Max(Math.Abs);
        Assert.That(worst, Is.GreaterThan(100 * Tolerance), "BGR input should not match: is the channel swap tested at all?");
    }
}
