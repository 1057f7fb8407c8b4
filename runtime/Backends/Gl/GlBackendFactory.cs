using System.Runtime.CompilerServices;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>Registers <see cref="Backend.Gl"/> with <see cref="BackendFactory"/> when the runtime assembly loads, and builds
/// a <see cref="GlBackend"/> from an ONNX model + <see cref="BackendOptions"/>.</summary>
internal static class GlBackendFactory
{
#pragma warning disable CA2255 // a library module initializer is the registration mechanism BackendFactory documents
    [ModuleInitializer]
    internal static void Register() => BackendFactory.Register(Backend.Gl, (m, o) => Create(m, o));
#pragma warning restore CA2255

    /// <summary>
    /// The factory path: own headless context (or <paramref name="context"/>), taps resolved to tensor names
    /// as on every backend (<see cref="ResolveTap"/>).
    /// Threads and DeviceId do not apply (the GPU is the one EGL picks: Mesa surfaceless, else the first device).
    /// </summary>
    public static GlBackend Create(OnnxModel model, BackendOptions options, Gl.GlBackendOptions glOptions = null) =>
        Create(LoadedModel.From(model ?? throw new ArgumentNullException(nameof(model))), options, glOptions);

    /// <summary>As above; mean/std (unless glOptions sets them) come from the model object, as on every backend.</summary>
    public static GlBackend Create(LoadedModel loaded, BackendOptions options, Gl.GlBackendOptions glOptions = null)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var model = loaded.Onnx;
        options ??= new BackendOptions();
        var requested = options.Taps ?? Array.Empty<string>();
        var taps = Models.Taps.Resolve(model, requested);
        var net = GlNetworkBuilder.Build(model, taps);
        var o = glOptions ?? new GlBackendOptions();
        return new GlBackend(net, new GlBackendOptions
        {
            Context = o.Context, MaxBatch = Math.Max(options.MaxBatch, 1), Taps = taps, TapNames = requested.ToArray(), TopK = o.TopK, Cam = o.Cam,
            MaxInFlight = o.MaxInFlight, CheckErrors = o.CheckErrors, ShaderCacheDirectory = o.ShaderCacheDirectory,
            // GL preprocessing takes 1 or 3 channels; for other counts it refuses any mean/std, so pass none.
            Mean = o.Mean ?? (loaded.Channels is 1 or 3 ? loaded.Mean : null),
            Std = o.Std ?? (loaded.Channels is 1 or 3 ? loaded.Std : null), CropRatio = o.CropRatio,
            RestoreHostState = o.RestoreHostState,
        });
    }

    /// <summary>The tensor a tap name stands for, resolved as on every backend (<see cref="Models.Taps.Resolve(OnnxModel, string)"/>):
    /// "stem", "layer1".."layerK", "pool", or a node output / the graph input by its exact name.</summary>
    public static string ResolveTap(OnnxModel model, string tap) => Models.Taps.Resolve(model, tap);
}
