using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Inference;

public sealed partial class Classifier
{
    /// <summary>Loads an .onnx file. Errors (missing, truncated, not a model) are one-line exceptions naming the file.</summary>
    public static Classifier Create(string modelPath, ClassifierOptions options = null) =>
        Create(LoadedModel.Load(Models.Pretrained.ModelSource.Resolve(modelPath)), options);

    public static Classifier Create(byte[] modelBytes, ClassifierOptions options = null) =>
        Create(LoadedModel.FromBytes(modelBytes), options);

    public static Classifier Create(OnnxModel model, ClassifierOptions options = null) =>
        Create(LoadedModel.From(model), options);

    /// <summary>
    /// A classifier over a loaded model: labels, mean/std and the head kind come from the model object
    /// (its metadata, else documented defaults); a feature extractor gets no softmax/top-k.
    /// </summary>
    public static Classifier Create(LoadedModel model, ClassifierOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ClassifierOptions();
        BackendFactory.Validate(options.Backend);
        Quantization.Int8Cache.ValidatePrecision(options.Precision);
        if (options.Precision == Quantization.Int8Cache.Int8)
        {
            Quantization.Int8Cache.RequireCpu(options.Backend);
            var q = Quantization.Int8Cache.Get(model.Onnx);
            if (!ReferenceEquals(q, model.Onnx)) model = LoadedModel.From(q, model.Source);
        }
        var info = model.Info;
        var backend = BackendFactory.Create(options.Backend, model, new BackendOptions
        {
            Threads = options.Threads, Taps = options.Taps ?? Array.Empty<string>(), MaxBatch = options.MaxBatch, DeviceId = options.DeviceId,
        });
        try
        {
            bool normOk = info.Mean.Length == backend.Channels && info.Std.Length == backend.Channels;
            return new Classifier(backend, options, info.Labels, normOk ? info.Mean : null, normOk ? info.Std : null, info.Head);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }
}
