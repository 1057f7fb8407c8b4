using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Demo.App;
using ResNetRealtime.Demo.Sources;

namespace ResNetRealtime.Tests.Demo;

/// <summary>Issue 12: when the demo's source dies mid-run, frames.json still holds what was gathered, says why the
/// run ended, and the run still fails (one clear line, non-zero exit: here, the exception the CLI prints).</summary>
[NonParallelizable]
public class SourceDeathTests
{
    [Test]
    public void KilledFfmpegLeavesFramesJsonWithWhyTheRunEnded()
    {
        var dir = DemoTestUtil.TempDir("killed-source");
        // A frame size no other test uses, so the ffmpeg child found below is this run's.
        const string marker = "size=97x71";
        var o = new DemoOptions
        {
            Headless = true, Frames = 100_000, OutDir = dir, Source = SourceSpec.Parse($"lavfi:testsrc2={marker}:rate=25"),
            Width = 640, Height = 400, ScreenshotEvery = 5, Backend = Backend.OrtCpu,
        };
        var log = TextWriter.Synchronized(new StringWriter());
        Exception err = null;
        int rc = 0;
        var run = new Thread(() => { try { rc = DemoApp.Run(o, log); } catch (Exception e) { err = e; } }) { IsBackground = true };
        run.Start();
        int pid = WaitForChild(marker, TimeSpan.FromSeconds(60));
        // Kill once frames were classified (a screenshot every 5 frames shows how many), not after a fixed sleep that a slow
        // machine fills with fewer frames than asserted below.
        WaitForFile(Path.Combine(dir, $"frame_{MinFrames:D5}.png"), TimeSpan.FromSeconds(60), run);
        using (var ffmpeg = Process.GetProcessById(pid)) ffmpeg.Kill();
        Assert.That(run.Join(60_000), Is.True, "the demo did not stop after its source died");

        Assert.That(err != null || rc != 0, Is.True, $"a dead source must fail the run (rc {rc}); log:\n{log}");
        if (err != null) Assert.That(err.Message, Does.Not.Contain("\n"), "one line");
        var json = Path.Combine(dir, "frames.json");
        Assert.That(File.Exists(json), Is.True, "no frames.json after the source died");
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var ended = root.GetProperty("ended").GetString();
        Assert.That(ended, Does.Contain("lavfi:testsrc2").Or.Contain("ffmpeg"), ended);
        Assert.That(ended, Does.Contain("of 100000 frames"));
        int frames = root.GetProperty("frames").GetArrayLength();
        Assert.That(frames, Is.GreaterThanOrEqualTo(MinFrames), "what was gathered before the kill is kept");
        Assert.That(root.GetProperty("summary").GetProperty("frames").GetInt64(), Is.EqualTo(frames));
    }

    [Test]
    public void FullRunSaysNothingEnded()
    {
        var dir = DemoTestUtil.TempDir("full-run");
        var o = new DemoOptions { Headless = true, Frames = 3, OutDir = dir, Width = 640, Height = 400, Backend = Backend.OrtCpu };
        Assert.That(DemoApp.Run(o, TextWriter.Null), Is.EqualTo(0));
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "frames.json"))).RootElement;
        Assert.That(root.GetProperty("ended").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    const int MinFrames = 10;

    /// <summary>Waits for <paramref name="path"/> to appear while the demo runs; fails after <paramref name="limit"/>.</summary>
    static void WaitForFile(string path, TimeSpan limit, Thread demo)
    {
        var end = DateTime.UtcNow + limit;
        while (!File.Exists(path))
        {
            Assert.That(demo.IsAlive, Is.True, $"the demo ended before writing {path}");
            Assert.That(DateTime.UtcNow, Is.LessThan(end), $"no {path} within {limit.TotalSeconds} s");
            Thread.Sleep(20);
        }
    }

    /// <summary>The pid of this process's ffmpeg child whose command line holds <paramref name="marker"/>.</summary>
    static int WaitForChild(string marker, TimeSpan timeout)
    {
        int self = Environment.ProcessId;
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            foreach (var d in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(d), out int pid)) continue;
                try
                {
                    var cmd = File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ');
                    if (!cmd.Contains("ffmpeg") || !cmd.Contains(marker)) continue;
                    var stat = File.ReadAllText(Path.Combine(d, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state, ppid, ...
                    if (int.Parse(fields[1]) == self) return pid;
                }
                catch (IOException) { } // the process ended while we looked
            }
            Thread.Sleep(50);
        }
        Assert.Fail($"no ffmpeg child with '{marker}' within {timeout.TotalSeconds} s");
        return -1;
    }
}
