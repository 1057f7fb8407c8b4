// Top1: the predicted class of every image, by ONNX Runtime on the CPU — what the int8-vs-float32
// agreement (and, with labels, the accuracy) of a quantized model is measured with.
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;

namespace ResNetRealtime.Runtime.Quantization;

internal static class Top1
{
    /// <summary>Argmax of the model's first output for each image of the batches, in order.</summary>
    public static int[] Predict(byte[] modelBytes, IEnumerable<CalibrationBatch> batches, int threads = 1)
    {
        using var so = OrtBackend.MakeSessionOptions(Backend.OrtCpu, new BackendOptions { Threads = threads });
        so.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        using var session = new InferenceSession(modelBytes, so);
        using var runOptions = new RunOptions();
        string input = session.InputNames[0];
        string[] output = [session.OutputNames[0]];
        var dims = session.InputMetadata[input].Dimensions;
        int step = dims[0] > 0 ? dims[0] : int.MaxValue;
        var top = new List<int>();
        Span<int> best = stackalloc int[1];
        foreach (var b in batches)
        {
            for (int start = 0; start < b.Count; start += Math.Min(step, b.Count))
            {
                int n = Math.Min(step, b.Count - start);
                if (dims[0] > 0 && n != dims[0]) throw new ArgumentException($"the model has a fixed batch of {dims[0]}; batches must be multiples of it (got {b.Count})");
                using var x = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                    new Memory<float>(b.Data, start * b.ImageLength, n * b.ImageLength), [n, b.Channels, b.Height, b.Width]);
                using var r = session.Run(runOptions, [input], [x], output);
                var logits = r[0].GetTensorDataAsSpan<float>();
                int classes = logits.Length / n;
                for (int i = 0; i < n; i++)
                {
                    var row = logits.Slice(i * classes, classes);
                    Evaluation.Predictor.TopIndices(row, best);
                    top.Add(best[0]);
                }
            }
        }
        return [.. top];
    }
}
