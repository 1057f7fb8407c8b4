// PretrainedCache: converts the pretrained network once and keeps the result.
//
// Layout: DIR/resnet18.onnx and DIR/resnet18.onnx.sha256, DIR = $RR_PRETRAINED_CACHE or
// LocalApplicationData/resnet-realtime/pretrained. The sidecar is one line,
//   "<sha256 of resnet18.onnx> converter=<PretrainedConverter.Version> source=<sha256 of ResNet18.onnx>",
// written after the model, both through AtomicFile. A cached model is used only when the sidecar parses,
// names this converter version and the pinned source, and the file's digest equals the sidecar's; anything
// else (missing, truncated, edited, an older converter) is converted again, never trusted.
// Concurrent processes may both convert; each rename is atomic and the bytes are the same.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Models;
using System.Globalization;
using ResNetRealtime.Runtime.IO;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tools.Pretrained;

public sealed class PretrainedCache
{
    public const string CacheEnv = "RR_PRETRAINED_CACHE";
    public const string FileName = "resnet18.onnx";

    readonly PretrainedPackage _package;
    static readonly object Gate = new();   // one conversion per process at a time (it holds ~200 MB while it runs)

    public PretrainedCache(string directory = null, PretrainedPackage package = null)
    {
        Directory = directory ?? DefaultDirectory();
        _package = package ?? new PretrainedPackage();
    }

    public string Directory { get; }
    public string ModelPath => Path.Combine(Directory, FileName);
    string SidecarPath => ModelPath + ".sha256";

    public static string DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable(CacheEnv);
        return !string.IsNullOrWhiteSpace(env) ? Path.GetFullPath(env)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "resnet-realtime", "pretrained");
    }

    /// <summary>Why the cached model cannot be used, or null when it can.</summary>
    public string Check()
    {
        if (!File.Exists(ModelPath)) return "not converted yet";
        if (!File.Exists(SidecarPath)) return $"{SidecarPath} is missing";
        var parts = File.ReadAllText(SidecarPath).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !parts[1].StartsWith("converter=") || !parts[2].StartsWith("source="))
            return $"{SidecarPath} is not '<sha256> converter=N source=<sha256>'";
        if (parts[1] != $"converter={PretrainedConverter.Version.ToString(CultureInfo.InvariantCulture)}") return $"made by {parts[1]}, this is converter={PretrainedConverter.Version}";
        if (parts[2] != $"source={PretrainedPackage.NetworkSha256}") return $"converted from another source ({parts[2]})";
        string actual = PretrainedPackage.Sha256File(ModelPath);
        return actual == parts[0] ? null : $"{FileName} has SHA-256 {actual}, the sidecar says {parts[0]}";
    }

    /// <summary>Path of a usable converted model: the cached one, or a fresh conversion. <paramref name="log"/> hears why it converts.</summary>
    public string Get(Action<string> log = null)
    {
        lock (Gate)
        {
            string why = Check();
            if (why == null) return ModelPath;
            log?.Invoke($"pretrained:resnet18: converting ({why}) into {Directory}");
            var files = _package.Locate();
            var converted = PretrainedConverter.Convert(OnnxModel.Load(files.Network), OnnxModel.Load(files.Preprocess), Path.GetFileName(files.Network));
            System.IO.Directory.CreateDirectory(Directory);
            AtomicFile.RemoveStaleTemps(Directory);
            converted.Save(ModelPath);
            string digest = PretrainedPackage.Sha256File(ModelPath);
            AtomicFile.WriteAllText(SidecarPath, $"{digest} converter={PretrainedConverter.Version.ToString(CultureInfo.InvariantCulture)} source={PretrainedPackage.NetworkSha256}\n");
            return ModelPath;
        }
    }
}
