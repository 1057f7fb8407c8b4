using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Tests.Native;

/// <summary>The native library (native/) from C: the header against the exports, error paths, CPU results against the
/// managed API, a texture of the host's own GL context, Unity's render-thread pattern, and every C example.</summary>
[TestFixture, NonParallelizable]
public class NativeLibraryTests
{
    [OneTimeSetUp]
    public void PublishOnce() => _ = NativeHost.LibDir;

    [Test]
    public void EveryDeclaredFunctionIsExported()
    {
        var header = File.ReadAllText(Path.Combine(NativeHost.Include, "resnet_realtime.h"));
        var declared = Regex.Matches(header, @"^RR_API\s+[^;(]*?\b(\w+)\s*\(", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.That(declared, Has.Count.GreaterThanOrEqualTo(15), "header parse found too few functions");
        var nm = NativeHost.Run("nm", $"-D --defined-only \"{NativeHost.Library}\"", NativeHost.LibDir, TimeSpan.FromSeconds(30));
        Assert.That(nm.Exit, Is.EqualTo(0), nm.Output);
        var exported = nm.Output.Split('\n').Select(l => l.Trim().Split(' ')).Where(p => p.Length == 3 && p[1] == "T").Select(p => p[2].Split("@")[0]).ToHashSet(); // "name@@V1.0": NativeAOT versions its symbols
        Assert.That(declared.Where(d => !exported.Contains(d)), Is.Empty, "declared in resnet_realtime.h but not exported by the library");
        Assert.That(exported.Where(e => e.StartsWith("rr_") && !declared.Contains(e)), Is.Empty, "exported but not declared in the header");
    }

    [Test]
    public void ErrorPathsReturnStatusesAndStructLayoutsAgree()
    {
        var r = NativeHost.RunHost(NativeHost.Compile(NativeHost.CSource("errors.c")));
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        var lines = r.Output.Split('\n');
        var c = lines.Where(l => l.StartsWith("layout ")).Select(l => l["layout ".Length..].Trim()).ToList();
        var managed = lines.Where(l => l.StartsWith("managed ")).Select(l => l["managed ".Length..].Trim()).ToList();
        Assert.That(c, Has.Count.EqualTo(5));
        Assert.That(managed, Is.EqualTo(c), "sizeof/offsetof in C (layout) against the library's own structs (managed)");
        Assert.That(r.Output, Does.Contain("ok bad path").And.Contain("ok newer struct_size").And.Contain("ok update after destroy"));
    }

    /// <summary>The same frames through the C ABI and through the managed RealtimeClassifier: same classes in the same
    /// order, probabilities within 1e-6. The model input is bit-identical (NativePreprocessTests: the library's Vector128
    /// path equals the JIT's AVX2/AVX-512 one) and so are the network's outputs (the CAM, made from them by plain loops,
    /// is equal bit for bit in NativePathTests); what differs is the softmax, whose TensorPrimitives Exp/Sum run at the
    /// vector width each build has (Vector128 in the library, up to Vector512 under the JIT) and so sum in another order:
    /// 1-2 ulp, ~1e-7 at p = 0.98.</summary>
    [Test]
    public void CpuPixelsGiveTheManagedApisResults()
    {
        const int frames = 4, W = 97, H = 61, Stride = W * 3 + 5;
        var r = NativeHost.RunHost(NativeHost.Compile(NativeHost.CSource("parity.c")), frames.ToString());
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        var native = r.Output.Split('\n').Where(l => l.StartsWith("frame ")).ToList();
        Assert.That(native, Has.Count.EqualTo(frames), r.Output);

        using var rt = RealtimeClassifier.Create(NativeHost.Model, new RealtimeOptions { Backend = Backend.OrtCpu, Threads = 1 });
        var result = rt.CreateResult();
        var px = new byte[Stride * H];
        for (int f = 0; f < frames; f++)
        {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (int ch = 0; ch < 3; ch++) px[y * Stride + x * 3 + ch] = (byte)((x * 3 + y * 5 + ch * 11 + f * 17) & 255);
            rt.Submit(FrameInput.FromPixels(px, W, H, Stride, PixelFormat.Bgr24), f);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!rt.TryGetLatest(ref result))
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"managed frame {f}: no result in 30 s");
                Thread.Sleep(1);
            }
            var parts = native[f].Trim().Split(' ');
            Assert.That(long.Parse(parts[1]), Is.EqualTo(result.FrameId));
            var top = result.TopK;
            Assert.That(parts.Length - 2, Is.EqualTo(top.Length), native[f]);
            for (int i = 0; i < top.Length; i++)
            {
                var kv = parts[i + 2].Split(':');
                Assert.That(int.Parse(kv[0]), Is.EqualTo(top[i].ClassIndex), $"frame {f} rank {i}: {native[f]}");
                Assert.That(float.Parse(kv[1], CultureInfo.InvariantCulture), Is.EqualTo(top[i].Probability).Within(1e-6), $"frame {f} rank {i}");
            }
        }
    }

    [Test]
    public void UnityPatternRenderThreadFiresWhileAnotherThreadSubmits()
    {
        var r = NativeHost.RunHost(NativeHost.Compile(NativeHost.CSource("unity_pattern.c")), timeoutSeconds: 180);
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        Assert.That(r.Output, Does.Contain("ok rr_update from the main thread").And.Contain("result frame"));
    }

    /// <summary>A ```c block of the docs that starts with "// example: NAME" is native/examples/NAME.c word for word,
    /// so the text a reader copies is the program ExampleBuildsAndRuns compiles.</summary>
    [Test]
    public void DocsCExamplesAreTheTestedFiles()
    {
        var docs = new[] { Path.Combine(RepoPaths.Root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md"));
        int n = 0;
        foreach (var f in docs)
            foreach (Match m in Regex.Matches(File.ReadAllText(f), "```c[ \\t]*\\n(// example: (\\S+)[ \\t]*\\n.*?)```", RegexOptions.Singleline))
            {
                var file = Path.Combine(RepoPaths.Root, "native", "examples", m.Groups[2].Value + ".c");
                Assert.That(File.Exists(file), $"{f}: example {m.Groups[2].Value} has no {file}");
                Assert.That(m.Groups[1].Value, Is.EqualTo(File.ReadAllText(file)), $"{f}: example {m.Groups[2].Value} differs from {file}");
                n++;
            }
        Assert.That(n, Is.GreaterThanOrEqualTo(1), "no ```c example block in README.md or docs/*.md");
    }

    static IEnumerable<string> Examples() => Directory.GetFiles(Path.Combine(RepoPaths.Root, "native", "examples"), "*.c").Select(Path.GetFileName).Order();

    /// <summary>Each example as a user would build it: gcc -std=c11 main.c -I include library -lEGL -lGL.</summary>
    [TestCaseSource(nameof(Examples))]
    public void ExampleBuildsAndRuns(string name)
    {
        var src = Path.Combine(RepoPaths.Root, "native", "examples", name);
        Assert.That(File.ReadLines(src).First(), Does.StartWith("// example: "), "first line names the example");
        var dir = Path.Combine(NativeHost.LibDir, "example-" + Path.GetFileNameWithoutExtension(name));
        Directory.CreateDirectory(dir);
        File.Copy(src, Path.Combine(dir, "main.c"), overwrite: true);
        var cc = NativeHost.Run("gcc", $"-std=c11 main.c -I\"{NativeHost.Include}\" \"{NativeHost.Library}\" -lEGL -lGL -o main", dir, TimeSpan.FromMinutes(1));
        Assert.That(cc.Exit, Is.EqualTo(0), cc.Output);
        var r = NativeHost.Run(Path.Combine(dir, "main"), $"\"{NativeHost.Model}\"", dir, TimeSpan.FromSeconds(120));
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        TestContext.Out.WriteLine(r.Output);
    }
}
