using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace ResNetRealtime.Runtime.Backends.Ort;

/// <summary>
/// What each ONNX Runtime execution provider needs, checked before ORT is asked to start it, so a
/// missing piece gives one line naming what to install or rebuild with (ORT itself would log a
/// multi-line error to stderr and throw "Failed to load shared library").
/// </summary>
internal static class OrtProviders
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
    public static void Require(Backend backend)
    {
        switch (backend)
        {
            case Backend.OrtDml:
                RequireInBuild("DmlExecutionProvider", OperatingSystem.IsWindows()
                    ? "ort-dml needs the DirectML build of onnxruntime.dll, which a win-x64 build (`dotnet build -r win-x64`) puts beside the app; this onnxruntime.dll is the CPU-only one (was the app built without -r win-x64?); set the options' Backend = Backend.OrtCpu instead"
                    : $"ort-dml needs Windows with DirectML (the win-x64 build's onnxruntime.dll); this is {RuntimeInformation.OSDescription}; set the options' Backend = Backend.OrtCpu or Backend.Gl");
                if (OperatingSystem.IsWindows() && DirectMLProblem(LoadedOrtDirectory(), out string problem)) throw new NotSupportedException(problem);
                break;
            case Backend.OrtCuda:
                RequireInBuild("CUDAExecutionProvider",
                    "ort-cuda needs the CUDA build of ONNX Runtime, which this build does not reference: on Linux x64 rebuild with `dotnet build -c Release -p:RrCuda=true` (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0) and install CUDA 13 and cuDNN 9; set the options' Backend = Backend.OrtCpu or Backend.Gl");
                // Library names below are Linux ones: the CUDA build referenced is Gpu.Linux.
                string missing = OperatingSystem.IsLinux() ? MissingCudaLibraries(CanLoad) : null;
                if (missing != null)
                    throw new NotSupportedException(
                        $"ort-cuda: {missing} not found; ONNX Runtime {Version}'s CUDA EP needs the NVIDIA driver (libcuda.so.1), CUDA 13 and cuDNN 9 on the library path (LD_LIBRARY_PATH); set the options' Backend = Backend.OrtCpu or Backend.Gl");
                break;
        }
    }

    /// <summary>The DirectML.dll ONNX Runtime 1.30.0's DirectML EP was built against (Microsoft.AI.DirectML 1.15.4, which the
    /// win-x64 build ships beside onnxruntime.dll: runtime/build/OnnxRuntime.targets).</summary>
    public static readonly Version DirectMLVersion = new(1, 15, 4);

    /// <summary>
    /// True (with one line) when DirectML.dll beside <paramref name="ortDirectory"/> is missing or not 1.15.x. Windows searches
    /// the app's folder first, then System32, whose DirectML.dll (inbox since Windows 10 1903) is older: missing ours, the
    /// DirectML EP would load that one and fail later with an HRESULT instead of this line.
    /// </summary>
    public static bool DirectMLProblem(string ortDirectory, out string problem)
    {
        problem = null;
        if (ortDirectory == null) return false;   // not found among the loaded modules: let ORT report
        string dll = Path.Combine(ortDirectory, "DirectML.dll");
        if (!File.Exists(dll))
        {
            problem = $"ort-dml: DirectML.dll is missing beside onnxruntime.dll in {ortDirectory}; the win-x64 build ships DirectML.dll {DirectMLVersion} there " +
                      "(runtime/build/OnnxRuntime.targets: rebuild with -r win-x64, or copy it back); set the options' Backend = Backend.OrtCpu or Backend.Gl";
            return true;
        }
        var info = System.Diagnostics.FileVersionInfo.GetVersionInfo(dll);
        var found = new Version(info.FileMajorPart, info.FileMinorPart, info.FileBuildPart);
        if (found.Major != DirectMLVersion.Major || found.Minor != DirectMLVersion.Minor)
        {
            problem = $"ort-dml: {dll} is DirectML {(found.Major == 0 && found.Minor == 0 ? "of no version (not a DirectML.dll)" : found.ToString())}; " +
                      $"ONNX Runtime {Version}'s DirectML EP needs {DirectMLVersion.Major}.{DirectMLVersion.Minor}.x ({DirectMLVersion} ships with the win-x64 build); rebuild with -r win-x64; set the options' Backend = Backend.OrtCpu or Backend.Gl";
            return true;
        }
        return false;
    }

    /// <summary>The folder the loaded onnxruntime.dll came from (where DirectML.dll must be), or null.</summary>
    static string LoadedOrtDirectory()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        foreach (System.Diagnostics.ProcessModule m in self.Modules)
            if (string.Equals(m.ModuleName, "onnxruntime.dll", StringComparison.OrdinalIgnoreCase)) return Path.GetDirectoryName(m.FileName);
        return null;
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
