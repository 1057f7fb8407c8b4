using ResNetRealtime.Runtime.Gl;
using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>FullyConnected (shaders/fc.comp): y[n,o] = bias[o] + Σ W[o,i]·x[n,i] (ReLU), one workgroup per output value.
/// Weights [Out][In], rows padded to vec4. Lowers Gemm and MatMul (flattening a 4-D input), and folds an Add of a
/// constant right after one of them into its bias.</summary>
internal sealed class GlFullyConnected : GlKernel
{
    public override string Name => "FullyConnected";
    public override string Shader => "fc.comp";
    public override bool FusesRelu => true;

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType == "Add") return FoldBias(g, n);
        if (n.OpType is not ("Gemm" or "MatMul")) return false;
        string where = GlLowering.Where(n);
        int x = g.Act(n, 0);
        var t = g.Net.Tensors[x];
        if (t.H != 1 || t.W != 1) g.Flat(x);
        t = g.Net.Tensors[x];
        var wInit = g.Consts.TryGetValue(n.Inputs[1], out var wi) ? wi : throw new NotSupportedException($"gl backend: {where}: weight '{n.Inputs[1]}' must be a constant initializer");
        if (wInit.Dims.Length != 2) throw new NotSupportedException($"gl backend: {where}: weight must be 2-D, dims [{string.Join(", ", wInit.Dims)}]");
        var w = wInit.ToFloatArray();
        bool transB = n.OpType == "Gemm" && n.GetInt("transB", 0) != 0;
        if (n.OpType == "Gemm" && n.GetInt("transA", 0) != 0) throw new NotSupportedException($"gl backend: {where}: transA=1 is not supported");
        int inF = (int)(transB ? wInit.Dims[1] : wInit.Dims[0]), outF = (int)(transB ? wInit.Dims[0] : wInit.Dims[1]);
        if (inF != t.Size) throw new NotSupportedException($"gl backend: {where}: weight expects {inF} inputs, the input has {t.Size}");
        var wt = transB ? w : Transpose(w, inF, outF);
        float alpha = n.OpType == "Gemm" ? n.GetFloat("alpha", 1f) : 1f, beta = n.OpType == "Gemm" ? n.GetFloat("beta", 1f) : 1f;
        if (alpha != 1f) for (int i = 0; i < wt.Length; i++) wt[i] *= alpha;
        var bias = new float[outF];
        if (n.OpType == "Gemm" && g.Const(n, 2, "C") is { } c)
        {
            if (c.Length != outF && c.Length != 1) throw new NotSupportedException($"gl backend: {where}: bias C has {c.Length} values, expected {outF}");
            for (int i = 0; i < outF; i++) bias[i] = beta * c[c.Length == 1 ? 0 : i];
        }
        g.Net.Ops.Add(new GlOp { Kind = this, Name = n.Name, Inputs = new[] { x }, Output = g.Out(n, outF, 1, 1), Weights = wt, Bias = bias });
        return true;
    }

    /// <summary>The bias of a MatMul: Add(fc_out, constant) folds into the FC's bias (the only constant Add supported).</summary>
    bool FoldBias(GlLowering g, OnnxNode n)
    {
        int ai = g.IsActivation(n.Inputs[0]) ? 0 : 1;
        int x = g.Act(n, ai);
        var fc = g.Net.Ops.LastOrDefault(o => o.Output == x);
        var bias = g.Const(n, 1 - ai, "bias");
        if (fc == null || fc.Kind != this || g.Consumers(n.Inputs[ai]) != 1 || bias.Length != g.Net.Tensors[x].Size)
            throw new NotSupportedException($"gl backend: {GlLowering.Where(n)}: adding a constant is supported only as the bias right after MatMul/Gemm");
        for (int i = 0; i < bias.Length; i++) fc.Bias[i] += bias[i];
        fc.Fused.Add(n.Name);
        g.Rename(x, n.Inputs[ai], n.Outputs[0]);
        return true;
    }

    static float[] Transpose(float[] w, int rows, int cols)
    {
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (op.Weights.Length != o.Size * a.Size) Fail(op, $"weights have {op.Weights.Length} values, expected {o.Size}x{a.Size}");
        if (op.Bias.Length != o.Size) Fail(op, $"bias has {op.Bias.Length} values, expected {o.Size}");
    }

    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch)
    {
        var o = net.Tensors[op.Output];
        uint w = UploadRows(gl, op.Weights, o.Size, out int k4);
        return new GlLayer(op, net.Tensors[op.Inputs[0]], o) { Program = shaders.Get(Shader), Weights = w, Bias = GlObjects.Buffer<float>(gl, op.Bias), PaddedK = k4 };
    }

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) =>
        MemoryMarshal.Write(block, new FcParams { N = batch, In = l.Input.Size, Out = l.Output.Size, In4 = l.PaddedK, Relu = l.Op.Relu ? 1 : 0 });

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        r.Bind(1, l.Weights); r.Bind(2, l.Bias);
        r.Gl.DispatchCompute((uint)l.Output.Size, (uint)r.Batch, 1);
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var x = t[op.Inputs[0]];
        int inF = net.Tensors[op.Inputs[0]].Size, outF = net.Tensors[op.Output].Size;
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outF; o++)
            {
                double s = op.Bias[o];
                for (int i = 0; i < inF; i++) s += (double)op.Weights[o * inF + i] * x[b * inF + i];
                y[b * outF + o] = op.Relu ? MathF.Max((float)s, 0) : (float)s;
            }
    }

    public override long Flops(GlNetwork net, GlOp op, int batch) => 2L * batch * net.Tensors[op.Output].Size * net.Tensors[op.Inputs[0]].Size;
}

/// <summary>shaders/fc.comp's Params block.</summary>
[StructLayout(LayoutKind.Sequential)]
struct FcParams
{
    public int N, In, Out, In4;
    public int Relu, Pad0, Pad1, Pad2;
}
