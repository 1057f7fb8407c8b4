using NUnit.Framework;
using ResNetRealtime.Tests.Build;

namespace ResNetRealtime.Tests.Windows;

/// <summary>
/// The Windows build, run: `dotnet publish cli -r win-x64 --self-contained` (from a copy of the sources, so the repository's
/// own obj/ is untouched), then rr.exe under Wine 8.0 + Xvfb — the real managed code, onnxruntime.dll (DirectML build),
/// DirectML.dll, ffmpeg.exe, and Wine's user32/opengl32/d3d12 — through tests/wine/check-selfcheck.sh (ffmpeg.exe, the
/// UTF-8 console, DXGI errors whole, RR_DEBUG, ort-dml refused or agreeing, auto) and tests/wine/check-demo-bench.sh (a
/// .npy's output bit-identical to Linux, the headless demo on ort-cpu and gl with Linux's accuracy, bench on gl). Each
/// script line "ok NAME"/"FAIL NAME" is one test case below. Both scripts share one fresh prefix; the publish, the prefix
/// and every rr.exe run print a "time" line to the test output (so CI logs show where the job's minutes go). `./rr test` installs wine, wine64 and mesa-vulkan-drivers;
/// without wine every case fails with that one line (this is the suite's only check that the Windows build runs).
/// </summary>
[TestFixture, NonParallelizable, Category("Wine")]
public class WineTests
{
    static readonly TimeSpan PublishLimit = TimeSpan.FromMinutes(15), ScriptLimit = TimeSpan.FromMinutes(12);
    string _work, _setupError, _output = "";
    readonly List<string> _lines = new();

    [OneTimeSetUp]
    public void PublishAndRun()
    {
        var (which, _, _) = ChildProcess.Run("sh", new[] { "-c", "command -v wine && command -v xvfb-run && command -v wineserver" }, TimeSpan.FromSeconds(10));
        if (which != 0) { _setupError = "wine, wineserver or xvfb-run is not installed: ./rr test installs them (apt-get install wine wine64 xvfb)"; return; }
        string repo = RepoPaths.Root;
        _work = Path.Combine(Path.GetTempPath(), "rr-wine-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var d in new[] { "runtime", "tools", "training", "demo", "cli", "shaders" })
            WindowsBuildTests.CopyTree(Path.Combine(repo, d), Path.Combine(_work, d));
        foreach (var f in new[] { "Directory.Build.props", "Directory.Build.targets" })
            File.Copy(Path.Combine(repo, f), Path.Combine(_work, f));
        string pub = Path.Combine(_work, "pub");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (code, stdout, stderr) = ChildProcess.Run("dotnet", new[]
        {
            "publish", Path.Combine(_work, "cli", "ResNetRealtime.Cli.csproj"), "-c", "Release", "-r", "win-x64", "--self-contained", "true",
            "-o", pub, "-nologo", "-v", "q",
        }, PublishLimit, psi => psi.WorkingDirectory = _work);
        if (code != 0) { _setupError = $"dotnet publish -r win-x64 failed ({code}):\n{stdout}\n{stderr}"; return; }
        _output += $"time {"publish cli win-x64",-18} {sw.Elapsed.TotalSeconds,6:F1} s\n";
        string linux = $"dotnet {Path.Combine(AppContext.BaseDirectory, "rr.dll")}";
        foreach (var script in new[] { "check-selfcheck.sh", "check-demo-bench.sh" })
        {
            sw.Restart();
            var (rc, o, e) = ChildProcess.Run("bash", new[] { Path.Combine(repo, "tests", "wine", script), pub, Path.Combine(_work, Path.GetFileNameWithoutExtension(script)) },
                ScriptLimit, psi =>
                {
                    psi.Environment["RR_LINUX"] = linux;
                    psi.Environment["RR_WINEPREFIX"] = Path.Combine(_work, "prefix"); // fresh: _work is new
                });
            _output += $"== {script} (exit {rc}, {sw.Elapsed.TotalSeconds:F1} s)\n{o}{e}\n";
            _lines.AddRange(o.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("ok   ") || l.StartsWith("FAIL ")));
        }
        TestContext.Progress.WriteLine(_output);
    }

    [OneTimeTearDown]
    public void Clean()
    {
        ChildProcess.Run("sh", new[] { "-c", "wineserver -k 2>/dev/null; true" }, TimeSpan.FromSeconds(30));
        if (_work != null) try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // The start of each check's line in the scripts (the same for its ok and FAIL forms).
    [TestCase("ffmpeg.exe ships")]
    [TestCase("infer on a PNG")]
    [TestCase("the PNG's top-k")]
    [TestCase("the em dash")]
    [TestCase("ort-dml without a display")]
    [TestCase("RR_DEBUG=1")]
    [TestCase("ort-dml under Xvfb")]
    [TestCase("auto")]
    [TestCase("npy-bit-identical")]
    [TestCase("demo-ort-cpu")]
    [TestCase("demo-gl")]
    [TestCase("bench-gl")]
    public void Windows_build_under_Wine(string check)
    {
        Assert.That(_setupError, Is.Null, _setupError);
        var line = _lines.FirstOrDefault(l => l[5..].StartsWith(check, StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, $"no line for '{check}' from the Wine scripts:\n{_output}");
        Assert.That(line, Does.StartWith("ok   "), $"{line}\n{_output}");
    }
}
