using System.Globalization;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Tests.Native;

/// <summary>The C ABI's less travelled paths (tests/Native/c/paths.c, one mode each): create from bytes, the CAM,
/// wrong textures on gl, and a library shipped without ONNX Runtime.</summary>
[TestFixture, NonParallelizable]
public class NativePathTests
{
    static NativeHost.Result Paths(string mode, int timeoutSeconds = 120)
    {
        var r = NativeHost.RunHost(NativeHost.Compile(NativeHost.CSource("paths.c")), mode, timeoutSeconds);
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        Assert.That(r.Output, Does.Contain($"{mode}: 0 failure(s)"));
        return r;
    }

    static string[] Lines(string output, string tag) => output.Split('\n').Where(l => l.StartsWith(tag + " ")).Select(l => l[(tag.Length + 1)..].Trim()).ToArray();

    /// <summary>rr_create_from_bytes with the model file's bytes classifies like rr_create_from_path, bit for bit
    /// (labels too: they come from the model's metadata, not from a file beside it).</summary>
    [Test]
    public void CreateFromBytesEqualsCreateFromPath()
    {
        var r = Paths("bytes");
        var (path, bytes) = (Lines(r.Output, "path"), Lines(r.Output, "bytes"));
        Assert.That(path, Has.Length.EqualTo(2));
        Assert.That(bytes, Is.EqualTo(path));
    }

    /// <summary>The CAM through the C ABI has the managed API's size and values on the same frame (ort-cpu, 1 thread:
    /// the same preprocessing bit for bit, see NativePreprocessTests, so the same features and the same map).</summary>
    [Test]
    public void CamThroughTheCAbiEqualsTheManagedCam()
    {
        var r = Paths("cam");
        var lines = r.Output.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith("cam "));
        Assert.That(at, Is.GreaterThanOrEqualTo(0), r.Output);
        var size = lines[at].Split(' ');
        int w = int.Parse(size[1]), h = int.Parse(size[2]);
        var native = lines.Skip(at + 1).Take(h).SelectMany(l => l.Trim().Split(' ')).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

        const int W = 97, H = 61, Stride = W * 3 + 5, F = 3;   // paths.c's frame 3
        var px = new byte[Stride * H];
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) for (int ch = 0; ch < 3; ch++) px[y * Stride + x * 3 + ch] = (byte)((x * 3 + y * 5 + ch * 11 + F * 17) & 255);
        using var rt = RealtimeClassifier.Create(NativeHost.Model, new RealtimeOptions { Backend = Backend.OrtCpu, Threads = 1, Cam = true });
        var result = rt.CreateResult();
        rt.Submit(FrameInput.FromPixels(px, W, H, Stride, PixelFormat.Bgr24), F);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!rt.TryGetLatest(ref result))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "managed: no result in 30 s");
            Thread.Sleep(1);
        }
        Assert.That((w, h), Is.EqualTo((result.CamWidth, result.CamHeight)), "CAM size");
        Assert.That(native, Has.Length.EqualTo(w * h));
        Assert.That(native.Max(), Is.GreaterThan(native.Min()), "a flat CAM would match anything");
        Assert.That(native, Is.EqualTo(result.Cam.ToArray()), "CAM values (printed %.9g: exact floats)");
        Assert.That(Lines(r.Output, "top")[0].Split(' ')[0].Split(':')[0], Is.EqualTo(result.TopK[0].ClassIndex.ToString()));
    }

    /// <summary>gl on the host's textures: integer and depth formats, a cube map, a size that is not the texture's and a
    /// name that is no texture each give RR_E_INVALID_ARGUMENT with what the texture is; a good texture then classifies.</summary>
    [Test, Category("Gl")]
    public void WrongTexturesOnGlAreRefusedWithWhatTheyAre()
    {
        var r = Paths("texture", 180);
        Assert.That(r.Output, Does.Contain("internal format 0x8232").And.Contain("is not a GL_TEXTURE_2D").And.Contain("is 128x96, but the frame says 64x96"));
        Assert.That(Lines(r.Output, "texture"), Has.Length.EqualTo(1));
    }

    /// <summary>The library copied alone (no libonnxruntime.so beside it, none on the library path): rr_version works,
    /// ort-cpu gives RR_E_BACKEND and a last error that says what is missing and where it must be, twice (the failed
    /// type initialisation is cached; the second create must not crash either).</summary>
    [Test]
    public void WithoutOnnxRuntimeCreateFailsWithAReadableError()
    {
        var dir = Path.Combine(NativeHost.LibDir, "no-ort");
        Directory.CreateDirectory(dir);
        var lib = Path.Combine(dir, "libresnet_realtime.so");
        File.Copy(NativeHost.Library, lib, overwrite: true);
        Assert.That(Directory.GetFiles(dir, "*onnxruntime*"), Is.Empty);
        var exe = Path.Combine(dir, "paths");
        var cc = NativeHost.Run("gcc", $"-std=c11 -Wall -Werror -o \"{exe}\" \"{NativeHost.CSource("paths.c")}\" -I\"{NativeHost.Include}\" \"{lib}\" -lEGL -lGL -lpthread", dir, TimeSpan.FromMinutes(1));
        Assert.That(cc.Exit, Is.EqualTo(0), cc.Output);
        var r = NativeHost.Run(exe, $"\"{NativeHost.Model}\" noort", dir, TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = "" });
        Assert.That(r.Exit, Is.EqualTo(0), r.Output);
        Assert.That(r.Output, Does.Contain("noort: 0 failure(s)"));
        Assert.That(r.Output, Does.Contain("ONNX Runtime (libonnxruntime.so) was not found: it must lie beside the resnet_realtime library"));
    }
}
