using System.Diagnostics;
using NUnit.Framework;

namespace ResNetRealtime.Tests.Native;

/// <summary>
/// The published native library, shared by the native tests: published once per run (NativeAOT, ~1–2 min), or taken
/// from RR_NATIVE_LIB_DIR (a folder holding libresnet_realtime.so, e.g. from `./rr pack`) to iterate on the C side.
/// C programs are built with gcc against native/include and run with a timeout each.
/// </summary>
public static class NativeHost
{
    static readonly Lazy<string> Published = new(Publish, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string LibDir => Published.Value;
    public static string Library => Path.Combine(LibDir, "libresnet_realtime.so");
    public static string Include => Path.Combine(RepoPaths.Root, "native", "include");
    public static string Model => Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");

    static string Publish()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("the native library tests build a linux-x64 .so");
        if (Environment.GetEnvironmentVariable("RR_NATIVE_LIB_DIR") is { Length: > 0 } given)
        {
            Assert.That(File.Exists(Path.Combine(given, "libresnet_realtime.so")), $"RR_NATIVE_LIB_DIR={given} holds no libresnet_realtime.so");
            return given;
        }
        var dir = Path.Combine(Path.GetTempPath(), $"rr-native-{Environment.ProcessId}");
        var r = Run("dotnet", $"publish \"{Path.Combine(RepoPaths.Root, "native", "ResNetRealtime.Native.csproj")}\" -c Release -r linux-x64 -nologo -v q -o \"{dir}\"",
                    RepoPaths.Root, TimeSpan.FromMinutes(8));
        Assert.That(r.Exit, Is.EqualTo(0), $"dotnet publish of the native library failed:\n{r.Output}");
        return dir;
    }

    public readonly record struct Result(int Exit, string Output);

    /// <summary>Runs a program through the suite's one bounded runner (<see cref="ChildProcess"/>): stdout, then stderr;
    /// killed (and the test failed) past the timeout.</summary>
    public static Result Run(string file, string args, string workDir, TimeSpan timeout, IDictionary<string, string> env = null)
    {
        var (code, stdout, stderr) = ChildProcess.Run(file, args, timeout, psi =>
        {
            psi.WorkingDirectory = workDir;
            if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        });
        return new(code, stdout + stderr);
    }

    /// <summary>gcc -std=c11 source -I include library -lEGL -lGL -lpthread → an executable in a temp folder.</summary>
    public static string Compile(string source)
    {
        var exe = Path.Combine(LibDir, "host-" + Path.GetFileNameWithoutExtension(source));
        var r = Run("gcc", $"-std=c11 -Wall -Werror -o \"{exe}\" \"{source}\" -I\"{Include}\" \"{Library}\" -lEGL -lGL -lpthread", LibDir, TimeSpan.FromMinutes(1));
        Assert.That(r.Exit, Is.EqualTo(0), $"gcc {source}:\n{r.Output}");
        return exe;
    }

    /// <summary>Runs a compiled host on the scene model; headless EGL needs no display.</summary>
    public static Result RunHost(string exe, string extraArgs = "", int timeoutSeconds = 120) =>
        Run(exe, $"\"{Model}\" {extraArgs}", LibDir, TimeSpan.FromSeconds(timeoutSeconds));

    public static string CSource(string name) => Path.Combine(RepoPaths.Root, "tests", "Native", "c", name);
}
