using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Demo.Imaging;

namespace ResNetRealtime.Tests.Demo;

static class DemoTestUtil
{
    public static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), $"rr-demo-tests-{Environment.ProcessId}", name);
        if (Directory.Exists(d)) Directory.Delete(d, true);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Decodes an image with ffmpeg (an independent decoder) to RGB24; fails the test on error. Bounded to 30 s.</summary>
    public static byte[] FfmpegDecodeRgb(string path, int width, int height)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi);
        var err = p.StandardError.ReadToEndAsync();
        var ms = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(ms);
        if (!p.WaitForExit(30_000)) { p.Kill(entireProcessTree: true); Assert.Fail($"ffmpeg decode of {path} did not end within 30 s; killed"); }
        Assert.That(copy.Wait(5000) && err.Wait(5000), Is.True, $"ffmpeg's output of {path} stayed open after it exited");
        Assert.That(p.ExitCode, Is.EqualTo(0), $"ffmpeg could not decode {path}: {err.Result}");
        Assert.That(ms.Length, Is.EqualTo(width * height * 3), $"ffmpeg decoded {ms.Length} bytes from {path}");
        return ms.ToArray();
    }

    /// <summary>Mean absolute RGB difference of two screenshots over a rectangle (0..255).</summary>
    public static double MeanAbsDiff(PngImage a, PngImage b, int x0, int y0, int w, int h)
    {
        long sum = 0;
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++)
                for (int c = 0; c < 3; c++)
                    sum += Math.Abs(a.Pixels[(y * a.Width + x) * 3 + c] - b.Pixels[(y * b.Width + x) * 3 + c]);
        return sum / (double)(w * h * 3);
    }
}
