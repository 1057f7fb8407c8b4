// ModelSource: the one place a model argument is turned into a file. "pretrained:NAME" names a
// network the project fetches and converts (PretrainedCache); anything else is a path and comes back
// unchanged. Every consumer (infer, bench --models, demo --model, train --init-from, Classifier.Create)
// calls Resolve once where it reads the argument, so the name works everywhere a path does.
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Models;
namespace ResNetRealtime.Tools.Pretrained;

public static class ModelSource
{
    public const string Prefix = "pretrained:";
    public static readonly IReadOnlyList<string> Names = ["resnet18"];

    public static bool IsPretrained(string pathOrName) =>
        pathOrName != null && pathOrName.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A path to an ONNX file. Unknown pretrained names: ArgumentException listing the known ones;
    /// an unavailable package: <see cref="PretrainedUnavailableException"/> (one line, what to fetch).
    /// Conversion messages (first use only) go to <paramref name="log"/>, by default stderr.
    /// </summary>
    public static string Resolve(string pathOrName, Action<string> log = null)
    {
        if (!IsPretrained(pathOrName)) return pathOrName;
        string name = pathOrName[Prefix.Length..].Trim().ToLowerInvariant();
        if (!Names.Contains(name))
            throw new ArgumentException($"unknown pretrained model '{pathOrName}': known are {string.Join(", ", Names.Select(n => Prefix + n))}");
        return new PretrainedCache().Get(log ?? Console.Error.WriteLine);
    }
}
