namespace ResNetRealtime.Demo.Sources;

/// <summary>
/// Single-producer / single-consumer "latest frame wins" hand-off with three pooled frames:
/// one being written, one ready, one being read. Publishing while the ready frame was never taken
/// replaces it and counts a drop — so a slow consumer sees the newest picture, never a queue of
/// stale ones, and the producer never blocks. No allocation after construction.
/// </summary>
public sealed class LatestFrameSlot
{
    readonly CapturedFrame[] _frames;
    readonly object _lock = new();
    int _write = 0, _ready = 1, _read = 2;
    bool _hasNew;
    long _published, _dropped;
    string _error;
    bool _completed;

    public LatestFrameSlot(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"frame size must be positive (got {width}x{height})");
        _frames = new[] { new CapturedFrame(width, height), new CapturedFrame(width, height), new CapturedFrame(width, height) };
        Width = width; Height = height;
    }

    public int Width { get; }
    public int Height { get; }
    public long Published { get { lock (_lock) return _published; } }
    /// <summary>Frames replaced before the consumer took them.</summary>
    public long Dropped { get { lock (_lock) return _dropped; } }
    /// <summary>Set once the producer is finished: null for a normal end (video EOF), the reason otherwise.</summary>
    public string Error { get { lock (_lock) return _error; } }
    public bool Completed { get { lock (_lock) return _completed; } }

    /// <summary>The frame the producer may fill now (only the producer thread touches it until Publish).</summary>
    public CapturedFrame WriteFrame => _frames[_write];

    /// <summary>Makes the write frame the latest one; the previous unread one (if any) is dropped.</summary>
    public void Publish()
    {
        lock (_lock)
        {
            (_write, _ready) = (_ready, _write);
            if (_hasNew) _dropped++;
            _hasNew = true;
            _published++;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>The producer is done (normally when <paramref name="error"/> is null). Wakes a waiting consumer.</summary>
    public void Complete(string error)
    {
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
            _error = error;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>
    /// Takes the newest published frame, waiting up to <paramref name="timeoutMs"/> (0 = don't wait).
    /// The returned frame stays valid until the next TryTake. False when nothing new arrived in time
    /// or the producer completed with nothing pending.
    /// </summary>
    public bool TryTake(int timeoutMs, out CapturedFrame frame)
    {
        lock (_lock)
        {
            if (!_hasNew && !_completed && timeoutMs > 0)
            {
                var deadline = Environment.TickCount64 + timeoutMs;
                while (!_hasNew && !_completed)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0 || !Monitor.Wait(_lock, (int)left)) break;
                }
            }
            if (!_hasNew) { frame = null; return false; }
            (_read, _ready) = (_ready, _read);
            _hasNew = false;
            frame = _frames[_read];
            return true;
        }
    }
}
