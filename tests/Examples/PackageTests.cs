using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Gl;

namespace ResNetRealtime.Tests.Examples;

/// <summary>What a host app gets from `dotnet pack`: the runtime packed into a local folder feed, a fresh net8.0
/// console project outside the repository that references only that package, and each "// example: NAME" program of
/// README.md or docs/*.md pasted in as its Program.cs, built and run on models/scene-resnet.onnx. Each program's first result
/// must equal what the same input gives in-process here: on Linux, and as a win-x64 self-contained publish under Wine
/// (PackageTests.Wine.cs).</summary>
[TestFixture, Category("Package"), NonParallelizable]
public partial class PackageTests
{
    /// <summary>Where an example runs: built and run here, or published for win-x64 and run under Wine.</summary>
    public enum Host { Linux, Wine }

    string _dir, _feed, _app, _version, _cachedPackage;
    readonly Dictionary<string, string[]> _linuxLines = new();
    static string Model => Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");

    [OneTimeSetUp]
    public void PackAndCreateProject()
    {
        var sw = Stopwatch.StartNew();
        _dir = Path.Combine(Path.GetTempPath(), "rr-package-" + Guid.NewGuid().ToString("N"));
        _feed = Path.Combine(_dir, "feed");
        _app = Path.Combine(_dir, "host");
        Directory.CreateDirectory(_app);
        // A version of its own, so the restore cannot pick up a package of an earlier run from the global cache.
        _version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Run("dotnet", $"pack \"{Path.Combine(RepoPaths.Root, "runtime", "ResNetRealtime.Runtime.csproj")}\" -c Release -o \"{_feed}\" -p:PackageVersion={_version} -nologo -v q", RepoPaths.Root);
        var nupkg = Path.Combine(_feed, $"ResNetRealtime.Runtime.{_version}.nupkg");
        Assert.That(File.Exists(nupkg), $"dotnet pack wrote no {nupkg}");
        TestContext.Progress.WriteLine($"package: {new FileInfo(nupkg).Length / 1024.0:F0} KiB, packed in {sw.Elapsed.TotalSeconds:F1} s");

        // The local feed on top of the machine's own sources (nuget.org here), which every host project below inherits.
        File.WriteAllText(Path.Combine(_dir, "nuget.config"),
            $"<configuration><packageSources><add key=\"rr-local\" value=\"{_feed}\" /></packageSources></configuration>");
        File.WriteAllText(Path.Combine(_app, "host.csproj"), HostProject(""));
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        _cachedPackage = Path.Combine(packages, "resnetrealtime.runtime", _version);
    }

    /// <summary>A net8.0 console project that references only the packed runtime; <paramref name="extra"/> adds properties.</summary>
    string HostProject(string extra) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net8.0</TargetFramework>
            <!-- runs on the newest runtime here: a machine may hold only .NET 10 -->
            <RollForward>Major</RollForward>
            <ImplicitUsings>enable</ImplicitUsings>{extra}
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="ResNetRealtime.Runtime" Version="{_version}" />
          </ItemGroup>
        </Project>
        """;

    [OneTimeTearDown]
    public void CleanUp()
    {
        StopWine();
        if (_dir != null && Directory.Exists(_dir)) Directory.Delete(_dir, true);
        if (_cachedPackage != null && Directory.Exists(_cachedPackage)) Directory.Delete(_cachedPackage, true);
    }

    [Test]
    public void Readme_has_the_cpu_and_gl_programs()
    {
        var programs = ReadmeExamples.Programs();
        Assert.That(programs.Keys, Is.SupersetOf(new[] { "cpu-pixels", "gl-texture", "realtime-cpu" }));
    }

    [TestCase(Host.Linux), TestCase(Host.Wine, Category = "Wine")]
    public void Every_documented_example_exits_0(Host host)
    {
        foreach (var name in ReadmeExamples.Programs().Keys) Lines(name, host); // each asserts its exit code
    }

    [TestCase(Host.Linux), TestCase(Host.Wine, Category = "Wine")]
    public void Cpu_pixels_example_prints_the_in_process_top1(Host host)
    {
        var lines = Lines("cpu-pixels", host);
        var top = InProcessTop1();
        Assert.That(lines, Has.Length.EqualTo(6));
        Assert.That(lines[0], Does.StartWith($"{top.Label}: "), "top-1 of the packaged run vs in-process");
        Assert.That(lines[5], Does.StartWith("latency: "));
    }

    [TestCase(Host.Linux), TestCase(Host.Wine, Category = "Wine")]
    public void Realtime_cpu_example_polls_the_in_process_top1(Host host)
    {
        var lines = Lines("realtime-cpu", host);
        var top = InProcessTop1();
        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines.Take(3), Has.All.StartWith($"{top.Label}: "), "top-1 of each polled result vs in-process");
        Assert.That(lines[3], Does.StartWith("submitted "));
    }

    [TestCase(Host.Linux), TestCase(Host.Wine, Category = "Wine"), Category("Gl")]
    public void Gl_texture_example_polls_the_in_process_class(Host host)
    {
        var ctx = GlTestContext.Get();
        var rgba = new byte[64 * 48 * 4];
        new Random(1).NextBytes(rgba); // the example's texture
        uint tex = GlTestContext.RgbaTexture(ctx.Gl, rgba, 64, 48);
        int expect;
        try
        {
            using var be = GlBackendFactory.Create(OnnxModel.Load(Model), new BackendOptions(), new GlBackendOptions { Context = ctx });
            be.RunFromTexture(tex, 64, 48, new float[be.Classes]);
            expect = (int)be.TopK[0];
        }
        finally { ctx.Gl.DeleteTexture(tex); }
        var lines = Lines("gl-texture", host);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines, Has.All.StartWith($"class {expect}: "), "class of each polled result vs in-process");
    }

    /// <summary>Top-1 of the CPU examples' frame (640×480 BGRA from Random(1)) classified here, in-process.</summary>
    static Prediction InProcessTop1()
    {
        var bgra = new byte[640 * 480 * 4];
        new Random(1).NextBytes(bgra);
        using var classifier = Classifier.Create(Model, new ClassifierOptions { Backend = Backend.OrtCpu, Threads = 2 });
        return classifier.Classify(bgra, 640, 480, 640 * 4, PixelFormat.Bgra32).TopK[0];
    }

    /// <summary>The stdout lines of the documented program NAME run on the model by <paramref name="host"/> (each run once).</summary>
    string[] Lines(string name, Host host)
    {
        if (host == Host.Wine) return WineLines(name);
        if (!_linuxLines.TryGetValue(name, out var lines)) _linuxLines[name] = lines = BuildAndRun(name);
        return lines;
    }

    /// <summary>Pastes the documented program as Program.cs, builds the host project and runs it on the model; its stdout lines.</summary>
    string[] BuildAndRun(string name)
    {
        Assert.That(ReadmeExamples.Programs().TryGetValue(name, out var program), $"neither README.md nor docs/*.md has a '// example: {name}' block");
        File.WriteAllText(Path.Combine(_app, "Program.cs"), program);
        var sw = Stopwatch.StartNew();
        Run("dotnet", "build -c Release -nologo -v q -clp:ErrorsOnly", _app);
        var bin = Path.Combine(_app, "bin", "Release", "net8.0");
        // buildTransitive/ResNetRealtime.Runtime.targets reached the host: ORT's Android/iOS archives are dropped.
        Assert.That(Directory.Exists(Path.Combine(bin, "runtimes", "android")), Is.False, "the package's buildTransitive targets did not apply");
        var output = Run("dotnet", $"\"{Path.Combine(bin, "host.dll")}\" \"{Model}\"", _app);
        TestContext.Progress.WriteLine($"{name}: fresh project built and ran in {sw.Elapsed.TotalSeconds:F1} s");
        return SplitLines(output);
    }

    static string[] SplitLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>Runs a command to completion; a non-zero exit fails the test with its output.</summary>
    static string Run(string file, string args, string dir)
    {
        using var p = ChildProcess.Start(file, args, psi =>
        {
            psi.WorkingDirectory = dir;
            // The test host's MSBuild variables would point the child at this build's SDK state.
            foreach (var v in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
                psi.Environment.Remove(v);
        });
        // A restore of the packed package and a publish on 2 busy cores take minutes, never ten.
        var (code, stdout, stderr) = p.WaitForExit(TimeSpan.FromMinutes(10));
        Assert.That(code, Is.EqualTo(0), $"`{file} {args}` in {dir} exited {code}:\n{stdout}\n{stderr}");
        return stdout;
    }
}
