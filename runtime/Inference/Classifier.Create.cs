using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Inference;

public sealed partial class Classifier
{
    /// <summary>Loads an .onnx file. Errors (missing, truncated, not a model) are one-line exceptions naming the file.</summary>
    public static Classifier Create(string modelPath, ClassifierOptions options = null) =>
        Create(OnnxModel.Load(modelPath), options);

    public static Classifier Create(byte[] modelBytes, ClassifierOptions options = null) =>
        Create(OnnxModel.Parse(modelBytes), options);

    public static Classifier Create(OnnxModel model, ClassifierOptions options = null)
    {
        options ??= new ClassifierOptions();
        BackendFactory.Validate(options.Backend);
        var facts = ModelFacts.Read(model);
        var backend = BackendFactory.Create(options.Backend, model, new BackendOptions
        {
            Threads = options.Threads, Taps = options.Taps ?? Array.Empty<string>(), MaxBatch = options.MaxBatch, DeviceId = options.DeviceId,
        });
        try
        {
            if (facts.Mean != null && facts.Mean.Length != backend.Channels) facts = facts with { Mean = null, Std = null };
            return new Classifier(backend, options, facts.Labels, facts.Mean, facts.Std);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }
}
