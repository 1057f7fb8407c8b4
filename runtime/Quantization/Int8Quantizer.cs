// Int8Quantizer: static QDQ quantization of a float32 ONNX classifier, no Python:
//   1. refuse a model that is already quantized; check the calibration images fit its input;
//   2. fold BatchNorm into Conv (BatchNormFolder);
//   3. place Q/DQ where ORT fuses int8 kernels (QdqPlan);
//   4. calibrate: run the float model on ORT over the caller's batches, one range per tensor (CalibrationRunner);
//   5. write int8 weights, int32 biases and the Q/DQ pairs (QdqRewriter); keep every metadata entry,
//      add rr.precision=int8 and rr.calibration.
// The caller supplies preprocessed float32 NCHW batches; the runtime reads no data sets itself.
using System.Text.Json;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal static class Int8Quantizer
{
    public static QuantizeResult Quantize(OnnxModel model, IEnumerable<CalibrationBatch> batches, QuantizeOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        options ??= new QuantizeOptions();
        options.Validate();
        RefuseQuantized(model);
        var (inputName, chw) = Input(model);

        var (folded, foldedCount) = BatchNormFolder.Fold(model);
        var plan = QdqPlan.Make(folded.Graph, options.QuantizeHead);
        if (plan.Quantized.Count == 0)
            throw new InvalidDataException($"nothing to quantize: no Conv, Add, Gemm or MatMul the quantizer can place (ops: {Summary(OpCounts(model))})");

        var calibrators = plan.Calibrated.ToDictionary(t => t, _ => RangeCalibrators.Create(options.Method, options.Percentile), StringComparer.Ordinal);
        int seen = CalibrationRunner.Run(folded, inputName, chw, calibrators, batches, options);
        if (seen == 0) throw new ArgumentException($"the calibration set is empty: no images to calibrate the {calibrators.Count} activations of the model");

        var ranges = calibrators.ToDictionary(kv => kv.Key, kv => kv.Value.Range(), StringComparer.Ordinal);
        var quant = ranges.ToDictionary(kv => kv.Key, kv => ActivationQuant.FromRange(kv.Value.Min, kv.Value.Max), StringComparer.Ordinal);
        QdqRewriter.Apply(folded, plan, quant);

        folded.SetMetadata(QuantizationKeys.Precision, QuantizationKeys.Int8);
        folded.SetMetadata(QuantizationKeys.Calibration, Recipe(options, seen));
        return new QuantizeResult
        {
            Model = folded, FoldedBatchNorms = foldedCount, QuantizedNodes = plan.Quantized.Count, CalibratedTensors = calibrators.Count,
            UnknownFloatOps = plan.FloatOps, FloatHeadOps = plan.FloatHeadOps, SamplesUsed = seen, Ranges = ranges,
        };
    }

    /// <summary>True when the model carries rr.precision=int8 or any quantization op.</summary>
    public static bool IsQuantized(OnnxModel model) =>
        model.GetMetadata(QuantizationKeys.Precision) == QuantizationKeys.Int8 || model.Graph.Nodes.Any(n => QuantizationKeys.QuantizedOps.Contains(n.OpType));

    static void RefuseQuantized(OnnxModel model)
    {
        if (!IsQuantized(model)) return;
        var ops = OpCounts(model).Where(kv => QuantizationKeys.QuantizedOps.Contains(kv.Key)).ToList();
        string precision = model.GetMetadata(QuantizationKeys.Precision);
        throw new InvalidOperationException("the model is already quantized" +
            (precision != null ? $" ({QuantizationKeys.Precision}={precision})" : "") +
            (ops.Count > 0 ? $": it has {string.Join(", ", ops.Select(kv => $"{kv.Value} {kv.Key}"))}" : "") +
            "; quantize the float32 model instead");
    }

    /// <summary>The single float32 NCHW input with fixed C, H, W (rr.input_size fills symbolic H/W).</summary>
    static (string Name, int[] Chw) Input(OnnxModel model)
    {
        var inputs = model.Graph.RealInputs();
        if (inputs.Count != 1)
            throw new InvalidDataException($"the model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); the quantizer takes one image input");
        var input = inputs[0];
        var shape = input.ShapeOrMinusOne();
        if (input.ElemType != OnnxDataType.Float || shape == null || shape.Length != 4)
            throw new InvalidDataException($"model input {input}: a float32 NCHW input is expected");
        // rr.input_size is read by its one reader, ModelInspector; only a size the metadata gave counts here.
        var info = Models.ModelInspector.Inspect(model);
        bool meta = info.InputSizeSource == Models.ValueSource.Metadata;
        int Dim(int i, int fallback) => shape[i] > 0 ? (int)shape[i]
            : fallback > 0 ? fallback : throw new InvalidDataException($"model input {input}: dimension {i} is symbolic and the metadata has no {Models.MetadataKeys.InputSize}");
        return (input.Name, [Dim(1, 0), Dim(2, meta ? info.InputHeight : 0), Dim(3, meta ? info.InputWidth : 0)]);
    }

    static string Recipe(QuantizeOptions o, int samples)
    {
        var d = new Dictionary<string, object> { ["method"] = RangeCalibrators.Name(o.Method) };
        if (o.Method == CalibrationMethod.Percentile) d["percentile"] = o.Percentile;
        d["samples"] = samples;
        d["data"] = o.DataDescription ?? "caller-supplied batches";
        d["head"] = o.QuantizeHead ? "int8" : "float32";
        return JsonSerializer.Serialize(d, Models.RuntimeJson.Default.DictionaryStringObject);
    }

    internal static SortedDictionary<string, int> OpCounts(OnnxModel m)
    {
        var d = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in m.Graph.Nodes) d[n.OpType] = d.GetValueOrDefault(n.OpType) + 1;
        return d;
    }

    internal static string Summary(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(kv => $"{kv.Value} {kv.Key}"));
}
