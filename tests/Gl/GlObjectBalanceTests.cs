using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Realtime;
using PixelFormat = ResNetRealtime.Runtime.Imaging.PixelFormat;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// Every GL object the backend makes is freed by Dispose (issue 12: counts must balance across depth and model
/// switches). <see cref="GlObjectCounter"/> sees what goes through <see cref="GlObjects"/>; the backend makes all its
/// objects there, so a delete missing from any Dispose path leaves a live count here.
/// </summary>
[TestFixture]
public class GlObjectBalanceTests
{
    static OnnxModel Scene() => OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx"));

    /// <summary>Exercises what a frame loop and the overlay create lazily: RGBA and texture preprocessing, a spread
    /// inference, tap mosaics, the CAM, a profile, async results left pending at Dispose, and dropped results.</summary>
    static void Work(GlBackend be, GlContext ctx, bool profile)
    {
        var rgba = new byte[40 * 30 * 4];
        new Random(3).NextBytes(rgba);
        var logits = new float[be.MaxBatch * be.Classes];
        be.RunFromRgba(rgba, 40, 30, logits);
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, rgba, 40, 30);
        try
        {
            be.SetInputTexture(tex, 40, 30);
            while (!be.Step(3)) { }
            be.WaitResult(logits);
        }
        finally { ctx.Gl.DeleteTexture(tex); }
        foreach (var t in be.Taps) be.GetTapTexture(t.Name, 16);
        if (be.CamTexture != 0) be.ReadTexture(be.CamTexture, be.CamWidth, be.CamHeight);
        var input = new float[be.Channels * be.Height * be.Width];
        if (profile) be.Profile(input, 1);
        // More submits than readback slots, none collected: drops the oldest and leaves fences pending for Dispose.
        for (int i = 0; i < 5; i++) { be.SetInput(input, 1); be.Submit(); }
    }

    [Test]
    public void CreatedEqualsDeletedAcrossDepthsModelsTapsAndSwitches()
    {
        var ctx = GlTestContext.Get();
        var before = GlObjectCounter.Snapshot();
        OnnxModel R18() => GlTestModels.ResNet(new[] { 2, 2, 2, 2 }, false, 16, stem: 8);
        OnnxModel R50() => GlTestModels.ResNet(new[] { 3, 4, 6, 3 }, true, 16, stem: 8);
        // A demo-like switch sequence: depth up, model change, back down; with and without taps and CAM, at two
        // batch sizes. Programs come from the shared binary cache (or are compiled and cached).
        var steps = new (Func<OnnxModel> Make, string[] Taps, bool Cam, int Batch)[]
        {
            (R18, new[] { "layer1", "layer3" }, true, 1),
            (R50, new[] { "layer4" }, false, 2),
            (Scene, Array.Empty<string>(), true, 1),
            (R18, Array.Empty<string>(), false, 2),
        };
        for (int i = 0; i < steps.Length; i++)
        {
            var (make, taps, cam, batch) = steps[i];
            using var be = GlBackendFactory.Create(make(), new BackendOptions { Taps = taps, MaxBatch = batch },
                new GlBackendOptions { Context = ctx, Cam = cam, MaxInFlight = 2, CheckErrors = true });
            Work(be, ctx, profile: i == 0);
        }
        // A backend with its own headless context (the factory default).
        using (var own = GlBackendFactory.Create(GlTestModels.ResNet(new[] { 1, 1 }, false, 16, stem: 8), new BackendOptions()))
            Work(own, own.Context, profile: false);
        var created = AssertBalanced(ctx, before, "GL objects");
        Assert.That(created(GlObjectKind.Buffer), Is.GreaterThan(100), "buffers were counted");
        Assert.That(created(GlObjectKind.Texture), Is.GreaterThan(0), "CAM and tap textures were counted");
        Assert.That(created(GlObjectKind.Program), Is.GreaterThan(10), "programs were counted");
        Assert.That(created(GlObjectKind.Sync), Is.GreaterThan(10), "fences were counted");
        Assert.That(created(GlObjectKind.Query), Is.GreaterThan(0), "profile queries were counted");
    }

    /// <summary>The real-time API on gl (issue 9) in the host's context: create, submit texture and pixel frames, update
    /// until results arrive (timer queries, taps, tap textures, CAM), dispose with a frame pending, across two models.</summary>
    [Test]
    public void RealtimeClassifierCyclesBalanceAcrossModels()
    {
        var ctx = GlTestContext.Get();
        var before = GlObjectCounter.Snapshot();
        var rgba = new byte[40 * 30 * 4];
        new Random(4).NextBytes(rgba);
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, rgba, 40, 30);
        try
        {
            var models = new (OnnxModel Model, string Tap)[]
            {
                (Scene(), "layer3"),
                (GlTestModels.ResNet(new[] { 2, 2, 2, 2 }, false, 16, stem: 8), "layer2"),
            };
            foreach (var (model, tap) in models)
            {
                using var rt = RealtimeClassifier.Create(model, new RealtimeOptions
                {
                    Backend = Backend.Gl, GlContext = ctx, TopK = 3, Cam = true, Taps = new[] { tap }, FrameBudget = TimeSpan.FromMilliseconds(1),
                });
                var r = rt.CreateResult();
                for (int frame = 0; frame < 2; frame++)
                {
                    if (frame == 0) rt.Submit(FrameInput.FromTexture(tex, 40, 30), frame);
                    else rt.Submit(FrameInput.FromPixels(rgba, 40, 30, 40 * 4, PixelFormat.Rgba32), frame);
                    int updates = 0;
                    while (!rt.TryGetLatest(ref r) && updates++ < 10_000) rt.Update();
                    Assert.That(r.FrameId, Is.EqualTo(frame), "a result came back");
                }
                rt.Submit(FrameInput.FromTexture(tex, 40, 30), 2); // left in flight for Dispose
                rt.Update();
            }
        }
        finally { ctx.Gl.DeleteTexture(tex); }
        var created = AssertBalanced(ctx, before, "GL objects (real-time)");
        Assert.That(created(GlObjectKind.Query), Is.GreaterThanOrEqualTo(6), "the engine's timer queries were counted");
        Assert.That(created(GlObjectKind.Texture), Is.GreaterThan(0), "CAM and tap textures were counted");
    }

    /// <summary>Created == deleted for every kind since <paramref name="before"/>; returns the created count per kind
    /// (so a caller can check the counting saw the objects at all).</summary>
    static Func<GlObjectKind, long> AssertBalanced(GlContext ctx, GlObjectCount[] before, string label)
    {
        ctx.MakeCurrent();
        var delta = GlObjectCounter.Since(before);
        TestContext.Progress.WriteLine(label + ": " + string.Join("; ", delta.Select(d => d.ToString())));
        foreach (var d in delta)
            Assert.That(d.Live, Is.EqualTo(0), $"{d.Kind}: {d.Created} created, {d.Deleted} deleted");
        return kind => delta.Single(d => d.Kind == kind).Created;
    }

    [Test]
    public void FailedSetupLeavesNothingLive()
    {
        var ctx = GlTestContext.Get();
        var before = GlObjectCounter.Snapshot();
        // A tap the network does not have fails before any GL object; MaxInFlight 0 fails up front too.
        Assert.Throws<ArgumentException>(() => new GlBackend(GlNetworkBuilder.Build(Scene()), new GlBackendOptions { Context = ctx, Taps = new[] { "nope" } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GlBackend(GlNetworkBuilder.Build(Scene()), new GlBackendOptions { Context = ctx, MaxInFlight = 0 }));
        foreach (var d in GlObjectCounter.Since(before)) Assert.That(d.Live, Is.EqualTo(0), d.ToString());
    }
}
