namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Naive CPU versions of every GL layer (plain loops, the definitions the shaders must match), used by
/// the tests as the reference and by <see cref="Run"/> to evaluate a whole <see cref="GlNetwork"/>.
/// Shapes: x is [N][C][H][W] flattened.
/// </summary>
public static class GlReference
{
    /// <summary>Conv with folded BN: out[n,co,oy,ox] = bias[co] + Σ W[co,ci,ky,kx]·x[n,g·Cg+ci,iy,ix] (+res) (ReLU).</summary>
    public static void Conv(float[] x, int n, int cin, int h, int w, GlOp op, int cout, int oh, int ow, float[] res, float[] y)
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

    public static void MaxPool(float[] x, int n, int c, int h, int w, GlOp op, int oh, int ow, float[] y)
    {
        for (int p = 0; p < n * c; p++)
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

    public static void GlobalAvgPool(float[] x, int n, int c, int hw, float[] y)
    {
        for (int p = 0; p < n * c; p++)
        {
            double s = 0;
            for (int i = 0; i < hw; i++) s += x[p * hw + i];
            y[p] = (float)(s / hw);
        }
    }

    public static void FullyConnected(float[] x, int n, int inF, int outF, float[] wt, float[] bias, bool relu, float[] y)
    {
        for (int b = 0; b < n; b++)
            for (int o = 0; o < outF; o++)
            {
                double s = bias[o];
                for (int i = 0; i < inF; i++) s += (double)wt[o * inF + i] * x[b * inF + i];
                y[b * outF + o] = relu ? MathF.Max((float)s, 0) : (float)s;
            }
    }

    public static void Softmax(float[] logits, int n, int classes, float[] probs)
    {
        for (int b = 0; b < n; b++)
        {
            float m = float.MinValue;
            for (int c = 0; c < classes; c++) m = MathF.Max(m, logits[b * classes + c]);
            double s = 0;
            for (int c = 0; c < classes; c++) s += Math.Exp(logits[b * classes + c] - m);
            for (int c = 0; c < classes; c++) probs[b * classes + c] = (float)(Math.Exp(logits[b * classes + c] - m) / s);
        }
    }

    /// <summary>Evaluates the whole network; returns every tensor (per tensor index), [batch × Size] each.</summary>
    public static float[][] Run(GlNetwork net, float[] input, int batch)
    {
        var t = new float[net.Tensors.Count][];
        t[net.Input] = input;
        foreach (var op in net.Ops)
        {
            var a = net.Tensors[op.Inputs[0]];
            var o = net.Tensors[op.Output];
            var y = new float[batch * o.Size];
            switch (op.Kind)
            {
                case GlOpKind.Conv: Conv(t[op.Inputs[0]], batch, a.C, a.H, a.W, op, o.C, o.H, o.W, op.Residual >= 0 ? t[op.Residual] : null, y); break;
                case GlOpKind.MaxPool: MaxPool(t[op.Inputs[0]], batch, a.C, a.H, a.W, op, o.H, o.W, y); break;
                case GlOpKind.GlobalAvgPool: GlobalAvgPool(t[op.Inputs[0]], batch, a.C, a.H * a.W, y); break;
                case GlOpKind.FullyConnected: FullyConnected(t[op.Inputs[0]], batch, a.Size, o.Size, op.Weights, op.Bias, op.Relu, y); break;
                case GlOpKind.Add:
                    for (int i = 0; i < y.Length; i++) { float v = t[op.Inputs[0]][i] + t[op.Inputs[1]][i]; y[i] = op.Relu ? MathF.Max(v, 0) : v; }
                    break;
                case GlOpKind.Relu:
                    for (int i = 0; i < y.Length; i++) y[i] = MathF.Max(t[op.Inputs[0]][i], 0);
                    break;
                case GlOpKind.BiasImage: GlBiasImage.Reference(t[op.Inputs[0]], op, y); break;
            }
            t[op.Output] = y;
        }
        return t;
    }
}
