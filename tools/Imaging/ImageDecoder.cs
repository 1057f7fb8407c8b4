using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Imaging;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace ResNetRealtime.Tools.Imaging;

/// <summary>An 8-bit interleaved image in memory.</summary>
public sealed class DecodedImage
{
    public DecodedImage(int width, int height, PixelFormat format, byte[] pixels)
    {
        Width = width; Height = height; Format = format; Pixels = pixels;
    }
    public int Width { get; }
    public int Height { get; }
    public PixelFormat Format { get; }
    public int StrideBytes => Width * Format.BytesPerPixel();
    public byte[] Pixels { get; }
}

/// <summary>
/// Decodes still images (PNG, JPEG, BMP, WebP, TIFF, … — whatever the system's ffmpeg reads) to RGB24.
/// One ffmpeg process writes the first frame as a PAM image ("P7" header with WIDTH/HEIGHT, then raw
/// RGB bytes), so the size arrives with the pixels and no second probe is needed. Failures become one
/// <see cref="InvalidDataException"/> (not an image) or <see cref="FileNotFoundException"/>/
/// <see cref="NotSupportedException"/> (ffmpeg missing) whose message names the file and the cause.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Program used to decode: ffmpeg beside the app, else on PATH (<see cref="FfmpegLocator"/>); tests point it
    /// at a missing binary.</summary>
    public static string FfmpegPath { get; set; } = FfmpegLocator.Ffmpeg;

    public static DecodedImage Decode(string path, int timeoutMs = 30000)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var psi = new ProcessStartInfo(FfmpegPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, CreateNoWindow = true,
        };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-i", path, "-frames:v", "1", "-f", "image2pipe", "-c:v", "pam", "-pix_fmt", "rgb24", "-" })
            psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi); }
        catch (Win32Exception e)
        {
            throw new NotSupportedException($"cannot decode {path}: {FfmpegLocator.StartFailure(FfmpegPath, e)}; or pass a .npy tensor instead");
        }
        using (p)
        {
            var errTask = p.StandardError.ReadToEndAsync();
            var ms = new MemoryStream();
            var copy = p.StandardOutput.BaseStream.CopyToAsync(ms);
            if (!copy.Wait(timeoutMs) || !p.WaitForExit(timeoutMs))
            {
                try { p.Kill(true); } catch (InvalidOperationException) { }
                throw new InvalidDataException($"{path}: ffmpeg did not finish decoding within {timeoutMs / 1000} s");
            }
            p.WaitForExit();
            string err = errTask.Result;
            var bytes = ms.ToArray();
            if (p.ExitCode != 0 || bytes.Length == 0)
            {
                // ffmpeg's first error line names the cause ("Invalid data found when processing input");
                // later ones are consequences. Drop its "[png @ 0x…] " and "PATH: " prefixes.
                string why = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"ffmpeg exit code {p.ExitCode}";
                why = System.Text.RegularExpressions.Regex.Replace(why, @"^\[[^\]]*\]\s*", "");
                if (why.StartsWith(path + ": ", StringComparison.Ordinal)) why = why[(path.Length + 2)..];
                throw new InvalidDataException($"{path}: not an image ffmpeg can decode ({why})");
            }
            return ParsePam(bytes, path);
        }
    }

    /// <summary>Parses a PAM (P7) RGB image as ffmpeg writes it.</summary>
    public static DecodedImage ParsePam(byte[] bytes, string name)
    {
        const string End = "ENDHDR\n";
        int headerEnd = -1;
        int limit = Math.Min(bytes.Length, 512);
        var head = Encoding.ASCII.GetString(bytes, 0, limit);
        int e = head.IndexOf(End, StringComparison.Ordinal);
        if (!head.StartsWith("P7\n", StringComparison.Ordinal) || e < 0)
            throw new InvalidDataException($"{name}: decoder output is not a PAM image");
        headerEnd = e + End.Length;
        int w = 0, h = 0, depth = 0, maxval = 0;
        foreach (var line in head[..e].Split('\n'))
        {
            var kv = line.Split(' ', 2);
            if (kv.Length != 2) continue;
            switch (kv[0])
            {
                case "WIDTH": int.TryParse(kv[1], out w); break;
                case "HEIGHT": int.TryParse(kv[1], out h); break;
                case "DEPTH": int.TryParse(kv[1], out depth); break;
                case "MAXVAL": int.TryParse(kv[1], out maxval); break;
            }
        }
        if (w < 1 || h < 1 || depth != 3 || maxval != 255)
            throw new InvalidDataException($"{name}: decoder returned an unexpected image (width {w}, height {h}, depth {depth}, maxval {maxval})");
        long need = (long)w * h * 3;
        if (bytes.Length - headerEnd < need)
            throw new InvalidDataException($"{name}: decoder returned {bytes.Length - headerEnd} pixel bytes for a {w}x{h} RGB image (needs {need})");
        var px = new byte[need];
        Buffer.BlockCopy(bytes, headerEnd, px, 0, (int)need);
        return new DecodedImage(w, h, PixelFormat.Rgb24, px);
    }
}
