using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Tests.Gl;

namespace ResNetRealtime.Tests.Imaging;

/// <summary>
/// The resize + centre crop against an outside reference: PyTorch's F.interpolate(bilinear, align_corners=False,
/// antialias=False) on random RGB images of odd sizes, up and down in both directions
/// (tests/data/resize/bilinear_golden.json, written by tests/scripts/make_resize_golden.py). The other resize tests
/// compare the fast paths with Preprocessor.RunReference, which is our own code; this one would catch a convention
/// shared by both (pixel corners instead of centres, a missing clamp at the edge, an antialiasing filter).
/// </summary>
/// <remarks>
/// Tolerance, on the 0..255 scale: 2e-3 levels. The golden is float64, rounded to 5e-5. The CPU path blends bytes in
/// float32 (two row weights, two column weights: four roundings of values ≤ 255 at 2^-24 relative, ≤ 6e-5) and
/// normalises (v·scale + bias, then ×255 back here: as much again); 2e-3 is 15× that. A wrong convention moves random
/// pixels by whole levels: align_corners=True on 13×7 → 20×11 moves samples by up to 0.3 pixel, tens of levels.
/// </remarks>
public class BilinearGoldenTests
{
    const double Tolerance = 2e-3;

    sealed record Case(int SrcW, int SrcH, int DstW, int DstH, double CropRatio, int ResizedW, int ResizedH, int Left, int Top, byte[] Rgb, double[] Chw)
    {
        public override string ToString() => $"{SrcW}x{SrcH} -> {DstW}x{DstH} (crop ratio {CropRatio:G4})";
    }

    static IEnumerable<TestCaseData> Cases() => Load().Select(k => new TestCaseData(k).SetArgDisplayNames(k.ToString()));

    /// <summary>The cases at the GL test model's input: 24×24 at the default crop ratio.</summary>
    static IEnumerable<TestCaseData> GlCases()
    {
        var gl = Load().Where(k => k.DstW == 24 && k.DstH == 24 && Math.Abs(k.CropRatio - Preprocessor.DefaultCropRatio) < 1e-12).ToList();
        if (gl.Count == 0) throw new InvalidDataException("bilinear_golden.json has no 24x24 case at the default crop ratio for the GL test");
        return gl.Select(k => new TestCaseData(k).SetArgDisplayNames(k.ToString()));
    }

    static IEnumerable<Case> Load()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "resize", "bilinear_golden.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: tests/scripts/make_resize_golden.py writes it (committed)", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            int I(string k) => c.GetProperty(k).GetInt32();
            var k = new Case(I("src_w"), I("src_h"), I("dst_w"), I("dst_h"), c.GetProperty("crop_ratio").GetDouble(), I("resized_w"), I("resized_h"), I("left"), I("top"),
                             Convert.FromHexString(c.GetProperty("input_rgb_hex").GetString()),
                             c.GetProperty("output_chw").EnumerateArray().Select(v => v.GetDouble()).ToArray());
            yield return k;
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Cpu_resize_and_crop_match_pytorch(object boxed)
    {
        var c = (Case)boxed;
        var g = CropGeometry.Compute(c.SrcW, c.SrcH, c.DstH, c.DstW, c.CropRatio);
        Assert.That((g.ResizedWidth, g.ResizedHeight, g.Left, g.Top), Is.EqualTo((c.ResizedW, c.ResizedH, c.Left, c.Top)), "resized size and crop offsets");
        // mean 0, std 1: the output is v/255, compared on the 0..255 scale.
        var pre = new Preprocessor(3, c.DstH, c.DstW, new float[] { 0, 0, 0 }, new float[] { 1, 1, 1 }, c.CropRatio);
        var output = new float[pre.OutputLength];
        foreach (bool simd in new[] { true, false })
        {
            pre.UseSimd = simd;
            Array.Clear(output);
            pre.Run(c.Rgb, c.SrcW, c.SrcH, c.SrcW * 3, PixelFormat.Rgb24, output);
            AssertLevels(output.Select(v => v * 255.0).ToArray(), c, simd ? "SIMD path" : "scalar path");
        }
    }

    /// <summary>The GL backend's preprocess shader (shaders/preprocess.comp) on the cases at the GL test model's input size.</summary>
    [TestCaseSource(nameof(GlCases)), Category("Gl")]
    public void Gl_preprocess_matches_pytorch(object boxed)
    {
        var c = (Case)boxed;
        var model = GlTestModels.ResNet(new[] { 1, 1 }, false, 24, classes: 10, cifar: true, stem: 8, inChannels: 3, seed: 5);
        using var be = GlBackendFactory.Create(model, new BackendOptions { Taps = new[] { "input" } }, new GlBackendOptions { Context = GlTestContext.Get(), CheckErrors = true });
        var rgba = new byte[c.SrcW * c.SrcH * 4];
        for (int i = 0; i < c.SrcW * c.SrcH; i++) { rgba[4 * i] = c.Rgb[3 * i]; rgba[4 * i + 1] = c.Rgb[3 * i + 1]; rgba[4 * i + 2] = c.Rgb[3 * i + 2]; rgba[4 * i + 3] = 255; }
        be.RunFromRgba(rgba, c.SrcW, c.SrcH, new float[be.Classes]);
        // Undo the model's normalisation ((v/255 − mean)/std, ImageNet's for 3 channels) to compare levels.
        var mean = Preprocessor.ImageNetMean;
        var std = Preprocessor.ImageNetStd;
        var x = be.Taps[0].Data;
        int plane = 24 * 24;
        var levels = new double[3 * plane];
        for (int i = 0; i < levels.Length; i++) levels[i] = (x[i] * (double)std[i / plane] + mean[i / plane]) * 255.0;
        AssertLevels(levels, c, "GL preprocess");
    }

    static void AssertLevels(double[] got, Case c, string what)
    {
        Assert.That(got, Has.Length.EqualTo(c.Chw.Length), what);
        int at = -1;
        double worst = 0;
        for (int i = 0; i < got.Length; i++)
            if (!(Math.Abs(got[i] - c.Chw[i]) <= worst)) { worst = Math.Abs(got[i] - c.Chw[i]); at = i; }
        int plane = c.DstW * c.DstH;
        Assert.That(worst, Is.LessThanOrEqualTo(Tolerance),
            $"{c} {what}: worst |ours − pytorch| {worst:G3} levels at channel {at / plane}, y {at % plane / c.DstW}, x {at % c.DstW} (ours {got[at]:F4}, pytorch {c.Chw[at]:F4})");
    }
}
