using ResNetRealtime.Runtime.Inference;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using Silk.NET.OpenGL;
using PixelFormat = ResNetRealtime.Runtime.Imaging.PixelFormat;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// The GPU-resident paths: preprocessing from an uploaded RGBA frame and from a texture (against the CPU
/// Preprocessor's reference), CAM and tap textures, fenced async readback, budgeted Step scheduling,
/// and the program-binary cache.
/// </summary>
[TestFixture, Category("Gl")]
public unsafe class GlGpuPathTests
{
    const int Size = 24;

    static Runtime.Onnx.OnnxModel Model(int inChannels = 3) =>
        GlTestModels.ResNet(new[] { 1, 1 }, false, Size, classes: 10, cifar: true, stem: 8, inChannels: inChannels, seed: 5);

    static byte[] Rgba(int w, int h, int seed)
    {
        var r = new Random(seed);
        var px = new byte[w * h * 4];
        r.NextBytes(px);
        return px;
    }

    [TestCase(37, 23, 3, TestName = "RGBA frame 37x23 -> 3x24x24 matches the CPU preprocessor")]
    [TestCase(20, 61, 1, TestName = "RGBA frame 20x61 -> 1x24x24 (luminance) matches the CPU preprocessor")]
    public void RgbaPreprocessMatchesCpuReference(int w, int h, int channels)
    {
        var m = Model(channels);
        using var be = GlBackendFactory.Create(m, new BackendOptions { Taps = new[] { "input" } }, new GlBackendOptions { Context = GlTestContext.Get(), CheckErrors = true });
        var px = Rgba(w, h, 9);
        var logits = new float[be.Classes];
        be.RunFromRgba(px, w, h, logits);
        var cpu = new Preprocessor(channels, Size, Size);
        var expect = new float[cpu.OutputLength];
        cpu.RunReference(px, w, h, w * 4, PixelFormat.Rgba32, expect);
        // float32 bilinear on the GPU vs double on the CPU, values up to ~2.6: 1e-5 relative is float rounding.
        GlOpTests.AssertClose(be.Taps[0].Data, expect, 1e-5, "preprocessed input");
        // ... and the logits equal those of the float path fed with the CPU-preprocessed tensor.
        var viaCpu = new float[be.Classes];
        be.Run(expect, 1, viaCpu);
        GlOpTests.AssertClose(logits, viaCpu, 1e-4, "logits rgba path vs float path");
    }

    [TestCase(false, TestName = "Texture input (row 0 = top) equals the upload path")]
    [TestCase(true, TestName = "Texture input flipped (render target, row 0 = bottom) equals the upload path")]
    public void TextureInputMatchesUploadPath(bool flipY)
    {
        var ctx = GlTestContext.Get();
        var gl = ctx.Gl;
        using var be = GlBackendFactory.Create(Model(), new BackendOptions(), new GlBackendOptions { Context = ctx, CheckErrors = true });
        const int w = 45, h = 31;
        var px = Rgba(w, h, 4);
        var upload = new float[be.Classes];
        be.RunFromRgba(px, w, h, upload);

        var texPx = new byte[px.Length];
        for (int y = 0; y < h; y++) Array.Copy(px, (flipY ? h - 1 - y : y) * w * 4, texPx, y * w * 4, w * 4);
        uint tex = GlTestContext.RgbaTexture(gl, texPx, w, h);
        try
        {
            var viaTexture = new float[be.Classes];
            be.RunFromTexture(tex, w, h, viaTexture, flipY);
            // Same shader math, exact 8-bit texels on both sides (texelFetch, no filtering): only the fetch differs.
            GlOpTests.AssertClose(viaTexture, upload, 1e-6, "texture vs upload logits");
        }
        finally { gl.DeleteTexture(tex); }
    }

    [Test]
    public void CamTextureMatchesCpuDefinition()
    {
        var m = Model();
        var net = GlNetworkBuilder.Build(m);
        string feat = net.Tensors[net.CamFeatures].Name;
        using var be = GlBackendFactory.Create(m, new BackendOptions { Taps = new[] { feat } }, new GlBackendOptions { Context = GlTestContext.Get(), CheckErrors = true });
        Assert.That(be.CamTexture, Is.Not.EqualTo(0u));
        var x = GlOpTests.Random(3 * Size * Size, 8);
        var logits = new float[be.Classes];
        be.Run(x, 1, logits);
        int top = Array.IndexOf(logits, logits.Max());
        Assert.That((int)be.TopK[0], Is.EqualTo(top), "GPU top-1");
        var f = be.Taps[0].Data;
        var fc = be.Network.Ops[be.Network.CamClassifier];
        int c = net.Tensors[net.CamFeatures].C, hw = be.CamWidth * be.CamHeight;
        var cam = new double[hw];
        for (int p = 0; p < hw; p++)
            for (int k = 0; k < c; k++) cam[p] += fc.Weights[top * c + k] * f[k * hw + p];
        double lo = cam.Min(), hi = cam.Max();
        var expect = cam.Select(v => (float)((v - lo) / (hi - lo))).ToArray();
        var got = be.ReadTexture(be.CamTexture, be.CamWidth, be.CamHeight);
        GlOpTests.AssertClose(got, expect, 1e-4, "CAM (min-max normalised; float32 dot products of length C)");
        Assert.That(got.Min(), Is.EqualTo(0f).Within(1e-6));
        Assert.That(got.Max(), Is.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void TapTextureIsTheMosaicOfTheTap()
    {
        var m = Model();
        string tap = "layer1.0.bn1.out";
        using var be = GlBackendFactory.Create(m, new BackendOptions { Taps = new[] { tap } }, new GlBackendOptions { Context = GlTestContext.Get(), CheckErrors = true });
        var logits = new float[be.Classes];
        be.Run(GlOpTests.Random(3 * Size * Size, 1), 1, logits);
        var t = be.Taps[0];
        int C = t.Shape[1], H = t.Shape[2], W = t.Shape[3];
        // The GPU mosaic is held to the CPU reference (ActivationMosaic) the ort-cpu path draws with:
        // all channels, and the first 5 of them (a grid with empty tiles).
        foreach (int max in new[] { 0, 5 })
        {
            var (tex, w, h) = be.GetTapTexture(tap, max);
            var expect = new float[w * h];
            var size = ActivationMosaic.Render(t.Data.AsSpan(0, C * H * W), C, H, W, max, expect);
            Assert.That((w, h), Is.EqualTo(size));
            // Per-channel min/max are exact; the scaled values are the same float ops, up to fused multiply-add.
            GlOpTests.AssertClose(be.ReadTexture(tex, w, h), expect, 1e-5, $"tap mosaic (max {max} channels)");
        }
        Assert.That(ActivationMosaic.Grid(C, 5), Is.EqualTo((5, 3, 2)));

        // A frame loop refreshes the mosaic after every inference: after the first call that must allocate nothing.
        Assert.That(SteadyState.BytesPerWindow(() => be.GetTapTexture(tap, 16), callsPerWindow: 3, windows: 3), Is.EqualTo(0),
            "bytes allocated by 3 GetTapTexture calls in steady state");
    }

    [Test]
    public void FramePathsAllocateNothingInSteadyState()
    {
        // Every per-frame GL call goes through Silk.NET's span/pointer/out overloads; one that marshalled a string or
        // returned an array would show here as bytes in every window.
        var ctx = GlTestContext.Get();
        var gl = ctx.Gl;
        using var be = GlBackendFactory.Create(Model(), new BackendOptions { Taps = new[] { "layer1.0.bn1.out" } }, new GlBackendOptions { Context = ctx });
        const int w = 29, h = 17;
        var px = Rgba(w, h, 8);
        uint tex = GlTestContext.RgbaTexture(gl, px, w, h);
        try
        {
            var logits = new float[be.Classes];
            void Collect() { while (!be.TryGetResult(logits)) { } } // poll with timeout 0, as a frame loop does
            Assert.That(SteadyState.BytesPerWindow(() => { be.SetInputTexture(tex, w, h); be.Submit(); be.GetTapTexture("layer1.0.bn1.out", 16); Collect(); }, 5, 4),
                Is.EqualTo(0), "bytes per 5 texture frames (SetInputTexture, Submit, GetTapTexture, TryGetResult)");
            Assert.That(SteadyState.BytesPerWindow(() => { be.SetInputRgba(px, w, h); be.Submit(); Collect(); }, 5, 4),
                Is.EqualTo(0), "bytes per 5 RGBA frames (SetInputRgba, Submit, TryGetResult)");
            Assert.That(SteadyState.BytesPerWindow(() => { be.SetInputTexture(tex, w, h); while (!be.Step(3)) { } Collect(); }, 5, 4),
                Is.EqualTo(0), "bytes per 5 frames spread over Step(3) calls");
        }
        finally { gl.DeleteTexture(tex); }
    }

    [Test]
    public void AsyncSubmitPollsWithoutBlockingAndMatchesRun()
    {
        using var be = GlBackendFactory.Create(Model(), new BackendOptions(), new GlBackendOptions { Context = GlTestContext.Get(), MaxInFlight = 3 });
        var inputs = Enumerable.Range(0, 4).Select(i => GlOpTests.Random(3 * Size * Size, 100 + i)).ToArray();
        var sync = inputs.Select(x => { var l = new float[be.Classes]; be.Run(x, 1, l); return l; }).ToArray();

        var got = new float[be.Classes];
        Assert.That(be.TryGetResult(got), Is.False, "nothing submitted");
        for (int i = 0; i < 3; i++) { be.SetInput(inputs[i], 1); be.Submit(); }
        Assert.That(be.Pending, Is.EqualTo(3));
        be.SetInput(inputs[3], 1); be.Submit();  // 4th with 3 slots: the oldest result is dropped, not blocked on forever
        Assert.That(be.DroppedResults, Is.EqualTo(1));
        for (int i = 1; i < 4; i++)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!be.TryGetResult(got))
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "result never arrived");
                Thread.Sleep(1);
            }
            Assert.That(got, Is.EqualTo(sync[i]), $"async result {i} in submission order");
        }
        Assert.That(be.Pending, Is.EqualTo(0));
    }

    [Test]
    public void StepSpreadsOneInferenceOverCallsWithTheSameResult()
    {
        using var be = GlBackendFactory.Create(Model(), new BackendOptions(), new GlBackendOptions { Context = GlTestContext.Get() });
        var x = GlOpTests.Random(3 * Size * Size, 77);
        var expect = new float[be.Classes];
        be.Run(x, 1, expect);
        be.SetInput(x, 1);
        int calls = 1;
        while (!be.Step(2)) calls++;
        Assert.That(calls, Is.EqualTo((be.LayerCount + 1) / 2), $"{be.LayerCount} layers at 2 per step");
        Assert.Throws<InvalidOperationException>(() => be.Step(1), "no inference in progress");
        var got = new float[be.Classes];
        be.WaitResult(got);
        Assert.That(got, Is.EqualTo(expect));

        // The time-budgeted variant: a zero budget still encodes one layer per call; an ample one, all of them.
        be.SetInput(x, 1);
        calls = 1;
        while (!be.StepFor(TimeSpan.Zero)) calls++;
        Assert.That(calls, Is.EqualTo(be.LayerCount), "one layer per zero-budget call");
        be.WaitResult(got);
        Assert.That(got, Is.EqualTo(expect));
        be.SetInput(x, 1);
        Assert.That(be.StepFor(TimeSpan.FromMinutes(5)), Is.True, "an ample budget finishes in one call");
        be.WaitResult(got);
        Assert.That(got, Is.EqualTo(expect));
    }

    [Test]
    public void ProgramBinaryCacheIsUsedOnTheSecondLoad()
    {
        var ctx = GlTestContext.Get();
        Assert.That(GlShaders.SupportsProgramBinary(ctx.Gl), Is.True, $"{ctx.Description} offers no program binary format");
        string dir = Path.Combine(Path.GetTempPath(), "rr-gl-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var first = new GlShaders(ctx, dir)) { first.Get("fc.comp"); Assert.That((first.Compiles, first.CacheHits), Is.EqualTo((1, 0))); }
            Assert.That(Directory.GetFiles(dir, "*.bin"), Has.Length.EqualTo(1));
            using (var second = new GlShaders(ctx, dir)) { second.Get("fc.comp"); Assert.That((second.Compiles, second.CacheHits), Is.EqualTo((0, 1))); }
            // A corrupt/stale binary is rejected by the driver: recompiled, not an error.
            foreach (var f in Directory.GetFiles(dir, "*.bin")) File.WriteAllBytes(f, new byte[] { 1, 0, 0, 0, 9, 9, 9 });
            using (var third = new GlShaders(ctx, dir)) { third.Get("fc.comp"); Assert.That((third.Compiles, third.CacheHits), Is.EqualTo((1, 0))); }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void BadInputsFailWithTheValues()
    {
        using var be = GlBackendFactory.Create(Model(), new BackendOptions(), new GlBackendOptions { Context = GlTestContext.Get() });
        var e = Assert.Throws<ArgumentException>(() => be.Run(new float[7], 1, new float[10]));
        Assert.That(e.Message, Does.Contain("7").And.Contain("3x24x24"));
        var r = Assert.Throws<ArgumentException>(() => be.SetInputRgba(new byte[10], 3, 3));
        Assert.That(r.Message, Does.Contain("10 bytes").And.Contain("3x3x4"));
        Assert.Throws<ArgumentOutOfRangeException>(() => be.Run(new float[2 * 3 * 24 * 24], 2, new float[20]));
    }
}
