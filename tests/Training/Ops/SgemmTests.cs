using NUnit.Framework;
using ResNetRealtime.Training.Kernels;
using static ResNetRealtime.Tests.Training.TestMath;

namespace ResNetRealtime.Tests.Training;

[TestFixture]
public class SgemmTests
{
    // Shapes leave remainders against every block size: MR 8/6, NR 32/16, KC 256, MC 192.
    private static readonly int[][] Shapes =
    {
        new[] { 1, 1, 1 }, new[] { 7, 13, 5 }, new[] { 8, 32, 3 }, new[] { 13, 31, 300 }, new[] { 33, 65, 17 },
        new[] { 200, 50, 3 }, new[] { 16, 1024, 144 }, new[] { 1, 127, 513 },
    };

    [Test]
    public void FastMatchesReference([Values] bool transA, [Values] bool transB, [Values] bool accumulate, [Values] bool vector256)
    {
        var rng = new Random(1);
        bool saved = Sgemm.ForceVector256;
        Sgemm.ForceVector256 = vector256;
        try
        {
            foreach (var sh in Shapes)
            {
                int m = sh[0], n = sh[1], k = sh[2];
                // Leading dimensions wider than the rows, to catch a kernel that assumes packed storage.
                int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
                var a = Rand(rng, (transA ? k : m) * lda);
                var b = Rand(rng, (transB ? n : k) * ldb);
                var c0 = Rand(rng, m * ldc);
                var expected = (float[])c0.Clone();
                var actual = (float[])c0.Clone();
                Sgemm.Reference(transA, transB, m, n, k, a, lda, b, ldb, expected, ldc, accumulate);
                Sgemm.Multiply(transA, transB, m, n, k, a, lda, b, ldb, actual, ldc, accumulate);
                // float32 sums of k products of values in [-1, 1]: error grows like sqrt(k)·2⁻²⁴; 1e-5·max is far above that
                // and far below any indexing mistake (which is O(1)).
                AssertClose(actual, expected, 1e-5, $"sgemm m={m} n={n} k={k} tA={transA} tB={transB} acc={accumulate} v256={vector256}");
            }
        }
        finally { Sgemm.ForceVector256 = saved; }
    }

    [Test]
    public void ZeroKClearsOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Sgemm.Multiply(false, false, 2, 2, 0, new float[0], 1, new float[0], 2, c, 2, true);
        Assert.That(c, Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        Sgemm.Multiply(false, false, 2, 2, 0, new float[0], 1, new float[0], 2, c, 2, false);
        Assert.That(c, Is.EqualTo(new float[4]));
    }
}
