using System.Runtime.InteropServices;

namespace ResNetRealtime.Training.Torch;

/// <summary>
/// Loads TorchSharp's natives once, before any TorchSharp type is touched, and turns every way that can
/// fail into one line that says what to install. On linux-x64 the build may have put a libstdc++ shim
/// beside libLibTorchSharp.so (see TorchSharpNative.targets): it is dlopened RTLD_NOW|RTLD_GLOBAL first,
/// so the patched library's weakened GLIBCXX_3.4.32 reference binds to it. Loading libLibTorchSharp.so
/// by its full path ourselves means TorchSharp's own probe finds it already loaded; a failure is caught
/// here rather than in TorchSharp's fallback, which would copy 600 MB of natives beside the app.
/// This class references no TorchSharp type, so calling it cannot trigger TorchSharp's initialiser.
/// </summary>
public static class TorchRuntime
{
    public const string Install = "TorchSharp 0.107.0 with libtorch-cpu 2.10.0 (restored by the training project's build; on Linux the build also needs g++)";
    static readonly object Gate = new();
    static bool _tried;
    static string _error;

    const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
    [DllImport("libc", EntryPoint = "dlopen")] static extern IntPtr DlOpen(string file, int mode);
    [DllImport("libc", EntryPoint = "dlerror")] static extern IntPtr DlError();

    /// <summary>Folder of the platform's natives in the app's output.</summary>
    public static string NativeDir => Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier.StartsWith("linux", StringComparison.Ordinal) ? "linux-x64" : RuntimeInformation.RuntimeIdentifier, "native");

    /// <summary>True when TorchSharp is usable; otherwise <paramref name="error"/> is one line naming what to install.</summary>
    public static bool TryLoad(out string error)
    {
        lock (Gate)
        {
            if (!_tried) { _tried = true; _error = LoadCore(); }
            error = _error;
            return _error == null;
        }
    }

    /// <summary>Throws <see cref="TorchUnavailableException"/> (one line) when TorchSharp cannot run here.</summary>
    public static void EnsureLoaded()
    {
        if (!TryLoad(out var error)) throw new TorchUnavailableException(error);
    }

    static string LoadCore()
    {
        string error = OperatingSystem.IsLinux() ? LoadLinuxNatives(NativeDir) : null;
        return error ?? Initialise();
    }

    /// <summary>Loads the shim (if the build made one) and libLibTorchSharp.so from <paramref name="dir"/>;
    /// null on success, else the one line for the user.</summary>
    internal static string LoadLinuxNatives(string dir)
    {
        string lib = Path.Combine(dir, "libLibTorchSharp.so");
        if (!File.Exists(lib))
            return $"TorchSharp is not installed beside this program (no {lib}); install {Install} and rebuild";
        string shim = Path.Combine(dir, "libRrGlibcxxShim.so");
        if (File.Exists(shim) && DlOpen(shim, RTLD_NOW | RTLD_GLOBAL) == IntPtr.Zero)
            return $"TorchSharp: cannot load the libstdc++ shim {shim} ({Marshal.PtrToStringAnsi(DlError())}); rebuild with g++ installed";
        if (NativeLibrary.TryLoad(lib, out _)) return null;
        IntPtr h = DlOpen(lib, RTLD_NOW);   // again, for the loader's own words
        string why = h == IntPtr.Zero ? Marshal.PtrToStringAnsi(DlError()) : "unknown reason";
        return $"TorchSharp cannot load {lib}: {why}; install {Install} (the build patches it for an older libstdc++: needs g++)";
    }

    // Separate method: the JIT resolves TorchSharp only when this runs, after the natives above.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static string Initialise()
    {
        try
        {
            TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
            return null;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or FileNotFoundException or BadImageFormatException)
        {
            string first = (e.InnerException ?? e).Message.Split('\n')[0].Trim();
            return $"TorchSharp did not initialise ({first}); install {Install}";
        }
    }
}

/// <summary>TorchSharp cannot run on this machine; the message is one line naming what to install.</summary>
public sealed class TorchUnavailableException(string message) : NotSupportedException(message);
