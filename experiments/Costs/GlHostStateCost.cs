using System.Diagnostics;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Experiments.Costs;

/// <summary>
/// What one <see cref="GlHostState"/> Save+Restore costs (paid once per real-time Submit/Update and per public
/// GlBackend call in a host's context), against one glGetInteger in the same run as the reference. Medians of
/// blocks, interleaved, so a busy shared machine slows both alike. Measurement, not a gate:
///   dotnet run --project experiments -c Release -- gl-host-state-cost
/// </summary>
public static class GlHostStateCost
{
    public static void SaveRestoreMedian(ExperimentArgs args)
    {
        args.Done();
        const int Blocks = 200, PerBlock = 100;
        using var ctx = GlContext.CreateHeadless();
        ctx.RequireCompute();
        ctx.MakeCurrent();
        var gl = ctx.Gl;
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
        Console.WriteLine($"GlHostState Save+Restore: {s:F0} ns; one glGetInteger: {g:F1} ns; ratio {s / g:F0}x " +
                                       $"(medians of {Blocks} blocks of {PerBlock}, {gl.GetStringS(StringName.Renderer)})");
        var err = gl.GetError();
        Check.That(err == GLEnum.NoError, $"Save+Restore of the default state left GL error {err}");
        Check.That(sink >= 0, $"glGetInteger(GL_CURRENT_PROGRAM) summed to {sink}");
    }
}
