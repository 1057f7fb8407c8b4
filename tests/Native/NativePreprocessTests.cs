using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;

namespace ResNetRealtime.Tests.Native;

/// <summary>The native library's preprocessor (rr_debug_preprocess, the code rr_submit_pixels runs) against the managed
/// one, bit for bit: on this CPU, and on an emulated x86-64 without AVX2 (qemu-user, `-cpu Nehalem`: SSE4.2, no AVX).
/// NativeAOT's default instruction set folds Avx2/Avx512 IsSupported to false, so the library takes the Vector128 path
/// where the JIT here takes the widest; every path computes the same float operations in the same order.</summary>
[TestFixture, NonParallelizable]
public class NativePreprocessTests
{
    const int N = 3 * 224 * 224;

    /// <summary>tests/Native/c/preprocess.c's pixel formula.</summary>
    static byte Pixel(int x, int y, int ch, int frame) => (byte)((x * 7 + y * 13 + ch * 29 + (x * y) % 17 + frame * 101) & 255);

    static float[] Managed()
    {
        var pre = new Preprocessor(3, 224, 224);
        var out2 = new float[2 * N];
        foreach (var (w, h, bpp, stride, fmt, frame) in new[] { (640, 480, 4, 640 * 4, PixelFormat.Bgra32, 0), (97, 61, 3, 97 * 3 + 5, PixelFormat.Bgr24, 1) })
        {
            var px = new byte[stride * h];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < bpp; c++) px[y * stride + x * bpp + c] = Pixel(x, y, c, frame);
            pre.Run(px, w, h, stride, fmt, out2.AsSpan(frame * N, N));
        }
        return out2;
    }

    static void AssertBitIdentical(string bin, string who)
    {
        var bytes = File.ReadAllBytes(bin);
        Assert.That(bytes, Has.Length.EqualTo(2 * N * 4), $"{bin}: size");
        var native = new float[2 * N];
        Buffer.BlockCopy(bytes, 0, native, 0, bytes.Length);
        var managed = Managed();
        for (int i = 0; i < native.Length; i++)
            if (BitConverter.SingleToInt32Bits(native[i]) != BitConverter.SingleToInt32Bits(managed[i]))
                Assert.Fail($"{who}: frame {i / N} element {i % N} = {native[i]:R}, managed (JIT, {Preprocessor.BestPath}) {managed[i]:R}");
    }

    static string Simd(string output) => output.Split('\n').FirstOrDefault(l => l.StartsWith("simd "))?["simd ".Length..].Trim();

    [Test]
    public void NativePreprocessorEqualsManagedBitForBit()
    {
        var bin = Path.Combine(NativeHost.LibDir, "pre-host.bin");
        var r = NativeHost.RunHost(NativeHost.Compile(NativeHost.CSource("preprocess.c")), $"\"{bin}\" 0");
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        Assert.That(Simd(r.Output), Is.Not.Null.And.Not.EqualTo("Scalar"), "the native build kept no SIMD path: " + r.Output);
        AssertBitIdentical(bin, $"native ({Simd(r.Output)})");
    }

    static string Qemu()
    {
        var q = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "qemu-x86_64")).FirstOrDefault(File.Exists);
        if (q == null) Assert.Ignore("qemu-x86_64 not installed (apt-get install qemu-user): the no-AVX2 run needs an emulated CPU");
        return q;
    }

    /// <summary>The library on a CPU without AVX/AVX2/FMA: it starts, preprocesses bit for bit like the managed build,
    /// and classifies frames like the same library on this CPU (same classes; probabilities within 1e-6, because ONNX
    /// Runtime's own kernels differ by ISA: SSE on Nehalem, AVX2/AVX-512 here, summing in another order).</summary>
    [Test]
    public void RunsWithoutAvx2UnderQemuNehalem()
    {
        var qemu = Qemu();
        // The emulation must hide AVX2 from the program, or the run proves nothing.
        var probeSrc = Path.Combine(NativeHost.LibDir, "cpu-probe.c");
        File.WriteAllText(probeSrc, "#include <stdio.h>\nint main(void){__builtin_cpu_init();printf(\"avx2 %d avx %d sse4.2 %d\\n\",!!__builtin_cpu_supports(\"avx2\"),!!__builtin_cpu_supports(\"avx\"),!!__builtin_cpu_supports(\"sse4.2\"));return 0;}\n");
        var probe = Path.Combine(NativeHost.LibDir, "cpu-probe");
        Assert.That(NativeHost.Run("gcc", $"-o \"{probe}\" \"{probeSrc}\"", NativeHost.LibDir, TimeSpan.FromMinutes(1)).Exit, Is.EqualTo(0));
        var cpu = NativeHost.Run(qemu, $"-cpu Nehalem \"{probe}\"", NativeHost.LibDir, TimeSpan.FromSeconds(30));
        Assert.That(cpu.Output.Trim(), Is.EqualTo("avx2 0 avx 0 sse4.2 1"), "qemu -cpu Nehalem as the program sees it");

        var bin = Path.Combine(NativeHost.LibDir, "pre-nehalem.bin");
        var pre = NativeHost.Run(qemu, $"-cpu Nehalem \"{NativeHost.Compile(NativeHost.CSource("preprocess.c"))}\" \"{NativeHost.Model}\" \"{bin}\" 0",
                                 NativeHost.LibDir, TimeSpan.FromSeconds(120));
        Assert.That(pre.Exit, Is.EqualTo(0), pre.Output);
        Assert.That(Simd(pre.Output), Is.EqualTo("Vector128"), pre.Output);
        AssertBitIdentical(bin, "native under qemu -cpu Nehalem");

        var parity = NativeHost.Compile(NativeHost.CSource("parity.c"));
        var here = NativeHost.RunHost(parity, "2");
        var emulated = NativeHost.Run(qemu, $"-cpu Nehalem \"{parity}\" \"{NativeHost.Model}\" 2", NativeHost.LibDir, TimeSpan.FromSeconds(180));
        Assert.That(here.Exit, Is.EqualTo(0), here.Output);
        Assert.That(emulated.Exit, Is.EqualTo(0), emulated.Output);
        static string[][] Frames(string o) => o.Split('\n').Where(l => l.StartsWith("frame ")).Select(l => l.Trim().Split(' ')).ToArray();
        var (a, b) = (Frames(here.Output), Frames(emulated.Output));
        Assert.That(b, Has.Length.EqualTo(2).And.Length.EqualTo(a.Length), emulated.Output);
        for (int f = 0; f < a.Length; f++)
        {
            Assert.That(b[f].Length, Is.EqualTo(a[f].Length));
            for (int i = 2; i < a[f].Length; i++)
            {
                var (ka, kb) = (a[f][i].Split(':'), b[f][i].Split(':'));
                Assert.That(kb[0], Is.EqualTo(ka[0]), $"frame {f} rank {i - 2}: {string.Join(' ', a[f])} vs {string.Join(' ', b[f])}");
                Assert.That(double.Parse(kb[1], CultureInfo.InvariantCulture), Is.EqualTo(double.Parse(ka[1], CultureInfo.InvariantCulture)).Within(1e-6));
            }
        }
    }
    /// <summary>Preprocessing 640x480 BGRA → 3x224x224, median per call: the native library at its default instruction
    /// set, the same library built with RR_NATIVE_V3_DIR's x86-64-v3 (when given: native/bench.sh publishes it) and the
    /// managed build under the JIT on each of its paths, interleaved over 5 rounds. Run by native/bench.sh.</summary>
    [Test, Explicit("benchmark: native/bench.sh runs it under the lock"), Category("Bench")]
    public void PreprocessTimingNativeAgainstManaged()
    {
        const int Iters = 400, Rounds = 5;
        var hosts = new List<(string name, string exe)> { ("native default", NativeHost.Compile(NativeHost.CSource("preprocess.c"))) };
        if (Environment.GetEnvironmentVariable("RR_NATIVE_V3_DIR") is { Length: > 0 } v3)
        {
            var lib = Path.Combine(v3, "libresnet_realtime.so");
            Assert.That(File.Exists(lib), $"RR_NATIVE_V3_DIR={v3} holds no libresnet_realtime.so");
            var exe = Path.Combine(v3, "host-preprocess");
            var cc = NativeHost.Run("gcc", $"-std=c11 -O2 -o \"{exe}\" \"{NativeHost.CSource("preprocess.c")}\" -I\"{NativeHost.Include}\" \"{lib}\"", v3, TimeSpan.FromMinutes(1));
            Assert.That(cc.Exit, Is.EqualTo(0), cc.Output);
            hosts.Add(("native x86-64-v3", exe));
        }
        var px = new byte[640 * 480 * 4];
        for (int y = 0; y < 480; y++) for (int x = 0; x < 640; x++) for (int c = 0; c < 4; c++) px[y * 2560 + x * 4 + c] = Pixel(x, y, c, 0);
        var pre = new Preprocessor(3, 224, 224);
        var o = new float[N];
        var paths = Enum.GetValues<SimdPath>().Where(p => p <= Preprocessor.BestPath).Reverse().ToList();
        var rows = new Dictionary<string, List<double>>();
        void Add(string k, double v) { if (!rows.TryGetValue(k, out var l)) rows[k] = l = new(); l.Add(v); }
        var bin = Path.Combine(NativeHost.LibDir, "pre-timing.bin");
        for (int round = 0; round < Rounds; round++)
        {
            foreach (var (name, exe) in hosts)
            {
                var r = NativeHost.Run(exe, $"\"{NativeHost.Model}\" \"{bin}\" {Iters}", NativeHost.LibDir, TimeSpan.FromSeconds(120));
                Assert.That(r.Exit, Is.EqualTo(0), r.Output);
                var p50 = r.Output.Split('\n').First(l => l.StartsWith("p50_ms "))["p50_ms ".Length..];
                Add($"{name} ({Simd(r.Output)})", double.Parse(p50, CultureInfo.InvariantCulture));
            }
            foreach (var p in paths)
            {
                pre.MaxPath = p;
                var t = new double[Iters];
                for (int i = -20; i < Iters; i++)
                {
                    long a = Stopwatch.GetTimestamp();
                    pre.Run(px, 640, 480, 2560, PixelFormat.Bgra32, o);
                    if (i >= 0) t[i] = Stopwatch.GetElapsedTime(a).TotalMilliseconds;
                }
                Array.Sort(t);
                Add($"managed JIT ({p})", t[Iters / 2]);
            }
        }
        TestContext.Out.WriteLine($"preprocess 640x480 BGRA -> 3x224x224, median of {Rounds} rounds of {Iters}-call medians; ISA {ResNetRealtime.Runtime.Backends.CpuIsa.Describe()}");
        foreach (var (k, v) in rows)
        {
            v.Sort();
            TestContext.Out.WriteLine(FormattableString.Invariant($"  {k,-34} {v[v.Count / 2]:F4} ms  (rounds {string.Join(" ", v.Select(x => x.ToString("F4", CultureInfo.InvariantCulture)))})"));
        }
    }
}
