using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// What one <see cref="GlHostState"/> Save+Restore costs (paid once per real-time Submit/Update and per public
/// GlBackend call in a host's context), against one glGetInteger in the same run as the reference. Medians of
/// blocks, interleaved, so a busy shared machine slows both alike. Measurement, not a gate: run with
/// `dotnet test --no-build -c Release tests/ResNetRealtime.Tests.csproj --filter FullyQualifiedName~GlHostStateCost`
/// and read the printed line.
/// </summary>
[Explicit("timing measurement")]
public class GlHostStateCost
{
    [Test]
    public void SaveRestoreMedian()
    {
        const int Blocks = 200, PerBlock = 100;
        var gl = GlTestContext.Get().Gl;
        var tState = new double[Blocks];
        var tGet = new double[Blocks];
        long sink = 0;
        for (int r = -10; r < Blocks; r++)
        {
            long a = Stopwatch.GetTimestamp();
            for (int i = 0; i < PerBlock; i++) GlHostState.Save(gl).Restore(gl);
            long b = Stopwatch.GetTimestamp();
            for (int i = 0; i < PerBlock; i++) sink += gl.GetInteger(GLEnum.CurrentProgram);
            long c = Stopwatch.GetTimestamp();
            if (r < 0) continue;
            tState[r] = (b - a) * 1e9 / Stopwatch.Frequency / PerBlock;
            tGet[r] = (c - b) * 1e9 / Stopwatch.Frequency / PerBlock;
        }
        Array.Sort(tState); Array.Sort(tGet);
        double s = tState[Blocks / 2], g = tGet[Blocks / 2];
        TestContext.Progress.WriteLine($"GlHostState Save+Restore: {s:F0} ns; one glGetInteger: {g:F1} ns; ratio {s / g:F0}x " +
                                       $"(medians of {Blocks} blocks of {PerBlock}, {gl.GetStringS(StringName.Renderer)})");
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError), "Save+Restore of the default state is error-free");
        Assert.That(sink, Is.GreaterThanOrEqualTo(0));
    }
}
