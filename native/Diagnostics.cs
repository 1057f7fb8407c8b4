using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResNetRealtime.Runtime.Imaging;

namespace ResNetRealtime.Native;

/// <summary>Exports for tests and benchmarks (declared in the header's diagnostics section): the library's own
/// preprocessor, so a test can hold its output against the managed build's bit for bit on any CPU (an emulated one
/// without AVX2 included), and time it without a model.</summary>
internal static unsafe class Diagnostics
{
    [ThreadStatic] static Preprocessor _pre;   // one per thread (Preprocessor is not thread-safe); rebuilt on a new size

    /// <summary>The path Preprocessor.Run takes in this image (its BestPath, which is internal to the runtime): the
    /// same IsSupported checks, folded by the same compilation, so the name says what ran.</summary>
    static readonly nint PathName = (nint)Exports.Utf8Const(
        Avx512F.IsSupported && Avx2.IsSupported ? "Avx512" : Avx2.IsSupported ? "Avx2" : Vector128.IsHardwareAccelerated ? "Vector128" : "Scalar");

    [UnmanagedCallersOnly(EntryPoint = "rr_debug_preprocess")]
    static int Preprocess(byte* pixels, nuint sizeBytes, int width, int height, int strideBytes, int format,
                          int outHeight, int outWidth, float* output, nuint outputCount, byte** simdPath)
    {
        try
        {
            if (pixels == null || output == null) return Exports.Fail(Abi.ErrNullPointer, pixels == null ? "pixels is NULL" : "out is NULL");
            if (sizeBytes > int.MaxValue || outputCount > int.MaxValue)
                return Exports.Fail(Abi.ErrInvalidArgument, $"size_bytes {sizeBytes} or out_count {outputCount} is over {int.MaxValue}");
            if ((uint)format > (uint)PixelFormat.Bgra32) return Exports.Fail(Abi.ErrInvalidArgument, $"format {format} is not an rr_pixel_format (0..3)");
            if (_pre == null || _pre.Height != outHeight || _pre.Width != outWidth) _pre = new Preprocessor(3, outHeight, outWidth);
            _pre.Run(new ReadOnlySpan<byte>(pixels, (int)sizeBytes), width, height, strideBytes, (PixelFormat)format, new Span<float>(output, (int)outputCount));
            if (simdPath != null) *simdPath = (byte*)PathName;
            return Abi.Ok;
        }
        catch (Exception e) { return Exports.Fail(e); }
    }
}
