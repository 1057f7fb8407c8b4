using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// What one kind of GL layer does, in one class beside its shader (ncnn's one-layer-per-op): how ONNX lowers to it,
/// the shape checks, the GPU objects it needs, its std140 parameter block, its dispatch, its CPU reference (the
/// definition the shader must match, accumulating in double), and its FLOPs and bytes for <c>rr bench-ops</c>.
/// Stateless: a <see cref="GlOp"/> is one layer of a network, <see cref="GlOp.Kind"/> the kernel that runs it, and the
/// layer's GPU state is the <see cref="GlLayer"/> that <see cref="Build"/> returns. Kernels are registered in
/// <see cref="GlOpKind"/> (one line each); a new op is a class here, its <c>shaders/*.comp</c> and that line.
/// </summary>
internal abstract class GlKernel
{
    /// <summary>The layer kind as errors, profiles and <see cref="GlOp.ToString"/> print it ("Conv").</summary>
    public abstract string Name { get; }
    /// <summary>The kernel's shader in shaders/ (embedded as "shaders/&lt;file&gt;").</summary>
    public abstract string Shader { get; }
    /// <summary>Whether a ReLU right after this layer can run in its epilogue (<see cref="GlOp.Relu"/>).</summary>
    public virtual bool FusesRelu => false;
    public override string ToString() => Name;

    /// <summary>Lowers ONNX node <paramref name="n"/> when it is this kernel's (adds layers or folds into one before it);
    /// false when the node is not for this kernel. Throws NotSupportedException naming the node for a variant it cannot run.</summary>
    internal virtual bool TryLower(GlLowering g, Onnx.OnnxNode n) => false;

    /// <summary>Throws naming the layer when the shapes or weights of <paramref name="op"/> do not fit (called by <see cref="GlNetwork.Validate"/>).</summary>
    public abstract void Validate(GlNetwork net, GlOp op);

    /// <summary>Uploads the layer's constants and fetches its programs (<paramref name="maxBatch"/>: the most images a run may have).</summary>
    internal abstract GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch);

    /// <summary>Writes the layer's uniform block for <paramref name="batch"/> images (once per batch size, not per frame).</summary>
    internal abstract void WriteParams(GlLayer layer, int batch, Span<byte> block);

    /// <summary>Issues the layer's dispatches. The runner has bound the parameter block to uniform 0, the input to SSBO 0 and
    /// the output to SSBO 4, and adds the memory barrier after. Allocates nothing (called per layer per frame).</summary>
    internal abstract void Dispatch(GlNetworkRunner r, GlLayer layer);

    /// <summary>The layer on the CPU: <paramref name="t"/> holds every computed tensor ([batch × Size] each, by tensor index);
    /// writes the output into <paramref name="y"/>.</summary>
    public abstract void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y);

    /// <summary>Floating-point operations of one run of the layer (a multiply-add counts 2).</summary>
    public abstract long Flops(GlNetwork net, GlOp op, int batch);

    /// <summary>Bytes the layer must move at least once: inputs, residual, constants and output, as float32.</summary>
    public virtual long Bytes(GlNetwork net, GlOp op, int batch)
    {
        long b = (long)batch * net.Tensors[op.Output].Size;
        foreach (var i in op.Inputs) b += (long)batch * net.Tensors[i].Size;
        if (op.Residual >= 0) b += (long)batch * net.Tensors[op.Residual].Size;
        b += (op.Weights?.Length ?? 0) + (op.Bias?.Length ?? 0);
        return 4 * b;
    }

    /// <summary>One element per invocation, 256 a workgroup, as eltwise-style shaders: (x, y) workgroups.</summary>
    internal static (int Groups, int X, int Y) Grid(long groups)
    {
        int x = (int)Math.Min(groups, 65535);
        return ((int)groups, x, (int)((groups + x - 1) / x));
    }

    /// <summary>Weights of <paramref name="rows"/> rows as one buffer, each row padded with zeros to a multiple of 4 so shaders
    /// load whole vec4s; <paramref name="k4"/> is the padded row length.</summary>
    internal static uint UploadRows(GL gl, float[] w, int rows, out int k4)
    {
        int k = w.Length / rows;
        k4 = (k + 3) & ~3;
        var padded = new float[rows * k4];
        for (int r = 0; r < rows; r++) Array.Copy(w, r * k, padded, r * k4, k);
        return GlObjects.Buffer<float>(gl, padded);
    }

    internal static void Fail(GlOp op, string why) => throw new InvalidOperationException($"gl network: layer {op}: {why}");
}

/// <summary>One layer on the GPU: what <see cref="GlKernel.Build"/> made for it. The runner frees the two buffers.</summary>
internal class GlLayer
{
    public GlLayer(GlOp op, GlTensor input, GlTensor output) { Op = op; Input = input; Output = output; }
    public GlOp Op { get; }
    public GlTensor Input { get; }
    public GlTensor Output { get; }
    public uint Program { get; init; }
    /// <summary>Weights (rows vec4-padded where <see cref="PaddedK"/> &gt; 0) and bias/shift buffers; 0 when none.</summary>
    public uint Weights { get; init; }
    public uint Bias { get; init; }
    /// <summary>Padded row length of <see cref="Weights"/> (K of a conv, In of an FC, a multiple of 4); 0 when not padded.</summary>
    public int PaddedK { get; init; }
    /// <summary>Floats of the runner's shared scratch buffer this layer may use at any batch up to the maximum.</summary>
    public long ScratchFloats { get; init; }
}
