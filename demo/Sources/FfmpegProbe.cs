using System.Diagnostics;
using System.Globalization;

namespace ResNetRealtime.Demo.Sources;

/// <summary>
/// The size frames come out of ffmpeg at: the source's own picture (ffprobe: width, height, sample aspect ratio)
/// scaled down to fit the caller's box with its display aspect ratio kept — a 1280×720 webcam in a 640×480 box
/// gives 640×360, not a stretched 640×480. Never scaled up. When the probe fails (no ffprobe, a bad source) the
/// box itself is used and ffmpeg, started next, reports what is wrong through the frame slot.
/// </summary>
public static class FfmpegProbe
{
    const int TimeoutMs = 10_000;   // a camera may take seconds to open

    /// <summary>Output size for a <paramref name="w"/>×<paramref name="h"/> source with sample aspect <paramref name="sar"/> in a box.</summary>
    public static (int W, int H) Fit(int w, int h, double sar, int boxW, int boxH)
    {
        double displayW = w * (sar > 0 ? sar : 1.0);
        double scale = Math.Min(1.0, Math.Min(boxW / displayW, boxH / (double)h));
        return (Math.Max(1, (int)Math.Round(displayW * scale)), Math.Max(1, (int)Math.Round(h * scale)));
    }

    /// <summary>(width, height, sample aspect) of the first video stream, or null when ffprobe cannot tell.</summary>
    public static (int W, int H, double Sar)? Probe(IReadOnlyList<string> inputArgs, string ffmpeg)
    {
        string dir = Path.GetDirectoryName(ffmpeg);
        string ffprobe = string.IsNullOrEmpty(dir) ? "ffprobe" : Path.Combine(dir, "ffprobe" + (OperatingSystem.IsWindows() ? ".exe" : ""));
        var psi = new ProcessStartInfo(ffprobe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, CreateNoWindow = true };
        psi.ArgumentList.Add("-v"); psi.ArgumentList.Add("error");
        for (int i = 0; i < inputArgs.Count; i++)
        {
            // Pacing and looping are ffmpeg's business, not ffprobe's (it reads one frame's worth).
            if (inputArgs[i] == "-re") continue;
            if (inputArgs[i] is "-stream_loop" or "-loop") { i++; continue; }
            psi.ArgumentList.Add(inputArgs[i]);
        }
        foreach (var a in new[] { "-select_streams", "v:0", "-show_entries", "stream=width,height,sample_aspect_ratio", "-of", "csv=p=0" }) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi);
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeoutMs)) { try { p.Kill(true); } catch (InvalidOperationException) { } return null; }
            return p.ExitCode == 0 ? Parse(stdout.Result) : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    /// <summary>ffprobe's "320,180,1:1" (the SAR may be "N/A" or "0:1": square pixels).</summary>
    public static (int W, int H, double Sar)? Parse(string csv)
    {
        var f = (csv ?? "").Trim().Split('\n')[0].Trim().Split(',');
        if (f.Length < 2 || !int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w) || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || w < 1 || h < 1)
            return null;
        double sar = 1;
        if (f.Length > 2 && f[2].Split(':') is [var n, var d] && double.TryParse(n, CultureInfo.InvariantCulture, out double sn) && double.TryParse(d, CultureInfo.InvariantCulture, out double sd) && sn > 0 && sd > 0)
            sar = sn / sd;
        return (w, h, sar);
    }
}
