// FusionCheck: what ONNX Runtime really runs. It lets ORT optimise the model (level ALL, CPU EP,
// as OrtBackend does), writes the optimised graph (SessionOptions.OptimizedModelFilePath), reads it
// back with our own ONNX reader and counts op types: int8 kernels against float convolutions left
// over. A Q/DQ placement that ORT does not fuse shows up here as Conv / FusedConv instead of QLinearConv.
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Runtime.Quantization;

internal sealed record FusionCounts(IReadOnlyDictionary<string, int> Ops)
{
    /// <summary>Kernels that compute in int8 (ORT CPU, x64; NHWC variants share the op names).</summary>
    public static readonly string[] Int8Kernels =
    [
        "QLinearConv", "ConvInteger", "QLinearAdd", "QLinearMul", "QGemm", "QLinearMatMul", "MatMulInteger", "MatMulIntegerToFloat",
        "DynamicQuantizeMatMul", "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearConcat", "QLinearSigmoid", "QLinearLeakyRelu",
    ];
    /// <summary>Float convolutions ORT may produce: plain, fused with an activation, or blocked NCHWc.</summary>
    public static readonly string[] FloatConvs = ["Conv", "FusedConv", "NhwcFusedConv"];

    public int Int8Total => Int8Kernels.Sum(Count);
    public int Int8Convs => Count("QLinearConv") + Count("ConvInteger");
    public int FloatConvsLeft => FloatConvs.Sum(Count);
    public int Count(string op) => Ops.GetValueOrDefault(op);

    /// <summary>"QLinearConv 20, QLinearAdd 9, …" for the int8 kernels present; float convs; Q/DQ left.</summary>
    public override string ToString() =>
        $"int8 kernels: {Join(Int8Kernels)}; float32 convs left: {FloatConvsLeft}; " +
        $"QuantizeLinear {Count("QuantizeLinear")}, DequantizeLinear {Count("DequantizeLinear")}";

    string Join(IEnumerable<string> ops)
    {
        var present = ops.Where(o => Count(o) > 0).Select(o => $"{o} {Count(o)}").ToList();
        return present.Count == 0 ? "none" : string.Join(", ", present);
    }
}

internal static class FusionCheck
{
    /// <summary>Op counts of the graph ORT builds from <paramref name="modelBytes"/> on the CPU EP.</summary>
    public static FusionCounts Analyze(byte[] modelBytes, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        string dir = Directory.CreateTempSubdirectory("rr-fusion-").FullName;
        try
        {
            string path = Path.Combine(dir, "optimized.onnx");
            using (var so = OrtBackend.MakeSessionOptions(Backend.OrtCpu, new BackendOptions { Threads = threads }))
            {
                so.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
                so.OptimizedModelFilePath = path;
                using var session = new InferenceSession(modelBytes, so);
            }
            var optimized = OnnxModel.Load(path);
            var ops = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var n in optimized.Graph.Nodes) ops[n.OpType] = ops.GetValueOrDefault(n.OpType) + 1;
            return new FusionCounts(ops);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
