using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;

namespace ResNetRealtime.Tests.Imaging;

/// <summary>Every SIMD path of the preprocessor gives the scalar path's output bit for bit. That is what lets the native
/// library (NativeAOT at its default instruction set keeps Vector128 but compiles out Avx2/Avx512) and the JIT (which
/// takes the widest path the CPU has) give a host the same model input, and so the same scores, on any x86-64.</summary>
public class PreprocessorSimdPathTests
{
    static IEnumerable<TestCaseData> Cases()
    {
        var sizes = new (int w, int h, int th, int tw)[]
        {
            (640, 480, 224, 224), (1280, 720, 224, 224), (97, 61, 224, 224), (33, 127, 7, 13), (5, 3, 9, 3), (301, 299, 32, 31),
        };
        foreach (var f in Enum.GetValues<PixelFormat>())
            foreach (var (w, h, th, tw) in sizes)
                yield return new TestCaseData(w, h, f, th, tw).SetName($"Paths_are_bit_identical {w}x{h} {f} -> {th}x{tw}");
    }

    [TestCaseSource(nameof(Cases))]
    public void Paths_are_bit_identical(int w, int h, PixelFormat f, int th, int tw)
    {
        int stride = w * f.BytesPerPixel() + 7;
        var px = new byte[(h - 1) * stride + w * f.BytesPerPixel()];   // exact length: no path may read past the last pixel
        new Random(w * 7 + h).NextBytes(px);
        var paths = Enum.GetValues<SimdPath>().Where(p => p <= Preprocessor.BestPath).ToList();
        Assert.That(paths, Does.Contain(SimdPath.Vector128), "x64 and arm64 always have 128-bit SIMD");
        foreach (int c in new[] { 3, 1 })
        {
            var pre = new Preprocessor(c, th, tw) { MaxPath = SimdPath.Scalar };
            var want = new float[pre.OutputLength];
            pre.Run(px, w, h, stride, f, want);
            foreach (var p in paths.Skip(1))
            {
                pre.MaxPath = p;
                Assert.That(pre.ActivePath, Is.EqualTo(p));
                var got = new float[pre.OutputLength];
                pre.Run(px, w, h, stride, f, got);
                for (int i = 0; i < got.Length; i++)
                    if (BitConverter.SingleToInt32Bits(got[i]) != BitConverter.SingleToInt32Bits(want[i]))
                        Assert.Fail($"C={c} path {p}: element {i} = {got[i]:R}, scalar path {want[i]:R}");
            }
        }
    }
}
