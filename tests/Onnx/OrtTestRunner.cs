// Test helper: runs model bytes through ONNX Runtime (CPU) directly, without the project's inference
// layer, so the ONNX tests check our writer against the real consumer and nothing else.
using Microsoft.ML.OnnxRuntime;

namespace ResNetRealtime.Tests.Onnx;

internal static class OrtTestRunner
{
    public sealed record Output(float[] Data, long[] Shape);

    public static Dictionary<string, Output> Run(byte[] model, string inputName, float[] input, long[] shape, params string[] outputNames)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        if (outputNames.Length == 0) outputNames = [.. session.OutputNames];
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], outputNames);
        var dict = new Dictionary<string, Output>();
        for (int i = 0; i < outputNames.Length; i++)
        {
            var r = results.ElementAt(i);
            dict[outputNames[i]] = new Output(r.GetTensorDataAsSpan<float>().ToArray(), r.GetTensorTypeAndShape().Shape);
        }
        return dict;
    }
}
