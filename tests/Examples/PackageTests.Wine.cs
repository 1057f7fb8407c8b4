using System.Diagnostics;
using NUnit.Framework;

namespace ResNetRealtime.Tests.Examples;

/// <summary>
/// The documented programs as a Windows host app gets them (issue 23): every "// example: NAME" program becomes its own
/// net8.0 console project on the packed runtime, with RuntimeIdentifier win-x64 and SelfContained, and one `dotnet publish`
/// of a solution of them all writes them into one folder (they share the runtime's files; each has its own NAME.exe,
/// .dll, .deps.json, .runtimeconfig.json). Under Wine 8.0 in a fresh prefix, the CPU programs run without a display, then
/// (after `wineserver -w`: a server started without DISPLAY must be gone) the GL ones under Xvfb, through Wine's opengl32
/// on Mesa. Each step prints one "wine examples:" timing line. Never WINEDLLOVERRIDES=mscoree= (it breaks .NET).
/// </summary>
public partial class PackageTests
{
    static readonly TimeSpan WinePublishLimit = TimeSpan.FromMinutes(10), WineRunLimit = TimeSpan.FromMinutes(5);
    Dictionary<string, (int Code, string Out, string Err)> _wineRuns;
    string _wineError, _winePrefix;

    /// <summary>A program that makes a GL context needs a display under Wine (WGL goes to the X server's GL).</summary>
    static bool NeedsDisplay(string program) => program.Contains("GlContext") || program.Contains("Silk.NET.OpenGL");

    string[] WineLines(string name)
    {
        if (_wineRuns == null && _wineError == null)
        {
            try { _wineRuns = PublishAndRunUnderWine(); }
            catch (Exception e) { _wineError = e.Message; }
        }
        Assert.That(_wineError, Is.Null, _wineError);
        Assert.That(_wineRuns.TryGetValue(name, out var run), $"no '// example: {name}' program was published for Wine (have: {string.Join(", ", _wineRuns.Keys)})");
        Assert.That(run.Code, Is.EqualTo(0), $"{name}.exe under Wine exited {run.Code}:\n{run.Out}\n{run.Err}");
        return SplitLines(run.Out);
    }

    Dictionary<string, (int, string, string)> PublishAndRunUnderWine()
    {
        var (which, _, _) = ChildProcess.Run("sh", new[] { "-c", "command -v wine && command -v wineserver && command -v xvfb-run" }, TimeSpan.FromSeconds(10));
        if (which != 0) throw new InvalidOperationException("wine, wineserver or xvfb-run is not installed: ./rr test installs them (apt-get install wine wine64 xvfb)");
        var programs = ReadmeExamples.Programs();
        string root = Path.Combine(_dir, "win"), pub = Path.Combine(root, "publish");
        var solution = new List<string>();
        foreach (var (name, program) in programs)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            File.WriteAllText(Path.Combine(root, name, "Program.cs"), program);
            File.WriteAllText(Path.Combine(root, name, name + ".csproj"), HostProject("""

                <RuntimeIdentifier>win-x64</RuntimeIdentifier>
                <SelfContained>true</SelfContained>
                """));
            solution.Add($"  <Project Path=\"{name}/{name}.csproj\" />");
        }
        File.WriteAllText(Path.Combine(root, "examples.slnx"), $"<Solution>\n{string.Join("\n", solution)}\n</Solution>\n");
        var sw = Stopwatch.StartNew();
        // One publish for all; one project at a time, since they copy the same runtime files into the same folder.
        Run("dotnet", $"publish examples.slnx -c Release -p:PublishDir=\"{pub}/\" -m:1 -nologo -v q -clp:ErrorsOnly", root);
        TestContext.Progress.WriteLine($"wine examples: published {programs.Count} programs for win-x64 (self-contained, one folder) in {sw.Elapsed.TotalSeconds:F1} s");

        _winePrefix = Path.Combine(root, "prefix");
        var runs = new Dictionary<string, (int, string, string)>();
        sw.Restart();
        var (boot, bootOut, bootErr) = Wine(display: false, "wineboot", "--init");
        if (boot != 0) throw new InvalidOperationException($"wineboot --init of a fresh prefix exited {boot}:\n{bootOut}\n{bootErr}");
        WineServerWait();
        TestContext.Progress.WriteLine($"wine examples: fresh prefix in {sw.Elapsed.TotalSeconds:F1} s");
        foreach (bool display in new[] { false, true })
        {
            foreach (var (name, program) in programs.Where(p => NeedsDisplay(p.Value) == display))
            {
                sw.Restart();
                runs[name] = Wine(display, Path.Combine(pub, name + ".exe"), Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx"));
                TestContext.Progress.WriteLine($"wine examples: {name}.exe ({(display ? "Xvfb" : "no display")}) exit {runs[name].Item1} in {sw.Elapsed.TotalSeconds:F1} s");
            }
            WineServerWait();
        }
        return runs;
    }

    /// <summary>Runs `wine PROGRAM ARGS` in this fixture's prefix, under xvfb-run or with no display at all (`./rr test`
    /// runs the suite under Xvfb, and its DISPLAY would reach Wine).</summary>
    (int Code, string Out, string Err) Wine(bool display, string program, params string[] args)
    {
        var cmd = display ? new[] { "-a", "-s", "-screen 0 640x480x24", "wine", program } : new[] { program };
        return ChildProcess.Run(display ? "xvfb-run" : "wine", cmd.Concat(args), WineRunLimit, psi =>
        {
            psi.WorkingDirectory = _dir;
            psi.Environment["WINEPREFIX"] = _winePrefix;
            psi.Environment["WINEDEBUG"] = "-all";
            if (!display) { psi.Environment.Remove("DISPLAY"); psi.Environment.Remove("WAYLAND_DISPLAY"); }
        });
    }

    void WineServerWait() => ChildProcess.Run("wineserver", new[] { "-w" }, TimeSpan.FromMinutes(1), psi => psi.Environment["WINEPREFIX"] = _winePrefix);

    void StopWine()
    {
        if (_winePrefix != null && Directory.Exists(_winePrefix))
            ChildProcess.Run("wineserver", new[] { "-k" }, TimeSpan.FromSeconds(30), psi => psi.Environment["WINEPREFIX"] = _winePrefix);
    }
}
