namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// A whole <see cref="GlNetwork"/> on the CPU: each layer's <see cref="GlKernel.Reference"/> (plain loops, the definitions
/// the shaders must match) in order. The tests' reference. Shapes: x is [N][C][H][W] flattened.
/// </summary>
internal static class GlReference
{
    /// <summary>Evaluates the whole network; returns every tensor (per tensor index), [batch × Size] each.</summary>
    public static float[][] Run(GlNetwork net, float[] input, int batch)
    {
        var t = new float[net.Tensors.Count][];
        t[net.Input] = input;
        foreach (var op in net.Ops)
        {
            var y = new float[batch * net.Tensors[op.Output].Size];
            op.Kind.Reference(net, op, t, batch, y);
            t[op.Output] = y;
        }
        return t;
    }

}
