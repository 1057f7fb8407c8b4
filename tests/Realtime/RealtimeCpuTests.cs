using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Tests.Realtime;

/// <summary>The real-time API on ort-cpu: a worker thread, latest-wins submission, poll and event results, thread safety,
/// bad input at Submit, and no allocation in the caller's frame loop.</summary>
[TestFixture, NonParallelizable]
public class RealtimeCpuTests
{
    internal static string Model => Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");
    const int W = 80, H = 60;

    internal static byte[] Frame(int seed, int w = W, int h = H, int bpp = 4)
    {
        var px = new byte[w * h * bpp];
        new Random(seed).NextBytes(px);
        return px;
    }

    static RealtimeClassifier Create(bool cam = false, params string[] taps) =>
        RealtimeClassifier.Create(Model, new RealtimeOptions { Backend = Backend.OrtCpu, Threads = 1, TopK = 3, Cam = cam, Taps = taps });

    /// <summary>Polls until a result arrives (the test's frame loop, 1 ms per frame), at most 30 s.</summary>
    internal static RealtimeResult WaitResult(RealtimeClassifier rt, RealtimeResult r)
    {
        var end = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < end)
        {
            rt.Update();
            if (rt.TryGetLatest(ref r)) return r;
            Thread.Sleep(1);
        }
        Assert.Fail("no result within 30 s");
        return r;
    }

    [Test]
    public void ResultCarriesFrameIdTopKAndLatencyOfTheSynchronousClassifier()
    {
        var px = Frame(1);
        using var sync = Classifier.Create(Model, new ClassifierOptions { Backend = Backend.OrtCpu, Threads = 1, TopK = 3 });
        var expect = sync.Classify(px, W, H, W * 4, PixelFormat.Bgra32).TopK.ToArray();
        using var rt = Create();
        Assert.That(rt.Backend, Is.EqualTo(Backend.OrtCpu));
        var r = rt.CreateResult();
        rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), 4242);
        r = WaitResult(rt, r);
        Assert.That(r.FrameId, Is.EqualTo(4242));
        Assert.That(r.TopK.ToArray(), Is.EqualTo(expect), "same internals as Classifier: same top-k, labels and probabilities");
        var l = r.Latency;
        Assert.That(l.InferenceMs, Is.GreaterThan(0));
        Assert.That(l.SubmitToResultMs, Is.GreaterThanOrEqualTo(l.QueueMs + l.PreprocessMs + l.InferenceMs + l.PostprocessMs - 1e-6),
            "submit→result spans every stage");
    }

    [Test]
    public void LatestFrameWinsWhileBusyAndEveryFrameIsAccountedFor()
    {
        using var rt = Create();
        var r = rt.CreateResult();
        var px = Frame(2);
        const int n = 200;
        for (int i = 0; i < n; i++) rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), i); // far faster than inference
        var end = DateTime.UtcNow.AddSeconds(30);
        long last = -1;
        while (rt.Completed + rt.Dropped < n && DateTime.UtcNow < end) { if (rt.TryGetLatest(ref r)) last = r.FrameId; Thread.Sleep(1); }
        if (rt.TryGetLatest(ref r)) last = r.FrameId;
        Assert.That(rt.Submitted, Is.EqualTo(n));
        Assert.That(rt.Completed + rt.Dropped, Is.EqualTo(n), "each frame is either classified or counted as dropped");
        Assert.That(rt.Dropped, Is.GreaterThan(0), "200 frames submitted back to back cannot all be classified");
        Assert.That(last, Is.EqualTo(n - 1), "the newest frame is the one classified last");
    }

    [Test]
    public void ResultReadyEventFiresOnTheWorkerThreadWithTheFrameId()
    {
        using var rt = Create();
        var got = new List<(long Id, int Thread, int Count)>();
        using var done = new ManualResetEventSlim();
        rt.ResultReady += res => { lock (got) got.Add((res.FrameId, Environment.CurrentManagedThreadId, res.TopK.Length)); done.Set(); };
        rt.Submit(FrameInput.FromPixels(Frame(3), W, H, W * 4, PixelFormat.Bgra32), 7);
        Assert.That(done.Wait(30_000), Is.True, "no ResultReady within 30 s");
        lock (got)
        {
            Assert.That(got[0].Id, Is.EqualTo(7));
            Assert.That(got[0].Count, Is.EqualTo(3));
            Assert.That(got[0].Thread, Is.Not.EqualTo(Environment.CurrentManagedThreadId), "CPU backends run on their own worker thread");
        }
    }

    [Test]
    public void TapsAndCamMatchTheSynchronousClassifier()
    {
        var px = Frame(4);
        using var rt = Create(cam: true, "layer1");
        var r = WaitAfterSubmit(rt, px);
        // The reference: the same frame through Classifier, tapping layer1 and the feature map the CAM is made of.
        var model = Runtime.Onnx.OnnxModel.Load(Model);
        var cam = CamSource.Find(Runtime.Models.LoadedModel.From(model));
        using var sync = Classifier.Create(model, new ClassifierOptions { Backend = Backend.OrtCpu, Threads = 1, TopK = 3, Taps = new[] { "layer1", cam.Features } });
        var s = sync.Classify(px, W, H, W * 4, PixelFormat.Bgra32);
        Assert.That(r.Taps, Has.Count.EqualTo(1));
        Assert.That(r.Taps[0].Name, Is.EqualTo("layer1"));
        Assert.That(r.Taps[0].Data, Is.EqualTo(s.Taps[0].Data.AsSpan(0, r.Taps[0].Data.Length).ToArray()), "same run, same values: exact");
        var f = s.Taps[1];
        int c = f.Shape[1], h = f.Shape[2], w = f.Shape[3];
        var map = new float[h * w];
        Cam.Compute(f.Data.AsSpan(0, c * h * w), c, h, w, cam.Weight, s.TopK[0].ClassIndex, map);
        Assert.That((r.CamWidth, r.CamHeight), Is.EqualTo((w, h)));
        Assert.That(r.Cam.ToArray(), Is.EqualTo(map));
        Assert.That(r.Cam.ToArray().Max(), Is.EqualTo(1f).Within(1e-6f), "min-max scaled (x - lo) * (1 / (hi - lo)): one rounding");
    }

    [Test]
    public void TapThatIsAlsoTheCamFeatureMapIsFilled()
    {
        // scene-resnet is CIFAR-style: layer3 is the tensor the global average pool reads, which the CAM also needs.
        var px = Frame(9);
        using var rt = Create(cam: true, "layer3");
        var r = WaitAfterSubmit(rt, px);
        using var sync = Classifier.Create(Model, new ClassifierOptions { Backend = Backend.OrtCpu, Threads = 1, Taps = new[] { "layer3" } });
        var s = sync.Classify(px, W, H, W * 4, PixelFormat.Bgra32);
        Assert.That(r.Taps[0].Data.Any(v => v != 0), Is.True, "layer3 was read back");
        Assert.That(r.Taps[0].Data, Is.EqualTo(s.Taps[0].Data.AsSpan(0, r.Taps[0].Data.Length).ToArray()));
        Assert.That(r.Cam.ToArray().Max(), Is.EqualTo(1f).Within(1e-6f));
    }

    static RealtimeResult WaitAfterSubmit(RealtimeClassifier rt, byte[] px)
    {
        rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), 1);
        return WaitResult(rt, rt.CreateResult());
    }

    [Test]
    public void SafeFromManyThreadsAtOnce()
    {
        using var rt = Create();
        var px = Frame(5);
        const int threads = 4, each = 50;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var r = rt.CreateResult();
            for (int i = 0; i < each; i++)
            {
                rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), t * 1000 + i);
                rt.TryGetLatest(ref r);
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        var end = DateTime.UtcNow.AddSeconds(30);
        while (rt.Completed + rt.Dropped < threads * each && DateTime.UtcNow < end) Thread.Sleep(5);
        Assert.That(rt.Submitted, Is.EqualTo(threads * each));
        Assert.That(rt.Completed + rt.Dropped, Is.EqualTo(threads * each));
    }

    [Test]
    public void BadInputIsOneClearExceptionWithTheValues()
    {
        var rt = Create();
        var px = Frame(6);
        var e = Assert.Throws<ArgumentException>(() => rt.Submit(FrameInput.FromPixels(px.AsSpan(0, 1000), W, H, W * 4, PixelFormat.Bgra32), 0));
        Assert.That(e.Message, Does.Contain("1000 bytes").And.Contain($"{W}x{H}"));
        var s = Assert.Throws<ArgumentException>(() => rt.Submit(FrameInput.FromPixels(px, W, H, W * 2, PixelFormat.Bgra32), 0));
        Assert.That(s.Message, Does.Contain("stride 160"));
        var t = Assert.Throws<NotSupportedException>(() => rt.Submit(FrameInput.FromTexture(5, W, H), 0));
        Assert.That(t.Message, Does.Contain("ort-cpu takes CPU pixels"));
        using var other = Create();
        var foreign = other.CreateResult();
        Assert.Throws<ArgumentException>(() => rt.TryGetLatest(ref foreign));
        Assert.That(rt.Submitted, Is.Zero, "a refused frame is not counted");
        var r = rt.CreateResult();
        rt.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), 0));
        Assert.Throws<ObjectDisposedException>(() => rt.TryGetLatest(ref r));
        Assert.Throws<ObjectDisposedException>(() => rt.Update());
        rt.Dispose(); // twice is fine
        var k = Assert.Throws<ArgumentException>(() => RealtimeClassifier.Create(Model, new RealtimeOptions { Backend = Backend.OrtCpu, TopK = 0 }));
        Assert.That(k.Message, Does.Contain("got 0"));
        var b = Assert.Throws<ArgumentException>(() => RealtimeClassifier.Create(Model, new RealtimeOptions { Backend = (Backend)42 }));
        Assert.That(b.Message, Does.Contain("backend 42 is not a Backend"));
    }

    [Test]
    public void AutoWithoutAGlContextRunsOnTheCpuAndSaysWhy()
    {
        using var rt = RealtimeClassifier.Create(File.ReadAllBytes(Model), new RealtimeOptions { Threads = 1 });
        Assert.That(rt.Backend, Is.EqualTo(Backend.OrtCpu));
        Assert.That(rt.Choice.Reason, Does.Contain("no GlContext"));
    }

    [Test]
    public void FrameLoopAllocatesNothingInSteadyState()
    {
        using var rt = Create(cam: true, "layer2");
        var r = rt.CreateResult();
        var px = Frame(7);
        rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), -1);
        r = WaitResult(rt, r); // the first inference (ORT's own warm-up) before measuring
        long id = 0, before = rt.Completed;
        // The host's frame loop: submit, pump, poll. The worker thread's own allocations are not the caller's.
        long bytes = SteadyState.BytesPerWindow(() =>
        {
            rt.Submit(FrameInput.FromPixels(px, W, H, W * 4, PixelFormat.Bgra32), id++);
            rt.Update();
            rt.TryGetLatest(ref r);
            Thread.Sleep(1);
        });
        Assert.That(bytes, Is.Zero);
        Assert.That(rt.Completed, Is.GreaterThan(before), "results were published while the loop was measured");
    }
}
