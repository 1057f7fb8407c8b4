using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace ResNetRealtime.Runtime.Backends.Ort;

/// <summary>
/// What each ONNX Runtime execution provider needs, checked before ORT is asked to start it, so a
/// missing piece gives one line naming what to install or rebuild with (ORT itself would log a
/// multi-line error to stderr and throw "Failed to load shared library").
/// </summary>
public static class OrtProviders
{
    /// <summary>The ONNX Runtime release actually loaded (the native library's own version string).</summary>
    public static string Version => OrtLog.Env.GetVersionString();

    /// <summary>
    /// Libraries libonnxruntime_providers_cuda.so of Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0 loads:
    /// its NEEDED entries (`readelf -d`) that are not glibc/libstdc++, plus cuDNN 9, which it dlopens.
    /// That build is linked against CUDA 13 (libcudart.so.13), not 12.
    /// </summary>
    public static readonly string[] CudaLibraries =
        { "libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9" };

    /// <summary>Throws NotSupportedException with one line when <paramref name="backend"/> cannot start here.</summary>
    public static void Require(string backend)
    {
        switch (backend)
        {
            case OrtBackend.Dml:
                RequireInBuild("DmlExecutionProvider", OperatingSystem.IsWindows()
                    ? "ort-dml needs the DirectML build of onnxruntime.dll, which `dotnet build -r win-x64` (or rr.ps1) puts beside the app; this onnxruntime.dll is the CPU-only one (was the app built without -r win-x64?); use --backend ort-cpu instead"
                    : $"ort-dml needs Windows with DirectML (the win-x64 build's onnxruntime.dll); this is {RuntimeInformation.OSDescription}; use --backend ort-cpu or gl");
                break;
            case OrtBackend.Cuda:
                RequireInBuild("CUDAExecutionProvider",
                    "ort-cuda needs the CUDA build of ONNX Runtime, which this build does not reference: on Linux x64 rebuild with `dotnet build -c Release -p:RrCuda=true` (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0) and install CUDA 13 and cuDNN 9; use --backend ort-cpu or gl");
                // Library names below are Linux ones: the CUDA build referenced is Gpu.Linux.
                string missing = OperatingSystem.IsLinux() ? MissingCudaLibraries(CanLoad) : null;
                if (missing != null)
                    throw new NotSupportedException(
                        $"ort-cuda: {missing} not found; ONNX Runtime {Version}'s CUDA EP needs the NVIDIA driver (libcuda.so.1), CUDA 13 and cuDNN 9 on the library path (LD_LIBRARY_PATH); use --backend ort-cpu or gl");
                break;
        }
    }

    /// <summary>The CUDA libraries that <paramref name="canLoad"/> cannot load, comma-separated; null when all load.</summary>
    public static string MissingCudaLibraries(Func<string, bool> canLoad)
    {
        var missing = CudaLibraries.Where(l => !canLoad(l)).ToArray();
        return missing.Length == 0 ? null : string.Join(", ", missing);
    }

    internal static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    static void RequireInBuild(string ep, string message)
    {
        var available = OrtLog.Env.GetAvailableProviders();
        if (Array.IndexOf(available, ep) < 0)
            throw new NotSupportedException($"{message} (available providers: {string.Join(", ", available)})");
    }
}
