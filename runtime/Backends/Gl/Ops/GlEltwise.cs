using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Onnx;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>Add (shaders/eltwise.comp): y = a + b (ReLU) over two activations of the same size. An Add right after a conv
/// usually runs in that conv's epilogue instead (the builder's fusion makes it the conv's residual).</summary>
internal sealed class GlAdd : GlKernel
{
    public override string Name => "Add";
    public override string Shader => "eltwise.comp";
    public override bool FusesRelu => true;

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType != "Add" || !n.Inputs.All(g.IsActivation)) return false;
        int a = g.Act(n, 0), b = g.Act(n, 1);
        var t = g.Net.Tensors[a];
        if (g.Net.Tensors[b].Size != t.Size) throw new NotSupportedException($"gl backend: {GlLowering.Where(n)}: broadcasting Add of {t} and {g.Net.Tensors[b]} is not supported");
        g.Net.Ops.Add(new GlOp { Kind = this, Name = n.Name, Inputs = new[] { a, b }, Output = g.Out(n, t.C, t.H, t.W) });
        return true;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        if (net.Tensors[op.Inputs[1]].Size != a.Size || net.Tensors[op.Output].Size != a.Size) Fail(op, $"operands {a} and {net.Tensors[op.Inputs[1]]} differ");
    }

    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch) =>
        new(op, net.Tensors[op.Inputs[0]], net.Tensors[op.Output]) { Program = shaders.Get(Shader) };

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) =>
        MemoryMarshal.Write(block, new EltwiseParams { Count = batch * l.Output.Size, HasB = 1, Relu = l.Op.Relu ? 1 : 0 });

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        r.Bind(3, r.TensorBuffer(l.Op.Inputs[1]));
        var g = Grid(((long)r.Batch * l.Output.Size + 255) / 256);
        r.Gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var a = t[op.Inputs[0]]; var b = t[op.Inputs[1]];
        for (int i = 0; i < y.Length; i++) { float v = a[i] + b[i]; y[i] = op.Relu ? MathF.Max(v, 0) : v; }
    }

    public override long Flops(GlNetwork net, GlOp op, int batch) => (long)batch * net.Tensors[op.Output].Size;
}

/// <summary>Relu (shaders/eltwise.comp without b): y = max(x, 0). Left standalone only when the layer before cannot take it
/// (see <see cref="GlKernel.FusesRelu"/>) or its input is kept (a tap).</summary>
internal sealed class GlRelu : GlKernel
{
    public override string Name => "Relu";
    public override string Shader => "eltwise.comp";

    internal override bool TryLower(GlLowering g, OnnxNode n)
    {
        if (n.OpType != "Relu") return false;
        int x = g.Act(n, 0);
        var t = g.Net.Tensors[x];
        g.Net.Ops.Add(new GlOp { Kind = this, Name = n.Name, Inputs = new[] { x }, Output = g.Out(n, t.C, t.H, t.W) });
        return true;
    }

    public override void Validate(GlNetwork net, GlOp op)
    {
        var a = net.Tensors[op.Inputs[0]];
        var o = net.Tensors[op.Output];
        if (o.Size != a.Size) Fail(op, $"output {o} differs from input {a}");
    }

    internal override GlLayer Build(GL gl, GlShaders shaders, GlNetwork net, GlOp op, int maxBatch) =>
        new(op, net.Tensors[op.Inputs[0]], net.Tensors[op.Output]) { Program = shaders.Get(Shader) };

    internal override void WriteParams(GlLayer l, int batch, Span<byte> block) =>
        MemoryMarshal.Write(block, new EltwiseParams { Count = batch * l.Output.Size, HasB = 0, Relu = 1 });

    internal override void Dispatch(GlNetworkRunner r, GlLayer l)
    {
        r.Gl.UseProgram(l.Program);
        r.Bind(3, r.TensorBuffer(l.Op.Inputs[0]));   // b is unused (HasB = 0) but every binding the shader declares must be valid
        var g = Grid(((long)r.Batch * l.Output.Size + 255) / 256);
        r.Gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
    }

    public override void Reference(GlNetwork net, GlOp op, float[][] t, int batch, float[] y)
    {
        var x = t[op.Inputs[0]];
        for (int i = 0; i < y.Length; i++) y[i] = MathF.Max(x[i], 0);
    }

    public override long Flops(GlNetwork net, GlOp op, int batch) => (long)batch * net.Tensors[op.Output].Size;
}

/// <summary>shaders/eltwise.comp's Params block: out = a (+ b) (then ReLU) over Count values.</summary>
[StructLayout(LayoutKind.Sequential)]
struct EltwiseParams
{
    public int Count, HasB, Relu, Pad0;
}
