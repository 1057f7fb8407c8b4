using System.Diagnostics;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Experiments.Training;

/// <summary>Profilers for the training engine on ResNet-20's shapes (batch 128). Run one with
///   dotnet run --project experiments -c Release -- train-op-profile PART [--threads N]
///   breakdown         per-op time of one training step (each op alone × its count), sorted
///   phases            forward / backward of the real step and bytes allocated per step
///   weight-grad       interleaved A/B of the shifted weight-gradient path against its blocking variant
///                     (--shift-target N, --shift-max-block N set the variant's; fair under load)
///   forward-in-place  interleaved A/B of the stride-1 forward reading B in place or packed
///   conv-vs-gemm      GFLOP/s of conv passes vs bare SGEMM, one thread
///   conv-gflops       GFLOP/s of each conv pass, then single-thread SGEMM on the step's shapes
/// --threads 1 (breakdown, phases) measures single-thread CPU work — the fairest figure when the machine is shared.</summary>
public static class OpProfileRun
{
    public static void Run(ExperimentArgs a)
    {
        string part = a.Positional.Count == 1 ? a.Positional[0] : throw new UsageException("name one part");
        int threads = a.Int("threads", Workers.Threads);
        int shiftTarget = a.Int("shift-target", 1024), shiftMaxBlock = a.Int("shift-max-block", 2048);
        a.Done();
        switch (part)
        {
            case "breakdown": ResNet20StepBreakdown(threads); break;
            case "phases": ResNet20StepPhases(threads); break;
            case "weight-grad": WeightGradPaths(shiftTarget, shiftMaxBlock); break;
            case "forward-in-place": ForwardInPlacePaths(); break;
            case "conv-vs-gemm": ConvVsGemmOneThread(); break;
            case "conv-gflops": Profile(); break;
            default: throw new UsageException($"no part '{part}'");
        }
    }

    /// <summary>Seeded uniform values in [-scale, scale).</summary>
    static float[] Rand(Random rng, int n, double scale = 1.0)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    private static double Time(Action a, int reps = 3)
    {
        a();
        var best = double.MaxValue;
        for (int i = 0; i < reps; i++) { var t = Stopwatch.StartNew(); a(); best = Math.Min(best, t.Elapsed.TotalMilliseconds); }
        return best;
    }

    /// <summary>Per-op time of one ResNet-20 batch-128 training step: each op timed alone on the step's
    /// shapes (best of 3) and multiplied by how often the step runs it. Prints the ops sorted by time.</summary>
    static void ResNet20StepBreakdown(int threads)
    {
        var rng = new Random(1);
        const int n = 128;
        int savedThreads = Workers.Threads;
        Workers.Threads = threads;
        var rows = new List<(string name, double ms)>();
        void Conv(string name, int count, int c, int hw, int k, int r, int stride, int pad, bool dx)
        {
            var s = new ConvShape(n, c, hw, hw, k, r, r, stride, pad, 1);
            var x = Rand(rng, s.InputLength); var w = Rand(rng, s.WeightLength);
            var y = new float[s.OutputLength]; var dxa = new float[x.Length]; var dw = new float[w.Length];
            rows.Add(($"conv fwd {name} x{count}", count * Time(() => ConvOps.Forward(s, x, w, null, y))));
            rows.Add(($"conv dW  {name} x{count}", count * Time(() => ConvOps.Backward(s, x, w, y, null, dw, null))));
            if (dx) rows.Add(($"conv dX  {name} x{count}", count * Time(() => ConvOps.Backward(s, x, w, y, dxa, null, null))));
        }
        Conv("stem 3->16 32x32", 1, 3, 32, 16, 3, 1, 1, false);
        Conv("16->16 32x32", 6, 16, 32, 16, 3, 1, 1, true);
        Conv("16->32 3x3/2", 1, 16, 32, 32, 3, 2, 1, true);
        Conv("16->32 1x1/2", 1, 16, 32, 32, 1, 2, 0, true);
        Conv("32->32 16x16", 5, 32, 16, 32, 3, 1, 1, true);
        Conv("32->64 3x3/2", 1, 32, 16, 64, 3, 2, 1, true);
        Conv("32->64 1x1/2", 1, 32, 16, 64, 1, 2, 0, true);
        Conv("64->64 8x8", 5, 64, 8, 64, 3, 1, 1, true);
        foreach (var (c, hw, bn, relu, res) in new[] { (16, 32, 7, 4, 3), (32, 16, 7, 3, 3), (64, 8, 7, 3, 3) })
        {
            int len = n * c * hw * hw;
            var x = Rand(rng, len); var y = new float[len]; var d = new float[len]; var e = new float[len];
            var g = new float[c]; var b = new float[c]; var rm = new float[c]; var rv = new float[c]; var sm = new float[c]; var si = new float[c];
            var dg = new float[c]; var db = new float[c];
            Array.Fill(g, 1f); Array.Fill(rv, 1f);
            string sz = $"{c}x{hw}x{hw}";
            rows.Add(($"bn fwd   {sz} x{bn}", bn * Time(() => BatchNormOps.ForwardTrain(n, c, hw * hw, x, g, b, rm, rv, 0.1f, 1e-5f, y, sm, si))));
            rows.Add(($"bn bwd   {sz} x{bn}", bn * Time(() => BatchNormOps.Backward(n, c, hw * hw, x, y, g, sm, si, d, dg, db))));
            rows.Add(($"relu fwd {sz} x{relu}", relu * Time(() => ReluOps.Relu(x, y))));
            rows.Add(($"relu bwd {sz} x{relu + res}", (relu + res) * Time(() => ReluOps.ReluBackward(x, y, d))));
            rows.Add(($"add+relu {sz} x{res}", res * Time(() => ReluOps.AddRelu(x, y, d))));
            rows.Add(($"add      {sz} x{res}", res * Time(() => ReluOps.Add(x, y, d))));
            // Every module's Backward clears its dx before accumulating into it.
            rows.Add(($"clear    {sz} x{bn + relu + res + 6}", (bn + relu + res + 6) * Time(() => Array.Clear(d))));
        }
        double total = rows.Sum(r => r.ms);
        foreach (var (name, ms) in rows.OrderByDescending(r => r.ms))
            Console.WriteLine($"{ms,8:F1} ms {100 * ms / total,5:F1}%  {name}");
        Console.WriteLine($"{total,8:F1} ms total (threads {Workers.Threads})");
        Workers.Threads = savedThreads;
    }

    /// <summary>A/B of the two stride-1 weight-gradient paths, interleaved so machine load hits both alike.</summary>
    static void WeightGradPaths(int shiftTarget, int shiftMaxBlock)
    {
        var rng = new Random(1);
        foreach (var (c, hw) in new[] { (16, 32), (32, 16), (64, 8) })
        {
            var s = new ConvShape(128, c, hw, hw, c, 3, 3, 1, 1, 1);
            var x = Rand(rng, s.InputLength); var w = Rand(rng, s.WeightLength);
            var y = Rand(rng, s.OutputLength); var dw = new float[w.Length];
            double a = double.MaxValue, b = double.MaxValue;
            for (int i = 0; i < 5; i++)
            {
                ConvOps.DisableShiftedWeightGrad = false; ConvOps.ForceShiftedWeightGrad = true; a = Math.Min(a, Time(() => ConvOps.Backward(s, x, w, y, null, dw, null), 1));
                var (t0, m0) = (ConvOps.ShiftedTargetLen, ConvOps.ShiftedMaxBlock);
                ConvOps.ShiftedTargetLen = shiftTarget;
                ConvOps.ShiftedMaxBlock = shiftMaxBlock;
                b = Math.Min(b, Time(() => ConvOps.Backward(s, x, w, y, null, dw, null), 1));
                (ConvOps.ShiftedTargetLen, ConvOps.ShiftedMaxBlock) = (t0, m0);
            }
            ConvOps.DisableShiftedWeightGrad = false; ConvOps.ForceShiftedWeightGrad = false;
            Console.WriteLine($"{s}: dW shifted {a:F2} ms, variant {b:F2} ms");
        }
    }

    /// <summary>One thread: conv passes vs the bare SGEMM of the same size (what packing and edges cost).</summary>
    static void ConvVsGemmOneThread()
    {
        var rng = new Random(1);
        int saved = Workers.Threads;
        Workers.Threads = 1;
        try
        {
            foreach (var (c, hw) in new[] { (16, 32), (32, 16), (64, 8) })
            {
                var s = new ConvShape(16, c, hw, hw, c, 3, 3, 1, 1, 1);
                var x = Rand(rng, s.InputLength); var w = Rand(rng, s.WeightLength);
                var y = new float[s.OutputLength]; var dx = new float[x.Length]; var dw = new float[w.Length];
                int p = hw * hw, crs = s.Crs;
                var col = Rand(rng, crs * p); var yy = new float[c * p];
                double flops = 2.0 * s.N * c * p * crs;
                double f = double.MaxValue, g = double.MaxValue, bx = double.MaxValue, bw = double.MaxValue;
                for (int i = 0; i < 5; i++)
                {
                    f = Math.Min(f, Time(() => ConvOps.Forward(s, x, w, null, y), 1));
                    g = Math.Min(g, Time(() => { for (int n = 0; n < s.N; n++) Sgemm.Multiply(false, false, c, p, crs, w, crs, col, p, yy, p, false); }, 1));
                    bx = Math.Min(bx, Time(() => ConvOps.Backward(s, x, w, y, dx, null, null), 1));
                    bw = Math.Min(bw, Time(() => ConvOps.Backward(s, x, w, y, null, dw, null), 1));
                }
                Console.WriteLine($"{s}: fwd {flops / f / 1e6:F0} GF/s, dX {flops / bx / 1e6:F0}, dW {flops / bw / 1e6:F0}, bare sgemm {flops / g / 1e6:F0} GF/s");
            }
        }
        finally { Workers.Threads = saved; }
    }

    /// <summary>Phases of the real ResNet-20 step (medians of 5), to compare with the per-op sums above.</summary>
    static void ResNet20StepPhases(int threads)
    {
        int savedThreads = Workers.Threads;
        Workers.Threads = threads;
        var net = ResNetRealtime.Training.Models.ResNet.Create("resnet20", 10, 3, 0);
        var rng = new Random(0);
        var x = new ResNetRealtime.Training.Engine.Tensor(128, 3, 32, 32);
        ResNetRealtime.Training.Engine.Init.Normal(x.Data, 1.0, rng);
        var labels = Enumerable.Range(0, 128).Select(i => rng.Next(10)).ToArray();
        var loss = new ResNetRealtime.Training.Layers.CrossEntropyLoss(0.1f);
        var ps = net.Parameters().ToArray();
        var t = new List<double[]>();
        long gc0 = 0;
        for (int s = 0; s < 7; s++)
        {
            if (s == 2) gc0 = GC.GetTotalAllocatedBytes(true);
            var sw = Stopwatch.StartNew();
            foreach (var p in ps) p.ZeroGrad();
            double z = sw.Elapsed.TotalMilliseconds;
            var logits = net.Forward(x);
            double f = sw.Elapsed.TotalMilliseconds;
            loss.Forward(logits, labels);
            var g = loss.Backward();
            double l = sw.Elapsed.TotalMilliseconds;
            net.Backward(g);
            double b = sw.Elapsed.TotalMilliseconds;
            if (s >= 2) t.Add(new[] { z, f - z, l - f, b - l });
        }
        long alloc = (GC.GetTotalAllocatedBytes(true) - gc0) / 5;
        string[] names = { "zero grads", "forward", "loss", "backward" };
        for (int i = 0; i < 4; i++)
        {
            var v = t.Select(r => r[i]).OrderBy(a => a).ToArray();
            Console.WriteLine($"{names[i],-10} {v[2],8:F1} ms");
        }
        Console.WriteLine($"allocated per step: {alloc / 1024.0:F0} KiB (threads {Workers.Threads})");
        Workers.Threads = savedThreads;
    }

    /// <summary>A/B of the stride-1 forward with B read in place vs packed strips, interleaved.</summary>
    static void ForwardInPlacePaths()
    {
        var rng = new Random(1);
        foreach (var (c, hw) in new[] { (16, 32), (32, 16), (64, 8) })
        {
            var s = new ConvShape(128, c, hw, hw, c, 3, 3, 1, 1, 1);
            var x = Rand(rng, s.InputLength); var w = Rand(rng, s.WeightLength);
            var y = new float[s.OutputLength]; var dx = new float[x.Length];
            double a = double.MaxValue, b = double.MaxValue, ax = double.MaxValue, bx = double.MaxValue;
            for (int i = 0; i < 5; i++)
            {
                ConvOps.DisableInPlaceB = false;
                a = Math.Min(a, Time(() => ConvOps.Forward(s, x, w, null, y), 1));
                ax = Math.Min(ax, Time(() => ConvOps.Backward(s, x, w, y, dx, null, null), 1));
                ConvOps.DisableInPlaceB = true;
                b = Math.Min(b, Time(() => ConvOps.Forward(s, x, w, null, y), 1));
                bx = Math.Min(bx, Time(() => ConvOps.Backward(s, x, w, y, dx, null, null), 1));
            }
            ConvOps.DisableInPlaceB = false;
            Console.WriteLine($"{s}: fwd in-place {a:F2} ms, packed {b:F2} ms; dX in-place {ax:F2} ms, packed {bx:F2} ms");
        }
    }

    static void Profile()
    {
        var rng = new Random(1);
        foreach (var (c, hw, stride) in new[] { (16, 32, 1), (32, 16, 1), (64, 8, 1), (16, 32, 2) })
        {
            int k = stride == 2 ? 2 * c : c;
            var s = new ConvShape(128, c, hw, hw, k, 3, 3, stride, 1, 1);
            var x = Rand(rng, s.InputLength); var w = Rand(rng, s.WeightLength);
            var y = new float[s.OutputLength]; var dx = new float[x.Length]; var dw = new float[w.Length];
            double flops = 2.0 * s.N * s.K * s.OH * s.OW * s.Crs;
            double f = Time(() => ConvOps.Forward(s, x, w, null, y));
            double bw = Time(() => ConvOps.Backward(s, x, w, y, null, dw, null));
            double bx = Time(() => ConvOps.Backward(s, x, w, y, dx, null, null));
            Console.WriteLine($"{s}: fwd {f:F1} ms ({flops / f / 1e6:F0} GF/s)  dW {bw:F1} ms ({flops / bw / 1e6:F0})  dX {bx:F1} ms ({flops / bx / 1e6:F0})");
        }
        Workers.Threads = 1;
        foreach (var (m, n, k, ta, tb) in new[] { (16, 1024, 144, false, false), (16, 144, 1024, false, true), (16, 144, 1024, false, false), (16, 160, 1024, false, true), (16, 144, 1000, false, true), (32, 144, 1024, false, true), (144, 1024, 16, true, false), (64, 64, 576, false, false), (256, 256, 256, false, false) })
        {
            var a = Rand(rng, m * k); var b = Rand(rng, k * n); var cc = new float[m * n];
            int reps = (int)Math.Max(1, 2e8 / (2.0 * m * n * k));
            double t = Time(() => { for (int i = 0; i < reps; i++) Sgemm.Multiply(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, cc, n, false); });
            Console.WriteLine($"sgemm 1 thread m={m} n={n} k={k} tA={ta} tB={tb}: {2.0 * m * n * k * reps / t / 1e6:F0} GF/s");
        }
        Workers.Threads = Environment.ProcessorCount;
    }
}
