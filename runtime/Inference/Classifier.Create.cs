#nullable enable
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Runtime.Inference;

public sealed partial class Classifier
{
    /// <summary>Loads an .onnx file. Errors (missing, truncated, not a model) are one-line exceptions naming the file.</summary>
    public static Classifier Create(string modelPath, ClassifierOptions? options = null) =>
        Create(LoadedModel.Load(modelPath), options);

    public static Classifier Create(byte[] modelBytes, ClassifierOptions? options = null) =>
        Create(LoadedModel.FromBytes(modelBytes), options);

    internal static Classifier Create(OnnxModel model, ClassifierOptions? options = null) =>
        Create(LoadedModel.From(model), options);

    /// <summary>
    /// A classifier over a loaded model: labels, mean/std and the head kind come from the model object
    /// (its metadata, else documented defaults); a feature extractor gets no softmax/top-k.
    /// A GPU backend (gl, ort-dml, ort-cuda) first passes its self-check (<see cref="InferenceOptions.SelfCheck"/>);
    /// <see cref="Runtime.Backend.Auto"/> (the default) tries <see cref="BackendChoice.AutoOrder"/>, judging gl on a probe
    /// context of its own, and says in <see cref="Choice"/> what ran and why.
    /// </summary>
    internal static Classifier Create(LoadedModel model, ClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ClassifierOptions();
        var requested = options.Backend;
        InferenceNames.Validate(requested);
        if (requested != Runtime.Backend.Auto) BackendFactory.Validate(requested);
        InferenceNames.Validate(options.Precision);
        if (options.Precision == Precision.Int8)
        {
            // int8 runs on ort-cpu only: auto resolves to it without trying the GPU backends.
            if (requested == Runtime.Backend.Auto) requested = Runtime.Backend.OrtCpu;
            Quantization.Int8Cache.RequireCpu(requested);
            var q = Quantization.Int8Cache.Get(model.Onnx);
            if (!ReferenceEquals(q, model.Onnx)) model = LoadedModel.From(q, model.Source);
        }
        var candidates = requested == Runtime.Backend.Auto ? AutoCandidates() : new[] { new BackendChoice(requested, requested, null) };
        var (clf, choice) = BackendChoice.FirstThatWorks(candidates, c => CreateOn(model, c.Chosen, options));
        clf.Choice = choice;
        return clf;
    }

    /// <summary>What "auto" tries without a host context: the GL candidate is judged on a probe context of our own, made
    /// and dropped on a thread of its own so that a context current on the caller's thread stays current.</summary>
    static IReadOnlyList<BackendChoice> AutoCandidates()
    {
        const Runtime.Backend Auto = Runtime.Backend.Auto;
        if (!BackendFactory.IsRegistered(Runtime.Backend.Gl))
            return BackendChoice.CandidatesWithoutGl(Auto, "the gl backend is not in this build");
        var probe = Task.Factory.StartNew(() =>
        {
            try
            {
                using var ctx = Gl.GlContext.CreateHeadless();
                return (ctx.SupportsCompute, (string?)ctx.Renderer, (string?)ctx.Version, (string?)null);
            }
            catch (Exception e) when (e is Gl.GlException or DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException)
            {
                return (false, (string?)null, (string?)null, (string?)e.Message);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!probe.Wait(30_000)) return BackendChoice.CandidatesWithoutGl(Auto, "no OpenGL context within 30 s");
        var (compute, renderer, version, error) = probe.Result;
        return error != null ? BackendChoice.CandidatesWithoutGl(Auto, $"no OpenGL context for gl ({error})")
                             : BackendChoice.Candidates(Auto, compute, renderer!, version!); // both set when error is null
    }

    static Classifier CreateOn(LoadedModel model, Runtime.Backend kind, ClassifierOptions options)
    {
        BackendFactory.Validate(kind);
        var info = model.Info;
        var backend = BackendFactory.Create(kind, model, options.ToBackendOptions());
        try
        {
            var check = options.SelfCheck && BackendSelfCheck.Applies(kind) ? BackendSelfCheck.Require(model, backend, options.DeviceId) : null;
            bool normOk = info.Mean.Length == backend.Channels && info.Std.Length == backend.Channels;
            return new Classifier(backend, options, info.Labels, normOk ? info.Mean : null, normOk ? info.Std : null, info.Head) { SelfCheck = check };
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The self-check the backend passed (<see cref="BackendSelfCheck"/>); null for ort-cpu (the reference), with
    /// <see cref="InferenceOptions.SelfCheck"/> off, or for a classifier made around a backend by its constructor.</summary>
    public SelfCheckResult? SelfCheck { get; private init; }

    /// <summary>What was asked and what runs, with the reason when they differ ("auto" resolved, refusals on the way);
    /// for a classifier made by its constructor, the backend as given.</summary>
    public BackendChoice Choice { get; private set; }
}
