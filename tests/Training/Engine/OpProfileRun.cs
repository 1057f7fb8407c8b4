using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Tests.Training;

/// <summary>Not a test: GFLOP/s of the conv fast path and SGEMM on ResNet-20's shapes (batch 128).</summary>
[TestFixture, Explicit("profiling")]
public class OpProfileRun
{
    private static double Time(Action a, int reps = 3)
    {
        a();
        var best = double.MaxValue;
        for (int i = 0; i < reps; i++) { var t = Stopwatch.StartNew(); a(); best = Math.Min(best, t.Elapsed.TotalMilliseconds); }
        return best;
    }

    [Test]
    public void Profile()
    {
        var rng = new Random(1);
        foreach (var (c, hw, stride) in new[] { (16, 32, 1), (32, 16, 1), (64, 8, 1), (16, 32, 2) })
        {
            int k = stride == 2 ? 2 * c : c;
            var s = new ConvShape(128, c, hw, hw, k, 3, 3, stride, 1, 1);
            var x = TestMath.Rand(rng, s.InputLength); var w = TestMath.Rand(rng, s.WeightLength);
            var y = new float[s.OutputLength]; var dx = new float[x.Length]; var dw = new float[w.Length];
            double flops = 2.0 * s.N * s.K * s.OH * s.OW * s.Crs;
            double f = Time(() => ConvOps.Forward(s, x, w, null, y));
            double bw = Time(() => ConvOps.Backward(s, x, w, y, null, dw, null));
            double bx = Time(() => ConvOps.Backward(s, x, w, y, dx, null, null));
            TestContext.Out.WriteLine($"{s}: fwd {f:F1} ms ({flops / f / 1e6:F0} GF/s)  dW {bw:F1} ms ({flops / bw / 1e6:F0})  dX {bx:F1} ms ({flops / bx / 1e6:F0})");
        }
        Workers.Threads = 1;
        foreach (var (m, n, k, ta, tb) in new[] { (16, 1024, 144, false, false), (16, 144, 1024, false, true), (16, 144, 1024, false, false), (16, 160, 1024, false, true), (16, 144, 1000, false, true), (32, 144, 1024, false, true), (144, 1024, 16, true, false), (64, 64, 576, false, false), (256, 256, 256, false, false) })
        {
            var a = TestMath.Rand(rng, m * k); var b = TestMath.Rand(rng, k * n); var cc = new float[m * n];
            int reps = (int)Math.Max(1, 2e8 / (2.0 * m * n * k));
            double t = Time(() => { for (int i = 0; i < reps; i++) Sgemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, cc, n, false); });
            TestContext.Out.WriteLine($"sgemm 1 thread m={m} n={n} k={k} tA={ta} tB={tb}: {2.0 * m * n * k * reps / t / 1e6:F0} GF/s");
        }
        Workers.Threads = Environment.ProcessorCount;
    }
}
