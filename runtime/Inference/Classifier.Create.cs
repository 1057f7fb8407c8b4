using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Inference;

public sealed partial class Classifier
{
    /// <summary>Loads an .onnx file. Errors (missing, truncated, not a model) are one-line exceptions naming the file.</summary>
    public static Classifier Create(string modelPath, ClassifierOptions options = null) =>
        Create(OnnxModel.Load(Models.Pretrained.ModelSource.Resolve(modelPath)), options);

    public static Classifier Create(byte[] modelBytes, ClassifierOptions options = null) =>
        Create(OnnxModel.Parse(modelBytes), options);

    public static Classifier Create(OnnxModel model, ClassifierOptions options = null)
    {
        options ??= new ClassifierOptions();
        BackendFactory.Validate(options.Backend);
        Quantization.Int8Cache.ValidatePrecision(options.Precision);
        if (options.Precision == Quantization.Int8Cache.Int8)
        {
            Quantization.Int8Cache.RequireCpu(options.Backend);
            model = Quantization.Int8Cache.Get(model);
        }
        // Labels and mean/std from metadata (ImageNet defaults); throws one-line errors for non-image models.
        var info = ModelInspector.Inspect(model);
        var backend = BackendFactory.Create(options.Backend, model, new BackendOptions
        {
            Threads = options.Threads, Taps = options.Taps ?? Array.Empty<string>(), MaxBatch = options.MaxBatch, DeviceId = options.DeviceId,
        });
        try
        {
            bool normOk = info.Mean != null && info.Std != null && info.Mean.Length == backend.Channels && info.Std.Length == backend.Channels;
            return new Classifier(backend, options, info.Labels, normOk ? info.Mean : null, normOk ? info.Std : null);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }
}
