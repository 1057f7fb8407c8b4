// CalibrationRunner: runs the float model on ONNX Runtime over the calibration batches with every
// tensor to calibrate exposed as an extra graph output (Taps.AddOutputs), and feeds each tensor's
// values to its range calibrator. The graph input is observed straight from the batches.
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal static class CalibrationRunner
{
    /// <returns>Images observed.</returns>
    public static int Run(OnnxModel floatModel, string inputName, int[] chw, IReadOnlyDictionary<string, IRangeCalibrator> calibrators,
                          IEnumerable<CalibrationBatch> batches, QuantizeOptions options)
    {
        var tapNames = calibrators.Keys.Where(k => k != inputName).ToList();
        // Not Taps.AddOutputs: it reads "layer1", "stem", "pool" as stage aliases, and here every name is a tensor.
        var tapped = GraphEdit.ShallowCopy(floatModel);
        var declared = tapped.Graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in tapNames.Where(t => !declared.Contains(t)))
            tapped.Graph.Outputs.Add(new OnnxValueInfo(t, OnnxDataType.Float, null));
        var outputs = tapNames.ToArray();
        using var so = OrtBackend.MakeSessionOptions(Backend.OrtCpu, new BackendOptions { Threads = options.Threads });
        so.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        using var session = new InferenceSession(tapped.ToBytes(), so);
        using var runOptions = new RunOptions();
        var dims = session.InputMetadata[inputName].Dimensions;
        int fixedBatch = dims.Length > 0 && dims[0] > 0 ? dims[0] : 0;
        int runBatch = fixedBatch > 0 ? fixedBatch : options.RunBatch;
        int imageLen = chw[0] * chw[1] * chw[2];
        var chunk = new float[runBatch * imageLen];
        calibrators.TryGetValue(inputName, out var inputCalibrator);

        int seen = 0, batchIndex = 0;
        foreach (var b in batches)
        {
            if (seen >= options.Samples) break;
            CheckBatch(b, batchIndex++, chw);
            for (int start = 0; start < b.Count && seen < options.Samples; )
            {
                int k = Math.Min(Math.Min(runBatch, b.Count - start), options.Samples - seen);
                var rows = b.Data.AsSpan(start * imageLen, k * imageLen);
                inputCalibrator?.Observe(rows);
                rows.CopyTo(chunk);
                // A fixed-batch model runs full batches: the unused rows are zero and their outputs are not observed.
                if (fixedBatch > 0) chunk.AsSpan(k * imageLen).Clear();
                int n = fixedBatch > 0 ? fixedBatch : k;
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(chunk, 0, n * imageLen),
                    [n, chw[0], chw[1], chw[2]]);
                using var results = session.Run(runOptions, [inputName], [input], outputs);
                int i = 0;
                foreach (var r in results)
                {
                    var span = r.GetTensorDataAsSpan<float>();
                    calibrators[tapNames[i++]].Observe(span[..(span.Length / n * k)]);
                }
                start += k; seen += k;
            }
        }
        return seen;
    }

    static void CheckBatch(CalibrationBatch b, int index, int[] chw)
    {
        if (b == null) throw new ArgumentException($"calibration batch {index} is null");
        if (b.Channels != chw[0] || b.Height != chw[1] || b.Width != chw[2])
            throw new ArgumentException($"calibration batch {index} is {b.Channels}x{b.Height}x{b.Width} (CxHxW) but the model takes {chw[0]}x{chw[1]}x{chw[2]}");
        if (b.Count < 0 || b.Data == null || b.Data.LongLength < (long)b.Count * b.ImageLength)
            throw new ArgumentException($"calibration batch {index}: {b.Data?.Length ?? 0} values for {b.Count} images of {b.Channels}x{b.Height}x{b.Width} ({(long)b.Count * b.ImageLength} expected)");
    }
}
