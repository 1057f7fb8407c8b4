using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>
/// The finiteness check's cost against preprocessing one 1280x720 RGBA frame to 3x224x224 (issue 12:
/// must stay under 2%). Medians of interleaved runs, so a busy shared machine slows both alike.
/// Measurement, not a gate (timings on a shared CI box are noise): run with
/// `./rr test --filter FullyQualifiedName~FiniteCheckCost` and read the printed line.
/// </summary>
[Explicit("timing measurement")]
public class FiniteCheckCost
{
    [Test]
    public void CostAgainstPreprocessing()
    {
        const int W = 1280, H = 720, Rounds = 400;
        var pixels = new byte[W * H * 4];
        new Random(1).NextBytes(pixels);
        var pre = new Preprocessor(3, 224, 224);
        var output = new float[pre.OutputLength];
        var copy = new float[output.Length];
        var tPre = new double[Rounds]; var tChk = new double[Rounds]; var tCopy = new double[Rounds]; var tFused = new double[Rounds];
        int sink = 0;
        for (int r = -20; r < Rounds; r++)
        {
            long a = Stopwatch.GetTimestamp();
            pre.Run(pixels, W, H, W * 4, PixelFormat.Rgba32, output);
            long b = Stopwatch.GetTimestamp();
            sink += Finite.FirstNonFinite(output);
            long c = Stopwatch.GetTimestamp();
            output.AsSpan().CopyTo(copy);
            long d = Stopwatch.GetTimestamp();
            Finite.CopyRequire(output, copy);
            long e = Stopwatch.GetTimestamp();
            if (r < 0) continue;
            tCopy[r] = (d - c) * 1e6 / Stopwatch.Frequency;
            tFused[r] = (e - d) * 1e6 / Stopwatch.Frequency;
            tPre[r] = (b - a) * 1e6 / Stopwatch.Frequency;
            tChk[r] = (c - b) * 1e6 / Stopwatch.Frequency;
        }
        Array.Sort(tPre); Array.Sort(tChk); Array.Sort(tCopy); Array.Sort(tFused);
        double p = tPre[Rounds / 2], k = tChk[Rounds / 2], cp = tCopy[Rounds / 2], fu = tFused[Rounds / 2];
        TestContext.Progress.WriteLine($"preprocess 1280x720->224: {p:F1} us; separate check of {output.Length} floats: {k:F2} us = {100 * k / p:F2}%; " +
                                       $"ORT's input copy {cp:F2} us, copy+check fused {fu:F2} us: extra {fu - cp:F2} us = {100 * (fu - cp) / p:F2}% (medians of {Rounds})");
        Assert.That(sink, Is.EqualTo(-Rounds - 20), "preprocessed pixels are finite");
        Assert.That((fu - cp) / p, Is.LessThan(0.02), "the check ORT's Run adds to its copy");
    }
}
