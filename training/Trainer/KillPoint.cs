using System.Runtime.InteropServices;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// TEST HOOK for the crash-consistency tests (tests/Training/App/KillTests.cs): with the environment variable
/// RR_TEST_KILL_AT=POINT:N the process kills itself with SIGKILL (kill(getpid(), 9): no finally, no flush)
/// the N-th time (1-based, counted in this process) it reaches the named point. Points are named where the
/// trainer calls <see cref="Hit"/> ("batch", "after-checkpoint", "after-metrics", "after-gradflow",
/// "before-export", "after-export") and, for "during the write of FILE", where it opens a temporary file
/// through <see cref="OpenTemp"/> ("write-checkpoint.rrck", "write-metrics.json", …): the kill then comes
/// after half the file's bytes are written. Unset (always, outside the tests) it costs one string compare.
/// RR_TEST_SAVE_DELAY_MS=T makes each checkpoint save start T ms late (<see cref="SaveDelay"/>), inside the
/// save, so that a test's second Ctrl-C reliably lands while a save is in progress.
/// </summary>
public static class KillPoint
{
    static readonly (string Point, int N)? Target = ParseTarget(Environment.GetEnvironmentVariable("RR_TEST_KILL_AT"));
    static readonly Dictionary<string, int> Counts = new(StringComparer.Ordinal);

    static (string, int)? ParseTarget(string v)
    {
        if (string.IsNullOrEmpty(v)) return null;
        int c = v.LastIndexOf(':');
        return c > 0 && int.TryParse(v.AsSpan(c + 1), out int n) && n > 0 ? (v[..c], n) : (v, 1);
    }

    static readonly int DelayMs = int.TryParse(Environment.GetEnvironmentVariable("RR_TEST_SAVE_DELAY_MS"), out int d) ? d : 0;

    /// <summary>Sleeps RR_TEST_SAVE_DELAY_MS (test hook; 0 when unset).</summary>
    public static void SaveDelay()
    {
        if (DelayMs > 0) Thread.Sleep(DelayMs);
    }

    /// <summary>Counts a pass through <paramref name="point"/>; kills the process if it is the targeted pass.</summary>
    public static void Hit(string point)
    {
        if (Target is not { } t || t.Point != point) return;
        lock (Counts)
        {
            Counts[point] = Counts.GetValueOrDefault(point) + 1;
            if (Counts[point] == t.N) Die();
        }
    }

    /// <summary>An AtomicFile temp opener for FILE: null (AtomicFile's default) unless "write-FILE" is targeted;
    /// then a file stream that kills the process halfway through the content on the targeted write.</summary>
    public static Func<string, Stream> OpenTemp(string file)
    {
        string point = "write-" + file;
        if (Target is not { } t || t.Point != point) return null;
        return tmp =>
        {
            var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None);
            lock (Counts) Counts[point] = Counts.GetValueOrDefault(point) + 1;
            return Counts[point] == t.N ? new HalfThenDie(fs) : fs;
        };
    }

    static void Die()
    {
        Console.Error.Flush();
        if (OperatingSystem.IsWindows()) Environment.FailFast("RR_TEST_KILL_AT");
        kill(Environment.ProcessId, 9);
        Thread.Sleep(Timeout.Infinite);
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    /// <summary>Buffers the content; at flush time writes the first half to disk and dies (a torn temp file).</summary>
    sealed class HalfThenDie(FileStream inner) : Stream
    {
        readonly MemoryStream _buf = new();
        public override void Write(byte[] buffer, int offset, int count) => _buf.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _buf.Write(buffer);
        public override void Flush()
        {
            inner.Write(_buf.GetBuffer(), 0, (int)(_buf.Length / 2));
            inner.Flush(flushToDisk: true);
            Die();
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _buf.Length;
        public override long Position { get => _buf.Length; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
