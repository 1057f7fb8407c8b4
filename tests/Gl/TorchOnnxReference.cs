using ResNetRealtime.Runtime.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// Evaluates the ResNet subset of an ONNX graph (Conv, BatchNormalization, Relu, Add, MaxPool, GlobalAveragePool,
/// Flatten, Gemm with transB) node by node with PyTorch's own kernels through TorchSharp (libtorch CPU), in float32,
/// as the independent reference: neither ONNX Runtime nor our GLSL. Returns every node output by name.
/// </summary>
static class TorchOnnxReference
{
    public static Dictionary<string, float[]> Run(OnnxModel model, float[] input, int batch)
    {
        var g = model.Graph;
        var inShape = g.RealInputs()[0].ShapeOrMinusOne();
        using var scope = NewDisposeScope();
        var v = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in g.Initializers) v[t.Name] = tensor(t.ToFloatArray(), t.Dims);
        v[g.RealInputs()[0].Name] = tensor(input, new long[] { batch, inShape[1], inShape[2], inShape[3] });
        long[] Ints(OnnxNode n, string name, params long[] fallback) => n.GetInts(name)?.ToArray() ?? fallback;
        foreach (var n in g.Nodes)
        {
            Tensor x = v[n.Inputs[0]];
            Tensor y = n.OpType switch
            {
                "Conv" => nn.functional.conv2d(x, v[n.Inputs[1]], n.Inputs.Count > 2 ? v[n.Inputs[2]] : null,
                    strides: Ints(n, "strides", 1, 1), padding: Symmetric(n, Ints(n, "pads", 0, 0, 0, 0)), dilation: Ints(n, "dilations", 1, 1), groups: n.GetInt("group", 1)),
                "BatchNormalization" => nn.functional.batch_norm(x, v[n.Inputs[3]], v[n.Inputs[4]], v[n.Inputs[1]], v[n.Inputs[2]],
                    training: false, eps: n.GetFloat("epsilon", 1e-5f)),
                "Relu" => nn.functional.relu(x),
                "Add" => x + v[n.Inputs[1]],
                "MaxPool" => nn.functional.max_pool2d(x, Ints(n, "kernel_shape"), Ints(n, "strides", 1, 1), Symmetric(n, Ints(n, "pads", 0, 0, 0, 0))),
                "GlobalAveragePool" => nn.functional.adaptive_avg_pool2d(x, new long[] { 1, 1 }),
                "Flatten" => x.flatten(1),
                "Gemm" when n.GetInt("transB", 0) == 1 => nn.functional.linear(x, v[n.Inputs[1]], v[n.Inputs[2]]),
                _ => throw new NotSupportedException($"torch reference: {n.OpType} (node '{n.Name}')"),
            };
            v[n.Outputs[0]] = y;
        }
        return g.Nodes.ToDictionary(n => n.Outputs[0], n => v[n.Outputs[0]].contiguous().data<float>().ToArray(), StringComparer.Ordinal);
    }

    static long[] Symmetric(OnnxNode n, long[] pads)
    {
        if (pads.Length != 4 || pads[0] != pads[2] || pads[1] != pads[3])
            throw new NotSupportedException($"torch reference: node '{n.Name}' has asymmetric pads [{string.Join(", ", pads)}]");
        return new[] { pads[0], pads[1] };
    }
}
