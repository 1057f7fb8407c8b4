using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends;

/// <summary>
/// Backends by name. The ONNX Runtime ones ("ort-cpu", "ort-dml", "ort-cuda") are built in; others
/// register themselves (the GL backend registers "gl" from a [ModuleInitializer] in its assembly).
/// Thread-safe. Makers take the <see cref="LoadedModel"/>: the model is inspected once, and every backend
/// gets the same input size, mean/std and stage map from it.
/// </summary>
public static class BackendFactory
{
    /// <summary>Every name the project knows, registered or not.</summary>
    public static readonly IReadOnlyList<string> KnownNames = new[] { OrtBackend.Cpu, OrtBackend.Dml, OrtBackend.Cuda, "gl" };

    static readonly Dictionary<string, Func<LoadedModel, BackendOptions, IInferenceBackend>> Makers = new(StringComparer.Ordinal)
    {
        [OrtBackend.Cpu] = (m, o) => CreateOrt(OrtBackend.Cpu, m, o),
        [OrtBackend.Dml] = (m, o) => CreateOrt(OrtBackend.Dml, m, o),
        [OrtBackend.Cuda] = (m, o) => CreateOrt(OrtBackend.Cuda, m, o),
    };

    public static void Register(string name, Func<LoadedModel, BackendOptions, IInferenceBackend> maker)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(maker);
        lock (Makers) Makers[name] = maker;
    }

    public static bool IsRegistered(string name) { lock (Makers) return Makers.ContainsKey(name); }

    /// <summary>Throws ArgumentException for an unknown name, NotSupportedException for a known one that is unavailable here.</summary>
    public static void Validate(string name)
    {
        if (IsRegistered(name)) return;
        if (!KnownNames.Contains(name))
        {
            string[] all;
            lock (Makers) all = KnownNames.Union(Makers.Keys).ToArray();
            throw new ArgumentException($"unknown backend '{name}'; one of: {string.Join(", ", all)}");
        }
        throw new NotSupportedException($"backend '{name}' is not available in this build (its assembly is not loaded); use --backend ort-cpu");
    }

    public static IInferenceBackend Create(string name, OnnxModel model, BackendOptions options = null) =>
        Create(name, LoadedModel.From(model ?? throw new ArgumentNullException(nameof(model))), options);

    public static IInferenceBackend Create(string name, LoadedModel model, BackendOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Validate(name);
        Func<LoadedModel, BackendOptions, IInferenceBackend> maker;
        lock (Makers) maker = Makers[name];
        return maker(ApplyFault(name, model), options ?? new BackendOptions());
    }

    /// <summary>
    /// Test seam for the self-check (<see cref="BackendSelfCheck"/>): when set, every session of a backend is made from
    /// the model this returns for (backend name, model) — tests perturb a weight for "gl" so that the real kernels compute
    /// wrong numbers. Never set outside tests. Everything that makes a session goes through <see cref="ApplyFault"/>.
    /// </summary>
    internal static Func<string, LoadedModel, LoadedModel> FaultForTests;

    internal static LoadedModel ApplyFault(string backend, LoadedModel model) =>
        FaultForTests is { } f ? f(backend, model) ?? model : model;

    static IInferenceBackend CreateOrt(string provider, LoadedModel loaded, BackendOptions options)
    {
        // Fail on the provider before paying for graph surgery and serialisation.
        OrtBackend.MakeSessionOptions(provider, options).Dispose();
        var model = loaded.Onnx;
        GraphValidator.Validate(model);   // same checks and messages as gl (GlNetworkBuilder), before ORT sees it
        var info = loaded.Info;
        var taps = options.Taps ?? Array.Empty<string>();
        var (withTaps, tapOutputs) = taps.Count == 0 ? (model, Array.Empty<string>()) : Taps.AddOutputs(model, taps);
        // Where the graph's H/W are symbolic, the inspector's size (rr.input_size metadata, else 224) is bound.
        return new OrtBackend(provider, withTaps.ToBytes(), options, taps, tapOutputs,
                              new[] { info.Channels, info.InputHeight, info.InputWidth });
    }
}
