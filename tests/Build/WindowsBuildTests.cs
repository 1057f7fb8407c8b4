using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace ResNetRealtime.Tests.Build;

/// <summary>
/// The honest check, from Linux, that the Windows/DirectML build still compiles and carries its native
/// files (runtime/build/OnnxRuntime.targets): `dotnet build -r win-x64` and `dotnet publish -r win-x64`
/// of the runtime must put the DirectML-enabled onnxruntime.dll 1.30.0 and DirectML.dll 1.15.x (from
/// npm onnxruntime-node, cached per user) next to the assemblies, in place of NuGet's CPU-only
/// onnxruntime.dll, keep NuGet's onnxruntime_providers_shared.dll, and carry no Linux library.
/// A Linux build of the same sources must not fetch anything of it.
/// The builds run on a copy of the sources so they cannot disturb this checkout's obj/ folders; they
/// reuse the per-user download cache (a first run on a fresh machine fetches 113 MB once).
/// </summary>
[TestFixture, Category("Build")]
public class WindowsBuildTests
{
    string _work;

    [OneTimeSetUp]
    public void CopySources()
    {
        string repo = RepoPaths.Root;
        _work = Path.Combine(Path.GetTempPath(), "rr-winbuild-" + Guid.NewGuid().ToString("N")[..8]);
        CopyTree(Path.Combine(repo, "runtime"), Path.Combine(_work, "runtime"));
        CopyTree(Path.Combine(repo, "shaders"), Path.Combine(_work, "shaders"));
        // Directory.Build.targets imports tools/build/Ffmpeg.targets (ffmpeg.exe for the apps that ship it).
        CopyTree(Path.Combine(repo, "tools", "build"), Path.Combine(_work, "tools", "build"));
        foreach (var f in new[] { "Directory.Build.props", "Directory.Build.targets" })
            File.Copy(Path.Combine(repo, f), Path.Combine(_work, f));
    }

    [OneTimeTearDown]
    public void DeleteCopy()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    string Project => Path.Combine(_work, "runtime", "ResNetRealtime.Runtime.csproj");

    [Test]
    public void Build_and_publish_for_win_x64_carry_the_DirectML_onnx_runtime()
    {
        string outDir = Path.Combine(_work, "out"), pubDir = Path.Combine(_work, "pub");
        var (code, output) = Run("dotnet", $"build \"{Project}\" -c Release -f net10.0 -r win-x64 -o \"{outDir}\" -nologo -v q", _work);
        Assert.That(code, Is.EqualTo(0), "dotnet build -r win-x64 failed:\n" + output);
        AssertWindowsDirectMLOutput(outDir, "build");

        (code, output) = Run("dotnet", $"publish \"{Project}\" -c Release -f net10.0 -r win-x64 --self-contained false -o \"{pubDir}\" -nologo -v q", _work);
        Assert.That(code, Is.EqualTo(0), "dotnet publish -r win-x64 failed:\n" + output);
        AssertWindowsDirectMLOutput(pubDir, "publish");
    }

    static void AssertWindowsDirectMLOutput(string dir, string what)
    {
        var expected = new List<string> { "onnxruntime.dll", "DirectML.dll", "onnxruntime_providers_shared.dll", "ResNetRealtime.Runtime.dll" };
        if (what == "publish") expected.Add("Microsoft.ML.OnnxRuntime.dll");   // a library's build output holds no managed dependencies
        foreach (var dll in expected)
            Assert.That(File.Exists(Path.Combine(dir, dll)), Is.True, $"{dll} missing from the win-x64 {what} output {dir}");

        string ortPath = Path.Combine(dir, "onnxruntime.dll");
        byte[] ort = File.ReadAllBytes(ortPath);
        Assert.That(Contains(ort, "DmlExecutionProvider"), Is.True, $"{what}: onnxruntime.dll does not name the DirectML execution provider");
        // NuGet's CPU build also names DmlExecutionProvider (in its provider list); only the DML build loads DirectML.dll.
        Assert.That(Contains(ort, "DirectML.dll"), Is.True, $"{what}: onnxruntime.dll is not the DirectML build (it never loads DirectML.dll): NuGet's CPU-only file was not replaced");
        Assert.That(PeVersion.FileVersion(ortPath).ToString(3), Is.EqualTo("1.30.0"), $"{what}: onnxruntime.dll version");
        var dml = PeVersion.FileVersion(Path.Combine(dir, "DirectML.dll"));
        Assert.That((dml.Major, dml.Minor), Is.EqualTo((1, 15)), $"{what}: DirectML.dll is {dml}; 1.15.x expected");
        Assert.That(PeVersion.FileVersion(Path.Combine(dir, "onnxruntime_providers_shared.dll")).ToString(3), Is.EqualTo("1.30.0"),
                    $"{what}: onnxruntime_providers_shared.dll version");

        var unixLibs = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                                .Where(f => f.EndsWith(".so", StringComparison.Ordinal) || f.Contains(".so.", StringComparison.Ordinal) || f.EndsWith(".dylib", StringComparison.Ordinal))
                                .Select(f => Path.GetRelativePath(dir, f)).ToList();
        Assert.That(unixLibs, Is.Empty, $"{what}: Linux/macOS libraries leaked into the win-x64 output");
    }

    [Test]
    public void Linux_build_fetches_nothing_and_ships_no_windows_library()
    {
        // A cache folder of its own: had the build wanted the npm package, it would have to create it.
        string cache = Path.Combine(_work, "fresh-cache") + Path.DirectorySeparatorChar;
        string outDir = Path.Combine(_work, "out-linux");
        var (code, output) = Run("dotnet", $"build \"{Project}\" -c Release -f net10.0 -r linux-x64 -o \"{outDir}\" -p:RrDownloadCache=\"{cache}\" -nologo -v q", _work);
        Assert.That(code, Is.EqualTo(0), "dotnet build -r linux-x64 failed:\n" + output);
        Assert.That(Directory.Exists(cache), Is.False, "a Linux build touched the download cache (it must not fetch onnxruntime-node)");
        // Microsoft.ML.OnnxRuntime's build props add its win-x64 DLLs to any x64 build of the project
        // referencing it; OnnxRuntime.targets drops them where the RID is not Windows.
        var windowsLibs = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Select(Path.GetFileName)
                                   .Where(n => n is "onnxruntime.dll" or "DirectML.dll" or "onnxruntime_providers_shared.dll").ToList();
        Assert.That(windowsLibs, Is.Empty, "Windows native libraries are in the linux-x64 output");
    }

    [Test]
    public void Portable_outputs_here_carry_only_this_machines_onnx_runtime()
    {
        // RrOrtHostNativesOnly (Directory.Build.props): this test assembly's own bin/ is such an output.
        string runtimes = Path.Combine(AppContext.BaseDirectory, "runtimes");
        var ortRids = Directory.Exists(runtimes)
            ? Directory.EnumerateFiles(runtimes, "*onnxruntime*", SearchOption.AllDirectories)
                       .Select(f => Path.GetRelativePath(runtimes, f).Split(Path.DirectorySeparatorChar)[0]).Distinct().ToList()
            : new List<string>();
        Assert.That(ortRids, Is.EqualTo(new[] { System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier }),
                    $"ONNX Runtime natives in {runtimes}");
    }

    static bool Contains(byte[] haystack, string ascii) =>
        haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii)) >= 0 || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(ascii)) >= 0;

    internal static void CopyTree(string from, string to)
    {
        static bool Skip(string rel) => rel.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj");
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            if (!Skip(Path.GetRelativePath(from, dir))) Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            if (!Skip(Path.GetRelativePath(from, file))) File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    static (int code, string output) Run(string exe, string args, string cwd)
    {
        var (code, stdout, stderr) = ChildProcess.Run(exe, args, TimeSpan.FromMinutes(8), psi => psi.WorkingDirectory = cwd);
        return (code, stdout + stderr);
    }
}
