using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>Registers "gl" with <see cref="BackendFactory"/> when the runtime assembly loads, and builds
/// a <see cref="GlBackend"/> from an ONNX model + <see cref="BackendOptions"/>.</summary>
public static class GlBackendFactory
{
    public const string Name = "gl";

#pragma warning disable CA2255 // a library module initializer is the registration mechanism BackendFactory documents
    [ModuleInitializer]
    internal static void Register() => BackendFactory.Register(Name, (m, o) => Create(m, o));
#pragma warning restore CA2255

    /// <summary>
    /// The factory path: own headless context (or <paramref name="context"/>), taps resolved to tensor names
    /// (node output names, or stage names "layer1".."layer4" = the last output inside that stage).
    /// Threads and DeviceId do not apply (the GPU is the one EGL picks: Mesa surfaceless, else the first device).
    /// </summary>
    public static GlBackend Create(OnnxModel model, BackendOptions options, Gl.GlBackendOptions glOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new BackendOptions();
        var taps = (options.Taps ?? Array.Empty<string>()).Select(t => ResolveTap(model, t)).ToArray();
        var net = GlNetworkBuilder.Build(model, taps);
        var o = glOptions ?? new GlBackendOptions();
        // Mean/std from the one metadata reader ORT's factory uses too, so a corrupt or half-given rr.mean/rr.std is
        // refused by both (the fuzzer found gl silently falling back to ImageNet's) and defaults agree.
        // Without metadata gl keeps its own defaults (GlBackendOptions.Mean/Std), which its preprocessing tests pin.
        var info = o.Mean == null || o.Std == null ? ModelInspector.Inspect(model) : null;
        var fromMetadata = info?.NormalizationSource == ValueSource.Metadata ? info : null;
        return new GlBackend(net, new GlBackendOptions
        {
            Context = o.Context, MaxBatch = Math.Max(options.MaxBatch, 1), Taps = taps, TopK = o.TopK, Cam = o.Cam,
            MaxInFlight = o.MaxInFlight, CheckErrors = o.CheckErrors, ShaderCacheDirectory = o.ShaderCacheDirectory,
            Mean = o.Mean ?? fromMetadata?.Mean, Std = o.Std ?? fromMetadata?.Std, CropRatio = o.CropRatio,
        });
    }

    /// <summary>A node output (or the graph input) name as is; "layerK" → the output of the last node whose name or output sits in stage K.</summary>
    public static string ResolveTap(OnnxModel model, string tap)
    {
        var g = model.Graph;
        if (g.Nodes.Any(n => n.Outputs.Contains(tap)) || g.RealInputs().Any(i => i.Name == tap)) return tap;
        var m = Regex.Match(tap, @"^layer(\d+)$");
        if (m.Success)
        {
            var re = new Regex($@"(^|[/._]){Regex.Escape(tap)}([/._]|$)");
            var last = g.Nodes.LastOrDefault(n => re.IsMatch(n.Name ?? "") || n.Outputs.Any(re.IsMatch));
            if (last != null) return last.Outputs[0];
        }
        throw new ArgumentException($"tap '{tap}' is neither a node output of the model nor a stage name (layer1..layer4) found in it");
    }
}
