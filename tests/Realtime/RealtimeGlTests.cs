using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Realtime;
using ResNetRealtime.Tests.Gl;
using Silk.NET.OpenGL;
using PixelFormat = ResNetRealtime.Runtime.Imaging.PixelFormat;

namespace ResNetRealtime.Tests.Realtime;

/// <summary>The real-time API on gl inside a host context (the test's headless EGL context plays the host): texture
/// and pixel frames, Update under a frame budget, the thread rule, the host's GL state, no allocation.</summary>
[TestFixture, Category("Gl"), NonParallelizable]
public unsafe class RealtimeGlTests
{
    const int W = 37, H = 29; // odd: the GPU preprocess resizes it to the model's 64×64

    static RealtimeClassifier Create(GlContext ctx, TimeSpan budget = default, bool cam = true, params string[] taps) =>
        RealtimeClassifier.Create(RealtimeCpuTests.Model, new RealtimeOptions { Backend = Backend.Gl, GlContext = ctx, TopK = 3, Cam = cam, Taps = taps, FrameBudget = budget });

    /// <summary>The in-process reference: the same texture through the synchronous GlBackend.</summary>
    static int ExpectedClass(GlContext ctx, uint tex)
    {
        using var be = GlBackendFactory.Create(OnnxModel.Load(RealtimeCpuTests.Model), new BackendOptions(), new GlBackendOptions { Context = ctx });
        be.RunFromTexture(tex, W, H, new float[be.Classes]);
        return (int)be.TopK[0];
    }

    static (RealtimeResult R, int Updates) Pump(RealtimeClassifier rt, RealtimeResult r)
    {
        for (int i = 1; i <= 10_000; i++)
        {
            rt.Update();
            if (rt.TryGetLatest(ref r)) return (r, i);
            Thread.Sleep(1);
        }
        Assert.Fail("no result after 10 000 updates");
        return (r, 0);
    }

    [Test]
    public void TextureFrameGivesTheSynchronousBackendsClassWithCamAndTapTextures()
    {
        var ctx = GlTestContext.Get();
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, RealtimeCpuTests.Frame(1, W, H), W, H);
        try
        {
            int expect = ExpectedClass(ctx, tex);
            using var rt = Create(ctx, taps: "layer2");
            Assert.That(rt.AcceptsTextures, Is.True);
            rt.Submit(FrameInput.FromTexture(tex, W, H), 99);
            var (r, _) = Pump(rt, rt.CreateResult());
            Assert.That(r.FrameId, Is.EqualTo(99));
            Assert.That(r.TopK[0].ClassIndex, Is.EqualTo(expect));
            Assert.That(r.TopK.Length, Is.EqualTo(3));
            Assert.That(r.CamTexture, Is.Not.Zero);
            Assert.That(r.Taps[0].Texture, Is.Not.Zero);
            Assert.That(r.Taps[0].Data.Any(v => v != 0), Is.True, "tap values were read back");
            Assert.That(r.Latency.SubmitToResultMs, Is.GreaterThan(0));
        }
        finally { ctx.Gl.DeleteTexture(tex); }
    }

    [Test]
    public void PixelFramesAreAcceptedToo()
    {
        var ctx = GlTestContext.Get();
        var bgr = RealtimeCpuTests.Frame(2, W, H, 3);
        using var rt = Create(ctx);
        rt.Submit(FrameInput.FromPixels(bgr, W, H, W * 3, PixelFormat.Bgr24), 5);
        var (r, _) = Pump(rt, rt.CreateResult());
        // Reference: the same frame as RGBA through the backend's own RGBA path.
        var rgba = new byte[W * H * 4];
        for (int i = 0; i < W * H; i++) { rgba[4 * i] = bgr[3 * i + 2]; rgba[4 * i + 1] = bgr[3 * i + 1]; rgba[4 * i + 2] = bgr[3 * i]; rgba[4 * i + 3] = 255; }
        using var be = GlBackendFactory.Create(OnnxModel.Load(RealtimeCpuTests.Model), new BackendOptions(), new GlBackendOptions { Context = ctx });
        be.RunFromRgba(rgba, W, H, new float[be.Classes]);
        Assert.That(r.FrameId, Is.EqualTo(5));
        Assert.That(r.TopK[0].ClassIndex, Is.EqualTo((int)be.TopK[0]));
        Assert.That(r.TopK[0].Probability, Is.EqualTo(be.TopK[1]).Within(1e-6f), "same shaders, same input: equal to float rounding");
    }

    [Test]
    public void FrameBudgetSpreadsOneInferenceOverSeveralUpdatesAndTheLatestFrameWins()
    {
        var ctx = GlTestContext.Get();
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, RealtimeCpuTests.Frame(3, W, H), W, H);
        try
        {
            int expect = ExpectedClass(ctx, tex);
            // 1 µs: StepFor encodes one layer per Update (it always makes progress), so ResNet-20 takes many Updates.
            using var rt = Create(ctx, TimeSpan.FromTicks(10));
            Assert.That(ctx.Gl.GetError(), Is.EqualTo(GLEnum.NoError), "before");
            rt.Submit(FrameInput.FromTexture(tex, W, H), 1); // starts at once
            Assert.That(ctx.Gl.GetError(), Is.EqualTo(GLEnum.NoError), "after Submit");
            rt.Submit(FrameInput.FromTexture(tex, W, H), 2); // pending
            rt.Submit(FrameInput.FromTexture(tex, W, H), 3); // replaces 2
            Assert.That(rt.Dropped, Is.EqualTo(1));
            rt.Update();
            Assert.That(ctx.Gl.GetError(), Is.EqualTo(GLEnum.NoError), "after Update");
            var (r, updates) = Pump(rt, rt.CreateResult());
            Assert.That(ctx.Gl.GetError(), Is.EqualTo(GLEnum.NoError), "after the result");
            Assert.That(r.FrameId, Is.EqualTo(1));
            Assert.That(updates, Is.GreaterThan(10), "a budget of 1 µs cannot encode the whole network in one Update");
            Assert.That(r.TopK[0].ClassIndex, Is.EqualTo(expect), "spreading over frames does not change the answer");
            (r, _) = Pump(rt, r);
            Assert.That(r.FrameId, Is.EqualTo(3), "the newest pending frame ran next");
            Assert.That(rt.Submitted, Is.EqualTo(rt.Completed + rt.Dropped));
        }
        finally { ctx.Gl.DeleteTexture(tex); }
    }

    [Test]
    public void CallsFromAnotherThreadGetTheRuleNotAnEglError()
    {
        var ctx = GlTestContext.Get();
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, RealtimeCpuTests.Frame(4, W, H), W, H);
        try
        {
            using var rt = Create(ctx);
            var r = rt.CreateResult();
            var errors = new List<Exception>();
            var t = new Thread(() =>
            {
                foreach (var call in new Action[] { () => rt.Submit(FrameInput.FromTexture(tex, W, H), 1), rt.Update, () => rt.TryGetLatest(ref r), rt.Dispose })
                    try { call(); errors.Add(null); } catch (Exception e) { errors.Add(e); }
            });
            t.Start(); t.Join();
            Assert.That(errors, Has.Count.EqualTo(4));
            Assert.That(errors, Has.All.InstanceOf<InvalidOperationException>());
            Assert.That(errors[0].Message, Does.Contain("GL work runs only on the thread that created it").And.Contain("ort-cpu"));
            Assert.That(rt.Submitted, Is.Zero, "refused before doing anything");
            // Still usable from its own thread afterwards.
            rt.Submit(FrameInput.FromTexture(tex, W, H), 2);
            Assert.That(Pump(rt, r).R.FrameId, Is.EqualTo(2));
        }
        finally { ctx.Gl.DeleteTexture(tex); }
    }

    [Test]
    public void SynchronousGlClassifierFromASecondThreadGetsTheRule()
    {
        // The failure this replaces: "eglMakeCurrent failed (EGL_BAD_ACCESS)" from deep inside the backend.
        using var c = Classifier.Create(RealtimeCpuTests.Model, new ClassifierOptions { Backend = Backend.Gl });
        var px = RealtimeCpuTests.Frame(5, W, H);
        Exception err = null;
        var t = new Thread(() => { try { c.Classify(px, W, H, W * 4, PixelFormat.Rgba32); } catch (Exception e) { err = e; } });
        t.Start(); t.Join();
        Assert.That(err, Is.InstanceOf<InvalidOperationException>());
        Assert.That(err.Message, Does.Contain("Classifier (gl): GL work runs only on the thread that created it"));
        Assert.That(err.Message, Does.Not.Contain("EGL"));
        Assert.That(c.Classify(px, W, H, W * 4, PixelFormat.Rgba32).TopK.Length, Is.EqualTo(5), "its own thread still works");
        GlTestContext.Get(); // the test context back on this thread for the next test
    }

    [Test]
    public void HostGlStateIsRestoredAfterEveryCall()
    {
        var ctx = GlTestContext.Get();
        var gl = ctx.Gl;
        uint tex = GlTestContext.RgbaTexture(gl, RealtimeCpuTests.Frame(6, W, H), W, H);
        using var rt = Create(ctx, TimeSpan.FromMilliseconds(1), taps: "layer1");
        // The host's state: its own program, buffers on SSBO 0..6 and UBO 0, a texture on units 0 and 3 with 3 active,
        // a framebuffer and a viewport.
        uint prog = gl.CreateProgram();
        var sh = gl.CreateShader(ShaderType.ComputeShader);
        gl.ShaderSource(sh, "#version 430\nlayout(local_size_x=1) in; void main(){}");
        gl.CompileShader(sh); gl.AttachShader(prog, sh); gl.LinkProgram(prog); gl.DeleteShader(sh);
        var bufs = new uint[8];
        fixed (uint* b = bufs) gl.GenBuffers(8, b);
        foreach (var b in bufs) { gl.BindBuffer(GLEnum.ShaderStorageBuffer, b); gl.BufferData(GLEnum.ShaderStorageBuffer, 256, null, GLEnum.DynamicDraw); }
        uint hostTex0 = GlTestContext.RgbaTexture(gl, new byte[16], 2, 2), hostTex3 = GlTestContext.RgbaTexture(gl, new byte[16], 2, 2);
        uint fb = gl.GenFramebuffer();
        gl.BindFramebuffer(GLEnum.Framebuffer, fb);
        gl.FramebufferTexture2D(GLEnum.Framebuffer, GLEnum.ColorAttachment0, GLEnum.Texture2D, hostTex0, 0);
        try
        {
            void SetHostState()
            {
                gl.UseProgram(prog);
                for (uint i = 0; i < 7; i++) gl.BindBufferRange(GLEnum.ShaderStorageBuffer, i, bufs[i], 0, 128);
                gl.BindBufferBase(GLEnum.UniformBuffer, 0, bufs[7]);
                gl.BindBuffer(GLEnum.ShaderStorageBuffer, bufs[3]);
                gl.ActiveTexture(GLEnum.Texture0); gl.BindTexture(GLEnum.Texture2D, hostTex0);
                gl.ActiveTexture(GLEnum.Texture3); gl.BindTexture(GLEnum.Texture2D, hostTex3);
                gl.BindFramebuffer(GLEnum.Framebuffer, fb);
                gl.Viewport(1, 2, 30, 40);
            }
            SetHostState();
            var before = Snapshot(gl);
            Assert.That(before, Does.Contain($"program {prog}"), "the snapshot sees the host's state");
            var r = rt.CreateResult();
            rt.Submit(FrameInput.FromTexture(tex, W, H), 1);
            Assert.That(Snapshot(gl), Is.EqualTo(before), "after Submit");
            int updates = 0;
            while (!rt.TryGetLatest(ref r) && updates++ < 10_000)
            {
                rt.Update();
                Assert.That(Snapshot(gl), Is.EqualTo(before), $"after Update {updates}");
            }
            Assert.That(r.FrameId, Is.EqualTo(1));
            Assert.That(Snapshot(gl), Is.EqualTo(before), "after TryGetLatest");
        }
        finally
        {
            gl.BindFramebuffer(GLEnum.Framebuffer, 0); gl.DeleteFramebuffer(fb);
            gl.UseProgram(0); gl.DeleteProgram(prog);
            fixed (uint* b = bufs) gl.DeleteBuffers(8, b);
            gl.ActiveTexture(GLEnum.Texture0);
            gl.DeleteTexture(hostTex0); gl.DeleteTexture(hostTex3); gl.DeleteTexture(tex);
        }
    }

    /// <summary>The state a host's renderer relies on, as one comparable string (queried independently of GlHostState).</summary>
    static string Snapshot(GL gl) => string.Join("; ", GlStateProbe.Read(gl));

    [Test]
    public void BadTexturesAreRefusedWithWhatTheyAre()
    {
        var ctx = GlTestContext.Get();
        var gl = ctx.Gl;
        uint tex = GlTestContext.RgbaTexture(gl, RealtimeCpuTests.Frame(7, W, H), W, H);
        uint intTex = gl.GenTexture();
        gl.BindTexture(GLEnum.Texture2D, intTex);
        gl.TexStorage2D(GLEnum.Texture2D, 1, GLEnum.Rgba8ui, W, H);
        gl.BindTexture(GLEnum.Texture2D, 0);
        try
        {
            using var rt = Create(ctx);
            var size = Assert.Throws<ArgumentException>(() => rt.Submit(FrameInput.FromTexture(tex, W + 1, H), 0));
            Assert.That(size.Message, Does.Contain($"is {W}x{H}, but the frame says {W + 1}x{H}"));
            var fmt = Assert.Throws<ArgumentException>(() => rt.Submit(FrameInput.FromTexture(intTex, W, H), 0));
            Assert.That(fmt.Message, Does.Contain("internal format 0x8D7C"));
            var none = Assert.Throws<ArgumentException>(() => rt.Submit(FrameInput.FromTexture(123456, W, H), 0));
            Assert.That(none.Message, Does.Contain("123456 is not a texture"));
            Assert.That(rt.Submitted, Is.Zero);
            Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError), "no GL error left for the host");
        }
        finally { gl.DeleteTexture(tex); gl.DeleteTexture(intTex); }
    }

    [Test]
    public void FrameLoopAllocatesNothingInSteadyState()
    {
        var ctx = GlTestContext.Get();
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, RealtimeCpuTests.Frame(8, W, H), W, H);
        try
        {
            // 2 ms per Update, 100 frames per window: several results (readback, taps, tap textures, CAM) land inside each window.
            using var rt = Create(ctx, TimeSpan.FromMilliseconds(2), taps: "layer3");
            var r = rt.CreateResult();
            long id = 0, got = 0;
            long bytes = SteadyState.BytesPerWindow(() =>
            {
                rt.Submit(FrameInput.FromTexture(tex, W, H), id++);
                rt.Update();
                if (rt.TryGetLatest(ref r)) got++;
                Thread.Sleep(1);
            }, callsPerWindow: 100);
            Assert.That(bytes, Is.Zero);
            Assert.That(got, Is.GreaterThan(1), "results were collected inside the measured windows");
        }
        finally { ctx.Gl.DeleteTexture(tex); }
    }
}
