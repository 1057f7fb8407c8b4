using ResNetRealtime.Runtime.Gl;
using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Conv (shaders/conv.comp): out[n,co,oy,ox] = bias[co] + Σ W[co,ci,ky,kx]·x[n,g·Cg+ci,iy,ix] (+ residual) (ReLU), with
/// BatchNorm folded into W and bias by <see cref="GlAffine"/>'s lowering. Weights [Cout][Cin/groups][KH][KW], rows padded
/// to vec4. Variants: 64- or 16-pixel tiles, a 1×1 path, and split-K with a REDUCE pass when the grid is small.
/// </summary>
internal sealed class GlConv : GlKernel
{
    /// <summary>Enough workgroups to fill a big GPU (132 SMs on an H100) a couple of times over.</summary>
    const int TargetWorkgroups = 256;

    public override string Name => "Conv";
    public override string Shader => "conv.comp";
    public override bool FusesRelu => true;

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType != "Conv") return false;
        string where = GlLowering.Where(n);
        GlLowering.NoAutoPad(n);
        int x = g.Act(n, 0);
        var xt = g.Net.Tensors[x];
        var wt = g.Consts.TryGetValue(n.Inputs[1], out var wInit) ? wInit : throw new NotSupportedException($"gl backend: {where}: weight '{n.Inputs[1]}' must be a constant initializer");
        if (wt.Dims.Length != 4) throw new NotSupportedException($"gl backend: {where}: only 2-D convolution (4-D weights) is supported, weight dims [{string.Join(", ", wt.Dims)}]");
        int cout = (int)wt.Dims[0], kh = (int)wt.Dims[2], kw = (int)wt.Dims[3];
        var pads = GlLowering.Ints(n, "pads", 4, 0);
        var strides = GlLowering.Ints(n, "strides", 2, 1);
        var dil = GlLowering.Ints(n, "dilations", 2, 1);
        int groups = (int)n.GetInt("group", 1);
        if (wt.Dims[1] * groups != xt.C) throw new NotSupportedException($"gl backend: {where}: weight has {wt.Dims[1]} input channels x {groups} groups but the input has {xt.C}");
        var op = new GlOp
        {
            Kind = this, Name = n.Name, Inputs = new[] { x }, KH = kh, KW = kw, StrideH = strides[0], StrideW = strides[1],
            PadTop = pads[0], PadLeft = pads[1], DilationH = dil[0], DilationW = dil[1], Groups = groups,
            Weights = wt.ToFloatArray(), Bias = g.Const(n, 2, "bias") ?? new float[cout],
        };
        var (oh, ow) = GlNetwork.ConvOutput(xt.H, xt.W, op, pads[2], pads[3]);
        if (oh < 1 || ow < 1) throw new NotSupportedException($"gl backend: {where}: output would be {oh}x{ow} for input {xt.H}x{xt.W}");
        op.Output = g.Out(n, cout, oh, ow);
        g.Net.Ops.Add(op);
        return true;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (a.C % op.Groups != 0 || o.C % op.Groups != 0) Fail(op, $"channels {a.C}->{o.C} not divisible by groups {op.Groups}");
        if (op.Weights.Length != o.C * (a.C / op.Groups) * op.KH * op.KW) Fail(op, $"weights have {op.Weights.Length} values, expected {o.C}x{a.C / op.Groups}x{op.KH}x{op.KW}");
        if (op.Bias.Length != o.C) Fail(op, $"bias has {op.Bias.Length} values, expected {o.C}");
        if (op.Residual >= 0 && net.Tensors[op.Residual].Size != o.Size) Fail(op, $"residual {net.Tensors[op.Residual]} does not match output {o}");
    }

    sealed class Layer : GlLayer
    {
        public Layer(GlOp op, GlTensor a, GlTensor o) : base(op, a, o) { }
        public uint Conv16, Conv64, Reduce;
        /// <summary>Tile width and K split at the batch of the last <see cref="WriteParams"/>.</summary>
        public int Tn, KSplit;
    }

    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        bool oneByOne = op.KH == 1 && op.KW == 1 && op.PadTop == 0 && op.PadLeft == 0 && GlNetwork.ConvOutput(a.H, a.W, op, 0, 0) == (o.H, o.W);
        long scratch = 0;
        for (int b = 1; b <= maxBatch; b++)
        {
            var (_, ks, _) = Schedule(op, a, o, b);
            if (ks > 1) scratch = Math.Max(scratch, (long)ks * o.C * b * o.H * o.W);
        }
        uint w = UploadRows(gl, op.Weights, o.C, out int k4);
        return new Layer(op, a, o)
        {
            Weights = w, Bias = GlObjects.Buffer<float>(gl, op.Bias), PaddedK = k4, ScratchFloats = scratch,
            Conv64 = oneByOne ? shaders.Get(Shader, "CONV_1X1") : shaders.Get(Shader),
            Conv16 = oneByOne ? shaders.Get(Shader, "CONV_1X1", "TN=16") : shaders.Get(Shader, "TN=16"),
            Reduce = shaders.Get(Shader, "REDUCE"),
        };
    }

    /// <summary>
    /// Tile width and K split at <paramref name="batch"/>: 16-pixel tiles when the layer has under 512 output pixels;
    /// K split in chunks (multiples of 16, at least 256 long) while the grid has fewer than <see cref="TargetWorkgroups"/>
    /// tiles. A pure function of the shapes, so every run of a layer is the same.
    /// </summary>
    static (int Tn, int KSplit, int KChunk) Schedule(GlOp op, GlTensor a, GlTensor o, int batch)
    {
        long p = (long)batch * o.H * o.W;
        int tn = p < 512 ? 16 : 64;
        int k = a.C / op.Groups * op.KH * op.KW;
        long tiles = (p + tn - 1) / tn * ((o.C / op.Groups + 63) / 64) * op.Groups;
        int split = 1;
        if (tiles < TargetWorkgroups && k >= 512)
            split = (int)Math.Min(Math.Min((TargetWorkgroups + tiles - 1) / tiles, k / 256), 16);
        int chunk = ((k + split - 1) / split + 15) / 16 * 16;
        split = (k + chunk - 1) / chunk;
        return (tn, split, chunk);
    }

    internal override void WriteParams(GlLayer layer, int batch, Span<byte> block)
    {
        var l = (Layer)layer;
        var (tn, ks, kc) = Schedule(l.Op, l.Input, l.Output, batch);
        l.Tn = tn; l.KSplit = ks;
        MemoryMarshal.Write(block, ConvParams.For(l.Op, l.Input, l.Output, batch, l.PaddedK, ks, kc));
    }

    internal override void Dispatch(GlNetworkRunner r, GlLayer layer)
    {
        var l = (Layer)layer;
        var gl = r.Gl;
        var op = l.Op;
        var o = l.Output;
        int tn = l.Tn, ks = l.KSplit;
        gl.UseProgram(tn == 16 ? l.Conv16 : l.Conv64);
        r.Bind(1, l.Weights); r.Bind(2, l.Bias);
        r.Bind(3, op.Residual >= 0 ? r.TensorBuffer(op.Residual) : l.Bias);
        r.Bind(5, r.Scratch);
        long p = (long)r.Batch * o.H * o.W;
        gl.DispatchCompute((uint)((p + tn - 1) / tn), (uint)((o.C / op.Groups + 63) / 64), (uint)(op.Groups * ks));
        if (ks > 1)
        {
            gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
            gl.UseProgram(l.Reduce);
            var g = Grid((o.C * p + 255) / 256);
            gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
        }
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        Reference(t[op.Inputs[0]], batch, a.C, a.H, a.W, op, o.C, o.H, o.W, op.Residual >= 0 ? t[op.Residual] : null, y);
    }

    /// <summary>x [n][cin][h][w] → y [n][cout][oh][ow], summed in double.</summary>
    public static void Reference(float[] x, int n, int cin, int h, int w, GlOp op, int cout, int oh, int ow, float[] res, float[] y)
    {
        int cg = cin / op.Groups, mg = cout / op.Groups;
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
            {
                int g = co / mg;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double s = op.Bias[co];
                        for (int ci = 0; ci < cg; ci++)
                            for (int ky = 0; ky < op.KH; ky++)
                            {
                                int iy = oy * op.StrideH - op.PadTop + ky * op.DilationH;
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < op.KW; kx++)
                                {
                                    int ix = ox * op.StrideW - op.PadLeft + kx * op.DilationW;
                                    if (ix < 0 || ix >= w) continue;
                                    s += (double)op.Weights[((co * cg + ci) * op.KH + ky) * op.KW + kx] * x[((b * cin + g * cg + ci) * h + iy) * w + ix];
                                }
                            }
                        int idx = ((b * cout + co) * oh + oy) * ow + ox;
                        if (res != null) s += res[idx];
                        y[idx] = op.Relu ? MathF.Max((float)s, 0) : (float)s;
                    }
            }
    }

    /// <summary>2·K multiply-adds per output value (K = Cin/groups·KH·KW), plus the residual add.</summary>
    public override long Flops(GlNetwork net, GlOp op, int batch)
    {
        var a = net.Tensors[op.Inputs[0]];
        long outs = (long)batch * net.Tensors[op.Output].Size;
        return outs * (2L * (a.C / op.Groups) * op.KH * op.KW + (op.Residual >= 0 ? 1 : 0));
    }
}

/// <summary>shaders/conv.comp's Params block (all variants: 3×3/1×1, TN=16, REDUCE).</summary>
[StructLayout(LayoutKind.Sequential)]
struct ConvParams
{
    public int N, Cin, H, W;
    public int Cout, OH, OW, Groups;
    public int KH, KW, StrideH, StrideW;
    public int PadT, PadL, DilH, DilW;
    public int K, K4, HasResidual, Relu;
    public int KSplit, KChunk, Pad0, Pad1;

    /// <summary>Layer <paramref name="op"/> (input <paramref name="a"/>, output <paramref name="o"/>) at a batch, with its padded K
    /// and the split-K schedule (<paramref name="kSplit"/> chunks of <paramref name="kChunk"/>).</summary>
    public static ConvParams For(GlOp op, GlTensor a, GlTensor o, int batch, int k4, int kSplit, int kChunk) => new()
    {
        N = batch, Cin = a.C, H = a.H, W = a.W, Cout = o.C, OH = o.H, OW = o.W, Groups = op.Groups,
        KH = op.KH, KW = op.KW, StrideH = op.StrideH, StrideW = op.StrideW,
        PadT = op.PadTop, PadL = op.PadLeft, DilH = op.DilationH, DilW = op.DilationW,
        K = a.C / op.Groups * op.KH * op.KW, K4 = k4, HasResidual = op.Residual >= 0 ? 1 : 0, Relu = op.Relu ? 1 : 0,
        KSplit = kSplit, KChunk = kChunk,
    };
}
