using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Backends;

/// <summary>
/// An idle ORT session takes no CPU: its intra-op workers do not busy-wait after a run (OrtBackend.MakeSessionOptions
/// turns ORT's spinning off). With spinning, each worker spins ~2^20 pause instructions — tens of milliseconds — after
/// every parallel section, and on a 2-core machine an idle session's spinning took the cores from the session that ran
/// next (`rr bench` int8 total/bare segments 0.59–1.57; docs/int8.md).
/// </summary>
[NonParallelizable] // the process's CPU time is measured: nothing else of the suite may run meanwhile
public class OrtIdleCpuTests
{
    [Test]
    public void An_idle_session_burns_no_cpu_after_a_run()
    {
        var model = ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", 10, 3, 64), seed: 1);
        using var be = new OrtBackend(Backend.OrtCpu, model.ToBytes(), new BackendOptions { Threads = 2 });
        var x = new float[3 * 64 * 64];
        var y = new float[10];
        for (int i = 0; i < 5; i++) be.Run(x, 1, y); // warm: the pool's threads exist and have run parallel sections

        using var self = Process.GetCurrentProcess();
        var burned = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            be.Run(x, 1, y);
            self.Refresh();
            var t0 = self.TotalProcessorTime;
            Thread.Sleep(100);
            self.Refresh();
            burned.Add((self.TotalProcessorTime - t0).TotalMilliseconds);
        }
        TestContext.Out.WriteLine($"CPU ms used while idle for 100 ms after a run: {string.Join(", ", burned.Select(b => b.ToString("F1")))}");
        // The least of three windows: a stray GC or JIT thread can take a few ms of one window; a spinning worker takes
        // tens of ms after every run (ORT's 2^20 pauses). 10 ms of 100 ms idle separates the two.
        Assert.That(burned.Min(), Is.LessThan(10), $"CPU ms used while idle for 100 ms after a run: {string.Join(", ", burned.Select(b => b.ToString("F1")))}");
    }
}
