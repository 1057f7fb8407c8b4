using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using NUnit.Framework;
using ResNetRealtime.Unity;
using RrNative = ResNetRealtime.Unity.Native;
using Backend = ResNetRealtime.Unity.Backend;   // the binding's own enum (the C numbering), not the runtime's

namespace ResNetRealtime.Tests.Native;

/// <summary>
/// The Unity binding (native/unity/ResNetRealtime.cs) run from .NET against the published library, and the 60 Hz host
/// harness (600 frames of 640x480 RGBA on ort-cpu) from C and from C# in one run: submit→result p50/p99, the loop's
/// stall p99, drops, and the library's managed allocations over the steady-state frames.
/// </summary>
[TestFixture, NonParallelizable]
public class NativeBindingTests
{
    static bool _resolverSet;

    [OneTimeSetUp]
    public void LoadLibrary()
    {
        _ = NativeHost.LibDir;
        if (_resolverSet) return;
        // The binding says DllImport("resnet_realtime"), as Unity resolves it from Assets/Plugins; here it is the published .so.
        NativeLibrary.SetDllImportResolver(Assembly.GetExecutingAssembly(), (name, _, _) =>
            name == RrNative.Lib ? NativeLibrary.Load(NativeHost.Library) : IntPtr.Zero);
        _resolverSet = true;
    }

    [Test]
    public void BindingCompilesForNetStandard21()
    {
        var proj = Path.Combine(RepoPaths.Root, "native", "unity", "ResNetRealtime.Unity.csproj");
        var r = NativeHost.Run("dotnet", $"build \"{proj}\" -c Release -nologo -v q -o \"{Path.Combine(NativeHost.LibDir, "unity-binding")}\"", RepoPaths.Root, TimeSpan.FromMinutes(4));
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
    }

    [Test]
    public void BindingClassifiesAndReportsErrors()
    {
        Assert.That(RrNative.Version(out _, out uint abi), Is.EqualTo(RrNative.Ok));
        Assert.That(abi, Is.EqualTo(1u));
        var e = Assert.Throws<NativeException>(() => NativeClassifier.Create("/nonexistent.onnx"));
        Assert.That(e!.Status, Is.EqualTo(-6));
        Assert.That(e.Message, Does.Contain("/nonexistent.onnx"));
        using var c = NativeClassifier.Create(NativeHost.Model, Backend.OrtCpu, topK: 3);
        var px = new byte[64 * 48 * 4];
        var h = GCHandle.Alloc(px, GCHandleType.Pinned);
        try
        {
            c.SubmitPixels(h.AddrOfPinnedObject(), px.Length, 64, 48, 256, ResNetRealtime.Unity.PixelFormat.Rgba32, 7);
            var sw = Stopwatch.StartNew();
            while (!c.Poll()) { Assert.That(sw.Elapsed.TotalSeconds, Is.LessThan(30), "no result in 30 s"); Thread.Sleep(1); }
            Assert.That(c.FrameId, Is.EqualTo(7));
            Assert.That(c.Count, Is.EqualTo(3));
            Assert.That(c.Label(0), Is.Not.Null.And.Not.Empty);
            Assert.That(c.Probability(0), Is.GreaterThanOrEqualTo(c.Probability(1)));
            Assert.Throws<NativeException>(() => c.SubmitPixels(h.AddrOfPinnedObject(), 10, 64, 48, 256, ResNetRealtime.Unity.PixelFormat.Rgba32, 8));
        }
        finally { h.Free(); }
    }

    [Test]
    public void HostHarness60HzFromCAndCSharp()
    {
        var c = NativeHost.RunHost(NativeHost.Compile(NativeHost.CSource("bench.c")), timeoutSeconds: 120);
        Assert.That(c.Exit, Is.EqualTo(0), c.Output);
        TestContext.Out.WriteLine(c.Output.Trim());
        Assert.That(c.Output, Does.Contain("dropped"));

        const int W = 640, H = 480, N = 600, Warm = 60;
        var create = Stopwatch.StartNew();
        using var rt = NativeClassifier.Create(NativeHost.Model, Backend.OrtCpu);
        create.Stop();
        var px = new byte[W * H * 4];
        var pin = GCHandle.Alloc(px, GCHandleType.Pinned);
        var lat = new List<double>(N); var stall = new List<double>(N); var pre = new List<double>(N);
        long thread0 = 0, total0 = 0, thread1, total1;
        try
        {
            var clock = Stopwatch.StartNew();
            double next = 0;
            for (int f = 0; f < N; f++)
            {
                if (f == Warm) RrNative.AllocatedBytes(out thread0, out total0);
                px[(f * 4099) % px.Length] ^= 0xff;
                double s0 = clock.Elapsed.TotalMilliseconds;
                rt.SubmitPixels(pin.AddrOfPinnedObject(), px.Length, W, H, W * 4, ResNetRealtime.Unity.PixelFormat.Rgba32, f);
                rt.Update();
                bool has = rt.Poll();
                double s1 = clock.Elapsed.TotalMilliseconds;
                if (f >= Warm) { stall.Add(s1 - s0); if (has) { lat.Add(rt.LatencyMs(4)); pre.Add(rt.LatencyMs(1)); } }
                next += 1000.0 / 60;
                double wait = next - clock.Elapsed.TotalMilliseconds;
                if (wait > 0) Thread.Sleep(TimeSpan.FromMilliseconds(wait));
            }
            RrNative.AllocatedBytes(out thread1, out total1);
        }
        finally { pin.Free(); }
        static double P(List<double> v, double p) { v.Sort(); return v.Count == 0 ? double.NaN : v[(int)(p * (v.Count - 1))]; }
        TestContext.Out.WriteLine($"c#: first create {create.Elapsed.TotalMilliseconds:F1} ms in the test process");
        TestContext.Out.WriteLine($"c#: submit->result p50 {P(lat, 0.5):F2} p99 {P(lat, 0.99):F2} ms, stall p99 {P(stall, 0.99):F3} ms, results {lat.Count}, " +
                                  $"allocated {total1 - total0} B (calling thread {thread1 - thread0} B)");
        // The same frames' preprocessing in the managed build (JIT: the widest SIMD path the CPU has; the library takes Vector128).
        var managedPre = new List<double>();
        using (var m = ResNetRealtime.Runtime.Realtime.RealtimeClassifier.Create(NativeHost.Model, new ResNetRealtime.Runtime.Realtime.RealtimeOptions { Backend = ResNetRealtime.Runtime.Backend.OrtCpu }))
        {
            var res = m.CreateResult();
            for (int f = 0; f < 120; f++)
            {
                m.Submit(ResNetRealtime.Runtime.Realtime.FrameInput.FromPixels(px, W, H, W * 4, ResNetRealtime.Runtime.Imaging.PixelFormat.Rgba32), f);
                var sw = Stopwatch.StartNew();
                while (!m.TryGetLatest(ref res)) { Assert.That(sw.Elapsed.TotalSeconds, Is.LessThan(30)); Thread.Sleep(1); }
                if (f >= 20) managedPre.Add(res.Latency.PreprocessMs);
            }
        }
        TestContext.Out.WriteLine($"preprocess 640x480 p50: native library {P(pre, 0.5):F3} ms, managed (JIT) {P(managedPre, 0.5):F3} ms; ISA {ResNetRealtime.Runtime.Backends.CpuIsa.Describe()}");
        Assert.That(lat.Count, Is.GreaterThan(N / 4), "a 60 Hz loop on ort-cpu gets most frames back");
        // The per-frame path allocates nothing on the calling thread (the worker's share is reported above).
        Assert.That(thread1 - thread0, Is.EqualTo(0), "managed bytes the library allocated on the host's thread over 540 steady-state frames");
    }
}
