using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Backends;

/// <summary>
/// Makes backends. The ONNX Runtime ones (ort-cpu, ort-dml, ort-cuda) are built in; gl registers itself from a
/// [ModuleInitializer] (<see cref="Gl.GlBackendFactory"/>). Thread-safe. Makers take the <see cref="LoadedModel"/>: the
/// model is inspected once, and every backend gets the same input size, mean/std and stage map from it.
/// </summary>
internal static class BackendFactory
{
    static readonly Dictionary<Backend, Func<LoadedModel, BackendOptions, IInferenceBackend>> Makers = new()
    {
        [Backend.OrtCpu] = (m, o) => CreateOrt(Backend.OrtCpu, m, o),
        [Backend.OrtDml] = (m, o) => CreateOrt(Backend.OrtDml, m, o),
        [Backend.OrtCuda] = (m, o) => CreateOrt(Backend.OrtCuda, m, o),
    };

    public static void Register(Backend backend, Func<LoadedModel, BackendOptions, IInferenceBackend> maker)
    {
        InferenceNames.Validate(backend);
        if (backend == Backend.Auto) throw new ArgumentException("auto is a choice among backends, not one to register", nameof(backend));
        ArgumentNullException.ThrowIfNull(maker);
        lock (Makers) Makers[backend] = maker;
    }

    public static bool IsRegistered(Backend backend) { lock (Makers) return Makers.ContainsKey(backend); }

    /// <summary>Throws ArgumentException for <see cref="Backend.Auto"/> (a choice, made by <see cref="Realtime.BackendChoice"/>)
    /// or a value outside the enum, NotSupportedException for a backend that is unavailable in this build.</summary>
    public static void Validate(Backend backend)
    {
        InferenceNames.Validate(backend);
        if (backend == Backend.Auto) throw new ArgumentException($"auto is resolved to a backend before one is made (BackendChoice); name one of: {string.Join(", ", InferenceNames.Backends.Skip(1))}");
        if (IsRegistered(backend)) return;
        throw new NotSupportedException($"backend '{backend.ToName()}' is not available in this build (its assembly is not loaded); set the options' Backend = Backend.OrtCpu");
    }

    public static IInferenceBackend Create(Backend backend, OnnxModel model, BackendOptions options = null) =>
        Create(backend, LoadedModel.From(model ?? throw new ArgumentNullException(nameof(model))), options);

    public static IInferenceBackend Create(Backend backend, LoadedModel model, BackendOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Validate(backend);
        Func<LoadedModel, BackendOptions, IInferenceBackend> maker;
        lock (Makers) maker = Makers[backend];
        return maker(ApplyFault(backend, model), options ?? new BackendOptions());
    }

    /// <summary>
    /// Test seam for the self-check (<see cref="BackendSelfCheck"/>): when set, every session of a backend is made from
    /// the model this returns for (backend, model) — tests perturb a weight for gl so that the real kernels compute
    /// wrong numbers. Never set outside tests. Everything that makes a session goes through <see cref="ApplyFault"/>.
    /// </summary>
    internal static Func<Backend, LoadedModel, LoadedModel> FaultForTests;

    internal static LoadedModel ApplyFault(Backend backend, LoadedModel model) =>
        FaultForTests is { } f ? f(backend, model) ?? model : model;

    static IInferenceBackend CreateOrt(Backend provider, LoadedModel loaded, BackendOptions options)
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
