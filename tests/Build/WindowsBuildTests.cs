using System.Diagnostics;
using NUnit.Framework;

namespace ResNetRealtime.Tests.Build;

/// <summary>
/// The honest check, from Linux, that the Windows/DirectML build still compiles and carries its
/// native files: `dotnet build -r win-x64` of the runtime must put the DirectML-enabled
/// onnxruntime.dll and onnxruntime_providers_shared.dll next to the assemblies.
/// The build runs on a copy of the sources so it cannot disturb this checkout's obj/ folders.
/// </summary>
[TestFixture, Category("Build")]
public class WindowsBuildTests
{
    [Test]
    public void RuntimeBuildsForWinX64WithDirectMLOnnxRuntime()
    {
        string repo = RepoPaths.Root;
        string work = Path.Combine(Path.GetTempPath(), "rr-winbuild-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            CopyTree(Path.Combine(repo, "runtime"), Path.Combine(work, "runtime"));
            CopyTree(Path.Combine(repo, "shaders"), Path.Combine(work, "shaders"));
            File.Copy(Path.Combine(repo, "Directory.Build.props"), Path.Combine(work, "Directory.Build.props"));
            // Reuse the already downloaded and verified package instead of fetching 150 MB again.
            Directory.CreateSymbolicLink(Path.Combine(work, "external"), Path.Combine(repo, "external"));

            string outDir = Path.Combine(work, "out");
            var (code, output) = Run("dotnet", $"build \"{Path.Combine(work, "runtime", "ResNetRealtime.Runtime.csproj")}\" -c Release -r win-x64 -o \"{outDir}\" -nologo -v q", work);
            Assert.That(code, Is.EqualTo(0), "dotnet build -r win-x64 failed:\n" + output);

            foreach (var dll in new[] { "onnxruntime.dll", "onnxruntime_providers_shared.dll", "Microsoft.ML.OnnxRuntime.dll", "ResNetRealtime.Runtime.dll" })
                Assert.That(File.Exists(Path.Combine(outDir, dll)), Is.True, $"{dll} missing from the win-x64 output {outDir}");

            byte[] ort = File.ReadAllBytes(Path.Combine(outDir, "onnxruntime.dll"));
            Assert.That(ort[0] == 'M' && ort[1] == 'Z', Is.True, "onnxruntime.dll is not a Windows PE file");
            Assert.That(Contains(ort, "DmlExecutionProvider"u8), Is.True, "onnxruntime.dll in the win-x64 output was built without the DirectML execution provider");
            Assert.That(File.Exists(Path.Combine(outDir, "libonnxruntime.so")), Is.False, "the Linux library leaked into the win-x64 output");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, dir);
            if (rel.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj")) continue;
            Directory.CreateDirectory(Path.Combine(to, rel));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            if (rel.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj")) continue;
            File.Copy(file, Path.Combine(to, rel));
        }
    }

    static (int code, string output) Run(string exe, string args, string cwd)
    {
        var psi = new ProcessStartInfo(exe, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8))) { p.Kill(true); return (-1, "timed out after 8 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
