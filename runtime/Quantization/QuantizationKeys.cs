// Metadata the quantizer writes (beside the rr.* keys of Models/MetadataKeys, which it keeps).
namespace ResNetRealtime.Runtime.Quantization;

internal static class QuantizationKeys
{
    /// <summary>"int8" on a quantized model; absent (float32) otherwise.</summary>
    public const string Precision = "rr.precision";
    /// <summary>JSON: {"method","percentile"(percentile only),"samples","data","head"} — the calibration recipe.</summary>
    public const string Calibration = "rr.calibration";
    public const string Int8 = "int8";

    /// <summary>Ops that only a quantized model contains.</summary>
    public static readonly HashSet<string> QuantizedOps =
    [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "ConvInteger", "QLinearMatMul",
        "MatMulInteger", "MatMulIntegerToFloat", "QLinearAdd", "QLinearMul", "QGemm", "QLinearGlobalAveragePool",
        "QLinearAveragePool", "QLinearConcat", "QLinearSigmoid", "QLinearLeakyRelu", "DynamicQuantizeMatMul",
    ];
}
