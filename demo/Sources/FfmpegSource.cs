using System.ComponentModel;
using System.Diagnostics;

namespace ResNetRealtime.Demo.Sources;

/// <summary>
/// Frames from an ffmpeg child process (webcam, video file, still image, lavfi test pattern),
/// decoded and scaled by ffmpeg to <see cref="Width"/>×<see cref="Height"/> RGB24 on its stdout: the source's
/// own aspect ratio fitted into the caller's box (<see cref="FfmpegProbe"/>), never stretched to it.
/// A frame's CaptureTimestamp is when the camera produced it, as ffmpeg stamps it (<see cref="FfmpegTimestamps"/>),
/// so capture→display includes ffmpeg's decode, scale and the pipe; the end of our pipe read is only the fallback.
/// A capture thread reads whole frames straight into the <see cref="LatestFrameSlot"/>'s write frame
/// and publishes them; a slow consumer only ever sees the newest (stale ones are dropped and counted).
///
/// Failure is reported through the slot, never as a hang: ffmpeg missing, a device that does not
/// exist, ffmpeg dying, or no first frame within <see cref="FirstFrameTimeoutMs"/> complete the slot
/// with one line naming the source and ffmpeg's last stderr line.
/// </summary>
public sealed class FfmpegSource : IDisposable
{
    public const int FirstFrameTimeoutMs = 10_000;

    readonly SourceSpec _spec;
    readonly LatestFrameSlot _slot;
    readonly Process _process;
    readonly Thread _reader;
    readonly Queue<string> _stderrTail = new();
    readonly FfmpegTimestamps _stamps = new();
    volatile bool _disposed;

    public int Width { get; }
    public int Height { get; }
    public LatestFrameSlot Slot => _slot;
    public string Description { get; }
    /// <summary>The ffmpeg command line (for messages and tests).</summary>
    public string CommandLine { get; }
    /// <summary>Where capture times come from: "camera timestamps (v4l2 -ts abs)", …</summary>
    public string TimestampSource { get; }
    /// <summary>Frames whose capture time came from ffmpeg, and frames that fell back to the end of the pipe read.</summary>
    public long StampedFrames => _stamps.Stamped;
    public long UnstampedFrames => _stamps.Fallbacks;

    FfmpegSource(SourceSpec spec, int width, int height, IReadOnlyList<string> args, string ffmpeg, string timestampSource)
    {
        _spec = spec; Width = width; Height = height; TimestampSource = timestampSource;
        _slot = new LatestFrameSlot(width, height);
        Description = spec.ToString();
        var psi = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false, CreateNoWindow = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        CommandLine = ffmpeg + " " + string.Join(' ', args);
        try
        {
            _process = Process.Start(psi);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"source {Description}: {ResNetRealtime.Tools.Imaging.FfmpegLocator.StartFailure(ffmpeg, e)}");
        }
        _process.ErrorDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data) || _stamps.Offer(e.Data) || IsInfo(e.Data)) return;
            lock (_stderrTail) { _stderrTail.Enqueue(e.Data.Trim()); while (_stderrTail.Count > 8) _stderrTail.Dequeue(); }
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "rr-capture" };
        _reader.Start();
    }

    /// <summary>
    /// Starts ffmpeg for <paramref name="spec"/>, frames fitted into <paramref name="width"/>×<paramref name="height"/> with
    /// the source's aspect ratio. Throws one clear line when the source cannot even start
    /// (file or device missing, ffmpeg not installed); later failures arrive through <see cref="Slot"/>.
    /// </summary>
    public static FfmpegSource Start(SourceSpec spec, int width, int height, string ffmpeg = null)
    {
        ffmpeg ??= ResNetRealtime.Tools.Imaging.FfmpegLocator.Ffmpeg;   // beside the app (win-x64 ships ffmpeg.exe), else PATH
        if (width <= 0 || height <= 0 || width > 8192 || height > 8192) throw new ArgumentException($"capture size {width}x{height} out of range");
        // info level for showinfo's per-frame lines (the timestamp channel); -nostats: no progress lines.
        var args = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info" };
        int inputStart = args.Count;
        // Timestamps: a camera's own (-copyts keeps them absolute), or the wall clock when a paced source enters the graph.
        string stampFilter = "setpts=RTCTIME,", stampSource = "wall clock when ffmpeg produced the frame (setpts=RTCTIME)";
        switch (spec.Kind)
        {
            case SourceKind.Webcam:
                // Low delay: no input buffering, minimal probing, so the first frame comes fast and frames don't queue.
                args.AddRange(new[] { "-fflags", "nobuffer", "-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0" });
                args.Add("-copyts");
                stampFilter = "";
                if (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
                {
                    args.AddRange(new[] { "-use_wallclock_as_timestamps", "1" });
                    stampSource = "wall clock when ffmpeg received the frame (-use_wallclock_as_timestamps)";
                }
                if (OperatingSystem.IsWindows()) args.AddRange(new[] { "-f", "dshow", "-i", "video=" + (spec.Argument ?? FirstDshowHint()) });
                else if (OperatingSystem.IsMacOS()) args.AddRange(new[] { "-f", "avfoundation", "-framerate", "30", "-i", spec.Argument ?? "0" });
                else
                {
                    var dev = spec.Argument ?? "/dev/video0";
                    if (!Path.Exists(dev))
                        throw new InvalidOperationException($"source {spec}: no camera at {dev} (no such device; pass webcam:/dev/videoN)");
                    // The driver's capture timestamps, converted to the wall clock.
                    args.AddRange(new[] { "-f", "v4l2", "-ts", "abs", "-i", dev });
                    stampSource = "camera capture timestamps (v4l2 -ts abs)";
                }
                break;
            case SourceKind.Video:
                if (!File.Exists(spec.Argument)) throw new FileNotFoundException($"source {spec}: no such file {spec.Argument}");
                args.AddRange(new[] { "-re", "-stream_loop", "-1", "-i", spec.Argument });
                break;
            case SourceKind.Image:
                if (!File.Exists(spec.Argument)) throw new FileNotFoundException($"source {spec}: no such file {spec.Argument}");
                // A still picture repeated at 30 fps, so the pipeline and its latency stats keep running.
                args.AddRange(new[] { "-re", "-loop", "1", "-framerate", "30", "-i", spec.Argument });
                break;
            case SourceKind.Lavfi:
                args.AddRange(new[] { "-re", "-f", "lavfi", "-i", spec.Argument });
                break;
            default:
                throw new ArgumentException($"source {spec} is not an ffmpeg source");
        }
        var probed = FfmpegProbe.Probe(args.GetRange(inputStart, args.Count - inputStart).Where(a => a != "-copyts").ToList(), ffmpeg);
        var (w, h) = probed is { } p ? FfmpegProbe.Fit(p.W, p.H, p.Sar, width, height) : (width, height);
        // passthrough: one output frame per filtered frame (no duplicates or drops), so showinfo's n is the pipe's frame number.
        args.AddRange(new[] { "-an", "-vf", $"settb=1/1000000,{stampFilter}scale={w}:{h},setsar=1,showinfo", "-fps_mode", "passthrough",
                              "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1" });
        return new FfmpegSource(spec, w, h, args, ffmpeg, stampSource);
    }

    /// <summary>ffmpeg's informational lines (stream layout, filter configuration) at the info level we need for
    /// showinfo: not kept for error messages, which quote the last line ffmpeg said about a failure.</summary>
    static bool IsInfo(string line)
    {
        var t = line.TrimStart();
        return line.StartsWith(' ') || t.StartsWith("Input #") || t.StartsWith("Output #") || t.StartsWith("Stream mapping")
            || t.StartsWith("Press [q]") || t.StartsWith("video:") || t.StartsWith("Exiting normally") || (t.StartsWith("[Parsed_") && t.Contains("config"));
    }

    static string FirstDshowHint() =>
        throw new ArgumentException("webcam on Windows needs a device name: --source webcam:\"Integrated Camera\" (list them with: ffmpeg -list_devices true -f dshow -i dummy)");

    void ReadLoop()
    {
        var stdout = _process.StandardOutput.BaseStream;
        long seq = 0;
        string error = null;
        try
        {
            while (!_disposed)
            {
                var frame = _slot.WriteFrame;
                int got = ReadFull(stdout, frame.Pixels);
                if (got < frame.Pixels.Length)
                {
                    if (_disposed) break;
                    _process.WaitForExit(2000);
                    error = DescribeExit(seq, got);
                    break;
                }
                long readEnd = Stopwatch.GetTimestamp();
                frame.CaptureTimestamp = _stamps.CaptureTicks(seq, readEnd);
                frame.Sequence = seq++;
                // From the camera's stamp to the frame complete in our buffer: ffmpeg's decode + scale + the pipe.
                frame.CaptureMs = (readEnd - frame.CaptureTimestamp) * 1000.0 / Stopwatch.Frequency;
                frame.Label = -1;
                _slot.Publish();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            if (!_disposed) error = $"source {Description}: reading ffmpeg output failed ({e.Message})";
        }
        _slot.Complete(error);
    }

    string DescribeExit(long framesRead, int partial)
    {
        string tail = Cause();
        int? code = _process.HasExited ? _process.ExitCode : null;
        if (framesRead > 0 && code == 0 && partial == 0 && _spec.Kind == SourceKind.Video) return null; // normal end of a video
        string what = framesRead == 0 ? "produced no frame" : $"stopped after {framesRead} frames";
        return $"source {Description}: ffmpeg {what}{(code.HasValue ? $" (exit code {code})" : "")}{(tail != null ? ": " + tail : "")}";
    }

    static int ReadFull(Stream s, byte[] buffer)
    {
        int n = 0;
        while (n < buffer.Length)
        {
            int r = s.Read(buffer, n, buffer.Length - n);
            if (r <= 0) break;
            n += r;
        }
        return n;
    }

    /// <summary>
    /// Waits for the next frame with a bound: the first frame may take <see cref="FirstFrameTimeoutMs"/>
    /// (camera start-up), later ones <paramref name="timeoutMs"/>. Throws one clear line when the source
    /// failed or timed out; returns false at a normal end (video EOF).
    /// </summary>
    public bool WaitFrame(int timeoutMs, out CapturedFrame frame)
    {
        int wait = _slot.Published == 0 ? Math.Max(timeoutMs, FirstFrameTimeoutMs) : timeoutMs;
        if (_slot.TryTake(wait, out frame)) return true;
        if (_slot.Completed)
        {
            if (_slot.Error != null) throw new InvalidOperationException(_slot.Error);
            return false;
        }
        throw new TimeoutException($"source {Description}: no frame within {wait} ms (ffmpeg: {LastStderr() ?? "no message"})");
    }

    public string LastStderr() { lock (_stderrTail) return _stderrTail.Count > 0 ? _stderrTail.Last() : null; }

    /// <summary>What ffmpeg said about the failure, in one line (<see cref="DescribeStderr"/>).</summary>
    string Cause()
    {
        string[] lines;
        lock (_stderrTail) lines = _stderrTail.ToArray();
        return DescribeStderr(lines, _spec.Kind == SourceKind.Webcam);
    }

    /// <summary>
    /// ffmpeg's last stderr lines → one line. The last is often only the consequence ("video=X: I/O error" after dshow's
    /// "Could not find video device with name [X] among source devices of type video."): then the line before it, which
    /// names the cause, leads. "[dshow @ 0x…] " prefixes are dropped; a camera that is not there gets the listing command.
    /// </summary>
    internal static string DescribeStderr(IReadOnlyList<string> lines, bool webcam)
    {
        if (lines.Count == 0) return null;
        static string Clean(string l) => System.Text.RegularExpressions.Regex.Replace(l.Trim(), @"^\[[^\]]*\]\s*", "");
        string last = Clean(lines[^1]);
        bool consequence = last.EndsWith("I/O error", StringComparison.Ordinal) || last.EndsWith("Input/output error", StringComparison.Ordinal);
        string cause = consequence && lines.Count > 1 ? $"{Clean(lines[^2])} ({last})" : last;
        if (webcam && OperatingSystem.IsWindows() && cause.Contains("video device", StringComparison.Ordinal))
            cause += "; list the cameras with: ffmpeg -list_devices true -f dshow -i dummy";
        return cause;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(3000);
        _reader.Join(3000);
        _process.Dispose();
        _slot.Complete(null);
    }
}
