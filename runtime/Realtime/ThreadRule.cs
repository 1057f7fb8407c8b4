namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// The gl thread rule: a GL context is current on one thread, so GL work happens only on the thread that created
/// the object (the host's GL thread). Checked at every public entry before any GL or EGL call, so a call from
/// another thread gets this rule in an InvalidOperationException instead of EGL_BAD_ACCESS from eglMakeCurrent.
/// </summary>
internal sealed class ThreadRule
{
    readonly int _owner = Environment.CurrentManagedThreadId;
    readonly string _what;

    public ThreadRule(string what) => _what = what;

    public void Check()
    {
        int t = Environment.CurrentManagedThreadId;
        if (t != _owner) Throw(t);
    }

    void Throw(int t) => throw new InvalidOperationException(
        $"{_what}: GL work runs only on the thread that created it (the host's GL thread, managed thread {_owner}); " +
        $"this call came from thread {t}. Call it from that thread, or use a CPU backend (ort-cpu), which is safe from any thread.");
}
