using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using NUnit.Framework;

namespace ResNetRealtime.Tests;

/// <summary>
/// A child process of a test, with no wait that lacks a limit. stdout and stderr are read as they come (a full pipe never
/// blocks the child, and what it printed so far can be waited on); a limit that runs out kills the whole process tree
/// and fails the test with the command line, the limit and the tails of both streams.
/// </summary>
/// <remarks>
/// On Unix the child starts through `env --default-signal=INT`. A test run started from a background job (`&amp;` in a
/// script, nohup) inherits SIGINT as ignored, .NET hands its children the disposition it was started with, and a child
/// that ignores SIGINT never sees the Ctrl-C a test sends it (issue 25: `rr train` trained on and the test waited for
/// ever). `env` resets it, then execs the real program in the same process, so <see cref="Id"/> is the program's pid.
/// </remarks>
public sealed class ChildProcess : IDisposable
{
    readonly Process _p;
    readonly StringBuilder _out = new(), _err = new();
    readonly Task _outDone, _errDone;

    /// <summary>The program and its arguments as given (without the `env` trampoline), for failure messages.</summary>
    public string CommandLine { get; }
    public int Id => _p.Id;
    public bool HasExited => _p.HasExited;
    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }

    ChildProcess(ProcessStartInfo psi, string commandLine)
    {
        CommandLine = commandLine;
        _p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start `{commandLine}`");
        _outDone = Pump(_p.StandardOutput, _out);
        _errDone = Pump(_p.StandardError, _err);
    }

    /// <summary>Starts FILE ARGS. <paramref name="configure"/> may set the environment and working directory.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, Action<ProcessStartInfo> configure = null)
    {
        var argList = args.ToList();
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = false, UseShellExecute = false };
        if (OperatingSystem.IsWindows()) psi.FileName = file;
        else
        {
            psi.FileName = "env";
            psi.ArgumentList.Add("--default-signal=INT");
            psi.ArgumentList.Add(file);
        }
        foreach (var a in argList) psi.ArgumentList.Add(a);
        configure?.Invoke(psi);
        return new ChildProcess(psi, string.Join(' ', new[] { file }.Concat(argList).Select(Quote)));
    }

    /// <summary>Starts FILE with an argument string (.NET splits it as a shell would, quotes grouping).</summary>
    public static ChildProcess Start(string file, string arguments, Action<ProcessStartInfo> configure = null)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (OperatingSystem.IsWindows()) { psi.FileName = file; psi.Arguments = arguments; }
        else { psi.FileName = "env"; psi.Arguments = $"--default-signal=INT \"{file}\" {arguments}"; }
        configure?.Invoke(psi);
        return new ChildProcess(psi, $"{Quote(file)} {arguments}");
    }

    /// <summary>Starts `dotnet rr.dll ARGS` (the rr built next to the tests).</summary>
    public static ChildProcess StartRr(IEnumerable<string> args, Action<ProcessStartInfo> configure = null) =>
        Start("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, "rr.dll") }.Concat(args), configure);

    /// <summary>Runs FILE with an argument string to its end within <paramref name="limit"/>.</summary>
    public static (int Code, string Out, string Err) Run(string file, string arguments, TimeSpan limit, Action<ProcessStartInfo> configure = null)
    {
        using var p = Start(file, arguments, configure);
        return p.WaitForExit(limit);
    }

    /// <summary>Runs FILE ARGS to its end within <paramref name="limit"/>.</summary>
    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, TimeSpan limit, Action<ProcessStartInfo> configure = null)
    {
        using var p = Start(file, args, configure);
        return p.WaitForExit(limit);
    }

    /// <summary>Waits for the child's exit and the end of both streams; past <paramref name="limit"/> it is killed and the test fails.</summary>
    public (int Code, string Out, string Err) WaitForExit(TimeSpan limit)
    {
        if (!_p.WaitForExit(limit)) Fail($"did not exit within {limit.TotalSeconds:F0} s");
        // A grandchild that inherited the pipes can hold them open after the child exits.
        if (!Task.WaitAll(new[] { _outDone, _errDone }, TimeSpan.FromSeconds(30)))
            Fail($"exited ({_p.ExitCode}) but its output stayed open 30 s longer (a process it started still holds the pipe)");
        return (_p.ExitCode, Stdout, Stderr);
    }

    /// <summary>Waits until what the child printed on stderr satisfies <paramref name="until"/>; fails if it exits first or the limit passes.</summary>
    public string WaitForStderr(Func<string, bool> until, TimeSpan limit, string what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            string err = Stderr;
            if (until(err)) return err;
            if (_errDone.IsCompleted && !until(Stderr)) Fail($"ended its stderr before {what}");
            if (sw.Elapsed > limit) Fail($"no {what} within {limit.TotalSeconds:F0} s");
            Thread.Sleep(20);
        }
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    static extern int SysKill(int pid, int sig);

    /// <summary>Sends SIGINT (what Ctrl-C sends) to the child.</summary>
    public void Interrupt()
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("SIGINT is sent with kill(2)");
        if (SysKill(_p.Id, 2) != 0) Assert.Fail($"kill(SIGINT) of `{CommandLine}` (pid {_p.Id}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Kills the child and everything it started, if it still runs.</summary>
    public void Kill()
    {
        try { if (!_p.HasExited) _p.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // it exited meanwhile
        _p.WaitForExit(10_000);
    }

    void Fail(string why)
    {
        Kill();
        Assert.Fail($"`{CommandLine}` {why}; killed.\nstdout: …{Tail(Stdout)}\nstderr: …{Tail(Stderr)}");
    }

    public void Dispose()
    {
        Kill();
        _p.Dispose();
    }

    static string Tail(string s) => s.Length <= 2000 ? s : s[^2000..];

    static string Quote(string a) => a.Length > 0 && !a.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '\'') ? a : $"'{a.Replace("'", "'\\''")}'";

    static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buf = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buf.AsMemory()).ConfigureAwait(false)) > 0)
            lock (into) into.Append(buf, 0, n);
    }
}
