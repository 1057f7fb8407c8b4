using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>MaxPool (shaders/pool.comp): max over a KH×KW window per channel; padding never wins (it is skipped, not −∞ + 0).</summary>
internal sealed class GlMaxPool : GlKernel
{
    public override string Name => "MaxPool";
    public override string Shader => "pool.comp";

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType != "MaxPool") return false;
        string where = GlLowering.Where(n);
        GlLowering.NoAutoPad(n);
        int x = g.Act(n, 0);
        var t = g.Net.Tensors[x];
        if (n.GetInt("ceil_mode", 0) != 0) throw new NotSupportedException($"gl backend: {where}: ceil_mode=1 is not supported");
        if (n.GetInts("dilations") is { } d && d.Any(v => v != 1)) throw new NotSupportedException($"gl backend: {where}: dilated pooling is not supported");
        if (n.Outputs.Count > 1 && !string.IsNullOrEmpty(n.Outputs[1])) throw new NotSupportedException($"gl backend: {where}: the Indices output is not supported");
        var k = GlLowering.Ints(n, "kernel_shape", 2, 1); var s = GlLowering.Ints(n, "strides", 2, 1); var p = GlLowering.Ints(n, "pads", 4, 0);
        var op = new GlOp { Kind = this, Name = n.Name, Inputs = new[] { x }, KH = k[0], KW = k[1], StrideH = s[0], StrideW = s[1], PadTop = p[0], PadLeft = p[1] };
        var (oh, ow) = GlNetwork.ConvOutput(t.H, t.W, op, p[2], p[3]);
        op.Output = g.Out(n, t.C, oh, ow);
        g.Net.Ops.Add(op);
        return true;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (o.C != a.C) Fail(op, $"channels {a.C}->{o.C}");
    }

    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch) =>
        new(op, net.Tensors[op.Inputs[0]], net.Tensors[op.Output]) { Program = shaders.Get(Shader) };

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) => MemoryMarshal.Write(block, PoolParams.For(l.Op, l.Input, l.Output, batch));

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        var g = Grid(((long)r.Batch * l.Output.Size + 63) / 64);
        r.Gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        var x = t[op.Inputs[0]];
        int h = a.H, w = a.W, oh = o.H, ow = o.W;
        for (int p = 0; p < batch * a.C; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float m = float.MinValue;
                    for (int ky = 0; ky < op.KH; ky++)
                    {
                        int iy = oy * op.StrideH - op.PadTop + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < op.KW; kx++)
                        {
                            int ix = ox * op.StrideW - op.PadLeft + kx;
                            if (ix >= 0 && ix < w) m = MathF.Max(m, x[(p * h + iy) * w + ix]);
                        }
                    }
                    y[(p * oh + oy) * ow + ox] = m;
                }
    }

    /// <summary>One comparison per window element (counted as one op).</summary>
    public override long Flops(GlNetwork net, GlOp op, int batch) => (long)batch * net.Tensors[op.Output].Size * op.KH * op.KW;
}

/// <summary>GlobalAvgPool (shaders/pool.comp, GLOBAL_AVG): the mean of each channel's H×W plane, one workgroup per plane.
/// Lowers GlobalAveragePool, an AveragePool covering the whole map, and ReduceMean over axes [2, 3].</summary>
internal sealed class GlGlobalAvgPool : GlKernel
{
    public override string Name => "GlobalAvgPool";
    public override string Shader => "pool.comp";

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType is not ("GlobalAveragePool" or "AveragePool" or "ReduceMean")) return false;
        string where = GlLowering.Where(n);
        int x = g.Act(n, 0);
        var t = g.Net.Tensors[x];
        if (n.OpType == "AveragePool")
        {
            var k = GlLowering.Ints(n, "kernel_shape", 2, 1); var p = GlLowering.Ints(n, "pads", 4, 0);
            if (k[0] != t.H || k[1] != t.W || p.Any(v => v != 0))
                throw new NotSupportedException($"gl backend: {where}: AveragePool is supported only when it covers the whole {t.H}x{t.W} map (kernel {k[0]}x{k[1]})");
        }
        if (n.OpType == "ReduceMean")
        {
            var axes = n.GetInts("axes");
            if (axes == null || !axes.Select(a => a < 0 ? a + 4 : a).OrderBy(a => a).SequenceEqual(new long[] { 2, 3 }))
                throw new NotSupportedException($"gl backend: {where}: ReduceMean is supported only over axes [2, 3]");
        }
        g.Net.Ops.Add(new GlOp { Kind = this, Name = n.Name, Inputs = new[] { x }, Output = g.Out(n, t.C, 1, 1) });
        return true;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (o.C != a.C || o.H != 1 || o.W != 1) Fail(op, $"output {o} is not {a.C}x1x1");
    }

    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch) =>
        new(op, net.Tensors[op.Inputs[0]], net.Tensors[op.Output]) { Program = shaders.Get(Shader, "GLOBAL_AVG") };

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) => MemoryMarshal.Write(block, PoolParams.For(l.Op, l.Input, l.Output, batch));

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        var g = Grid((long)r.Batch * l.Output.C);
        r.Gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var a = net.Tensors[op.Inputs[0]];
        var x = t[op.Inputs[0]];
        int hw = a.H * a.W;
        for (int p = 0; p < batch * a.C; p++)
        {
            double s = 0;
            for (int i = 0; i < hw; i++) s += x[p * hw + i];
            y[p] = (float)(s / hw);
        }
    }

    public override long Flops(GlNetwork net, GlOp op, int batch) => (long)batch * net.Tensors[op.Inputs[0]].Size;
}

/// <summary>shaders/pool.comp's Params block (max pool and GLOBAL_AVG).</summary>
[StructLayout(LayoutKind.Sequential)]
struct PoolParams
{
    public int N, C, H, W;
    public int OH, OW, KH, KW;
    public int StrideH, StrideW, PadT, PadL;

    public static PoolParams For(GlOp op, GlTensor a, GlTensor o, int batch) => new()
    {
        N = batch, C = a.C, H = a.H, W = a.W, OH = o.H, OW = o.W, KH = op.KH, KW = op.KW,
        StrideH = op.StrideH, StrideW = op.StrideW, PadT = op.PadTop, PadL = op.PadLeft,
    };
}
