using System.ComponentModel;
using System.Diagnostics;

namespace ResNetRealtime.Demo.Sources;

/// <summary>
/// Frames from an ffmpeg child process (webcam, video file, still image, lavfi test pattern),
/// decoded and scaled by ffmpeg to <see cref="Width"/>×<see cref="Height"/> RGB24 on its stdout.
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
    volatile bool _disposed;

    public int Width { get; }
    public int Height { get; }
    public LatestFrameSlot Slot => _slot;
    public string Description { get; }
    /// <summary>The ffmpeg command line (for messages and tests).</summary>
    public string CommandLine { get; }

    FfmpegSource(SourceSpec spec, int width, int height, IReadOnlyList<string> args, string ffmpeg)
    {
        _spec = spec; Width = width; Height = height;
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
            throw new InvalidOperationException($"source {Description}: cannot run '{ffmpeg}' ({e.Message}); install ffmpeg (Debian: apt-get install ffmpeg) or put it on PATH");
        }
        _process.ErrorDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data)) return;
            lock (_stderrTail) { _stderrTail.Enqueue(e.Data.Trim()); while (_stderrTail.Count > 8) _stderrTail.Dequeue(); }
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "rr-capture" };
        _reader.Start();
    }

    /// <summary>
    /// Starts ffmpeg for <paramref name="spec"/>. Throws one clear line when the source cannot even start
    /// (file or device missing, ffmpeg not installed); later failures arrive through <see cref="Slot"/>.
    /// </summary>
    public static FfmpegSource Start(SourceSpec spec, int width, int height, string ffmpeg = "ffmpeg")
    {
        if (width <= 0 || height <= 0 || width > 8192 || height > 8192) throw new ArgumentException($"capture size {width}x{height} out of range");
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error" };
        switch (spec.Kind)
        {
            case SourceKind.Webcam:
                // Low delay: no input buffering, minimal probing, so the first frame comes fast and frames don't queue.
                args.AddRange(new[] { "-fflags", "nobuffer", "-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0" });
                if (OperatingSystem.IsWindows()) args.AddRange(new[] { "-f", "dshow", "-i", "video=" + (spec.Argument ?? FirstDshowHint()) });
                else if (OperatingSystem.IsMacOS()) args.AddRange(new[] { "-f", "avfoundation", "-framerate", "30", "-i", spec.Argument ?? "0" });
                else
                {
                    var dev = spec.Argument ?? "/dev/video0";
                    if (!Path.Exists(dev))
                        throw new InvalidOperationException($"source {spec}: no camera at {dev} (no such device; pass webcam:/dev/videoN)");
                    args.AddRange(new[] { "-f", "v4l2", "-i", dev });
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
        args.AddRange(new[] { "-an", "-vf", $"scale={width}:{height}", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1" });
        return new FfmpegSource(spec, width, height, args, ffmpeg);
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
                long t0 = Stopwatch.GetTimestamp();
                int got = ReadFull(stdout, frame.Pixels);
                if (got < frame.Pixels.Length)
                {
                    if (_disposed) break;
                    _process.WaitForExit(2000);
                    error = DescribeExit(seq, got);
                    break;
                }
                frame.Sequence = seq++;
                frame.CaptureTimestamp = Stopwatch.GetTimestamp();
                frame.CaptureMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
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
        string tail;
        lock (_stderrTail) tail = _stderrTail.Count > 0 ? _stderrTail.Last() : null;
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
    public bool WaitFrame(int timeoutMs, out Frame frame)
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
