using System.Diagnostics;
using System.Globalization;

namespace ResNetRealtime.Demo.Sources;

/// <summary>
/// When each frame was produced, from ffmpeg itself: the filter graph ends in <c>settb=1/1000000 … showinfo</c>, so
/// ffmpeg logs "n:&lt;frame&gt; pts:&lt;µs since 1970&gt;" on stderr for every frame it writes (with <c>-fps_mode passthrough</c>,
/// frame n of the log is frame n of the pipe). The pts is the camera's own timestamp (v4l2 <c>-ts abs</c>: the driver's
/// capture time on the wall clock; dshow/avfoundation: <c>-use_wallclock_as_timestamps</c>, when ffmpeg received it), or
/// for paced files and test patterns <c>setpts=RTCTIME</c>, when the frame entered the graph. Lines arrive on the
/// stderr reader's thread; the capture thread takes them by frame number. A small ring: the two threads are at most a
/// few frames apart.
/// </summary>
public sealed class FfmpegTimestamps
{
    const int Ring = 64;
    /// <summary>How long the capture thread waits for frame n's log line once its bytes are in (the two pipes race).</summary>
    public const int WaitMs = 50;
    /// <summary>A stamp further in the past than this is not this frame's (a clock that is not the wall clock): not used.</summary>
    const double MaxAgeMs = 5_000;

    readonly long[] _n = new long[Ring], _us = new long[Ring];
    readonly object _gate = new();

    public FfmpegTimestamps() => Array.Fill(_n, -1);

    /// <summary>Frames stamped from ffmpeg's log, and frames that fell back to the end of the pipe read.</summary>
    public long Stamped { get; private set; }
    public long Fallbacks { get; private set; }

    /// <summary>Takes a showinfo line ("[Parsed_showinfo_3 @ 0x..] n:   0 pts:1796188956311937 pts_time:..."); false for any other line.</summary>
    public bool Offer(string line)
    {
        if (!TryParse(line, out long n, out long us)) return false;
        lock (_gate) { _n[n % Ring] = n; _us[n % Ring] = us; Monitor.PulseAll(_gate); }
        return true;
    }

    public static bool TryParse(string line, out long n, out long us)
    {
        n = us = 0;
        if (line == null || !line.Contains("showinfo", StringComparison.Ordinal)) return false;
        int a = line.IndexOf(" n:", StringComparison.Ordinal), b = line.IndexOf(" pts:", StringComparison.Ordinal);
        if (a < 0 || b < a) return false;
        var ns = line.AsSpan(a + 3, b - a - 3).Trim();
        var rest = line.AsSpan(b + 5).TrimStart();
        int end = rest.IndexOf(' ');
        var ps = end < 0 ? rest : rest[..end];
        return long.TryParse(ns, NumberStyles.None, CultureInfo.InvariantCulture, out n)
            && long.TryParse(ps, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out us);
    }

    /// <summary>Stopwatch ticks when frame <paramref name="n"/> was produced; <paramref name="readEnd"/> (our pipe read) when ffmpeg's
    /// stamp does not come within <see cref="WaitMs"/> or is not plausible.</summary>
    public long CaptureTicks(long n, long readEnd)
    {
        long us = -1;
        lock (_gate)
        {
            var deadline = Stopwatch.GetTimestamp() + WaitMs * Stopwatch.Frequency / 1000;
            while (_n[n % Ring] != n)
            {
                long left = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (left <= 0 || _n[n % Ring] > n) break;
                Monitor.Wait(_gate, (int)left);
            }
            if (_n[n % Ring] == n) us = _us[n % Ring];
        }
        if (us >= 0)
        {
            // Wall clock → Stopwatch: the stamp's age now, subtracted from now.
            long nowTicks = Stopwatch.GetTimestamp();
            double ageMs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 1e4 - us / 1e3;
            if (ageMs >= -50 && ageMs <= MaxAgeMs)   // a few ms into the "future" is clock granularity: clamp to now
            {
                Stamped++;
                return nowTicks - (long)(Math.Max(ageMs, 0) * Stopwatch.Frequency / 1000);
            }
        }
        Fallbacks++;
        return readEnd;
    }
}
