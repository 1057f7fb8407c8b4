// PretrainedPackage: finds (and, when missing, restores) the NuGet package that ships the ImageNet
// ResNet-18, and checks the two files we read against pinned SHA-256 digests. Nothing is committed:
// the package lives in the NuGet global packages folder like any other package the build restores.
//
// Where the files come from, first match wins:
//  1. $RR_PRETRAINED_PACKAGE: a folder holding the unzipped package (tools/DnnImageModels/...), or the
//     two .onnx files side by side — for machines without network access.
//  2. The NuGet global packages folder ($NUGET_PACKAGES, else ~/.nuget/packages), as `dotnet restore` leaves it.
//  3. A restore: a throwaway project with a <PackageDownload> in a temp folder, `dotnet restore`, then (2).
//     $RR_PRETRAINED_NO_RESTORE=1 skips this step (never touch the network).
// When all fail: PretrainedUnavailableException, one line saying what to fetch and where to put it.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Models;
using System.Diagnostics;
using System.Security.Cryptography;

namespace ResNetRealtime.Tools.Pretrained;

/// <summary>The pretrained package cannot be found or restored. The message is the one line to show a user.</summary>
public sealed class PretrainedUnavailableException : IOException
{
    public PretrainedUnavailableException(string message) : base(message) { }
}

/// <summary>The two files of the package the converter reads, both checked against their pinned digests.</summary>
public sealed record PretrainedFiles(string Network, string Preprocess);

public sealed class PretrainedPackage
{
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string Version = "0.23.1";
    public const string NetworkPath = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    public const string PreprocessPath = "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";
    // Pinned from the 0.23.1 package as nuget.org serves it (sha256sum of each file).
    public const string NetworkSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";
    public const string PreprocessSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";
    public const string PackageEnv = "RR_PRETRAINED_PACKAGE";
    public const string NoRestoreEnv = "RR_PRETRAINED_NO_RESTORE";
    /// <summary>A restore of the 60 MB package on a slow link; beyond this we give up with the one-line message.</summary>
    static readonly TimeSpan RestoreTimeout = TimeSpan.FromMinutes(10);

    readonly string _override, _globalPackages;
    readonly Func<string, string> _restore;

    /// <param name="overrideDir">Folder with the unzipped package; default $RR_PRETRAINED_PACKAGE.</param>
    /// <param name="globalPackages">NuGet global packages folder; default $NUGET_PACKAGES or ~/.nuget/packages.</param>
    /// <param name="restore">Restores the package into the global folder; returns null on success, else why not.
    /// Default: `dotnet restore` of a throwaway project (none when $RR_PRETRAINED_NO_RESTORE=1). Tests inject a failing one.</param>
    public PretrainedPackage(string overrideDir = null, string globalPackages = null, Func<string, string> restore = null)
    {
        _override = overrideDir ?? Environment.GetEnvironmentVariable(PackageEnv);
        _globalPackages = globalPackages ?? DefaultGlobalPackages();
        _restore = restore ?? (Environment.GetEnvironmentVariable(NoRestoreEnv) == "1" ? _ => $"{NoRestoreEnv}=1" : DotnetRestore);
    }

    static string DefaultGlobalPackages()
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrWhiteSpace(env)) return env;
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    string PackageFolder => Path.Combine(_globalPackages, PackageId.ToLowerInvariant(), Version);

    /// <summary>The checked files; restores the package when it is not there yet.</summary>
    public PretrainedFiles Locate()
    {
        if (!string.IsNullOrWhiteSpace(_override))
            return FromFolder(_override) ?? throw new PretrainedUnavailableException(
                $"{PackageEnv}={_override}: holds neither {NetworkPath} nor ResNet18.onnx + ResNetPreprocess.onnx; {HowToFetch()}");
        var found = FromFolder(PackageFolder);
        if (found != null) return found;
        string why = _restore(PackageFolder);
        found = why == null ? FromFolder(PackageFolder) : null;
        return found ?? throw new PretrainedUnavailableException(
            $"pretrained:resnet18 needs NuGet package {PackageId} {Version}, which could not be restored ({why ?? $"restore left no {NetworkPath} in {PackageFolder}"}); {HowToFetch()}");
    }

    static string HowToFetch() =>
        $"download https://www.nuget.org/api/v2/package/{PackageId}/{Version}, unzip it (it is a zip) and set {PackageEnv} to that folder";

    /// <summary>Both files under <paramref name="dir"/> (package layout or flat), digests checked; null when absent.</summary>
    static PretrainedFiles FromFolder(string dir)
    {
        foreach (var (net, prep) in new[] { (NetworkPath, PreprocessPath), ("ResNet18.onnx", "ResNetPreprocess.onnx") })
        {
            string n = Path.Combine(dir, net), p = Path.Combine(dir, prep);
            if (!File.Exists(n) || !File.Exists(p)) continue;
            CheckDigest(n, NetworkSha256);
            CheckDigest(p, PreprocessSha256);
            return new PretrainedFiles(n, p);
        }
        return null;
    }

    static void CheckDigest(string path, string expected)
    {
        string actual = Sha256File(path);
        if (actual != expected)
            throw new InvalidDataException($"{path}: SHA-256 {actual}, expected {expected} ({PackageId} {Version}): a damaged or different file; delete it and fetch the package again");
    }

    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Sha256File(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }

    /// <summary>`dotnet restore` of a project whose only content is a PackageDownload of the package.</summary>
    static string DotnetRestore(string packageFolder)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rr-pretrained-restore-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(dir);
            // A TFM the running SDK surely has: the runtime we run on (restore of a PackageDownload needs no targeting pack).
            File.WriteAllText(Path.Combine(dir, "fetch.csproj"),
                $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net{Environment.Version.Major}.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageDownload Include="{PackageId}" Version="[{Version}]" /></ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />");   // shield from a parent folder's props
            File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />");
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (string.IsNullOrEmpty(dotnet) || !File.Exists(dotnet)) dotnet = "dotnet";
            var psi = new ProcessStartInfo(dotnet) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "restore", "fetch.csproj", "--nologo", "-v", "q" }) psi.ArgumentList.Add(a);
            if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") == null) psi.Environment["NUGET_PACKAGES"] = Path.GetDirectoryName(Path.GetDirectoryName(packageFolder));
            Process p;
            try { p = Process.Start(psi); }
            catch (System.ComponentModel.Win32Exception e) { return $"cannot run '{dotnet} restore': {e.Message}"; }
            using (p)
            {
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit((int)RestoreTimeout.TotalMilliseconds))
                {
                    try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    return $"dotnet restore took over {RestoreTimeout.TotalMinutes:0} min";
                }
                if (p.ExitCode == 0) return null;
                string first = (stdout.Result + "\n" + stderr.Result).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? $"exit code {p.ExitCode}";
                return $"dotnet restore: {first}";
            }
        }
        catch (IOException e) { return $"restore folder {dir}: {e.Message}"; }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
