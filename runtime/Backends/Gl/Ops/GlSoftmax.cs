using System.Runtime.InteropServices;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// The head after the last layer (shaders/softmax.comp): softmax probabilities and the top-K (class, probability) pairs
/// of each image, one workgroup per image. Not a layer of the network: the runner encodes it after every inference,
/// with its block in slot 1 of the backend's small-block buffer.
/// </summary>
static unsafe class GlSoftmax
{
    public const string Shader = "softmax.comp";

    /// <summary>The block for <paramref name="batch"/> images of <paramref name="classes"/> logits, ranking <paramref name="k"/>.</summary>
    public static void WriteParams(GL gl, uint smallBlocks, int stride, int batch, int classes, int k)
    {
        var p = new SoftmaxParams { N = batch, Classes = classes, K = k };
        gl.BindBuffer(GLEnum.UniformBuffer, smallBlocks);
        gl.BufferSubData(GLEnum.UniformBuffer, stride, (nuint)sizeof(SoftmaxParams), &p);
    }

    /// <summary>logits → probs (batch × classes) and topk (batch × k pairs).</summary>
    public static void Encode(GL gl, uint program, uint smallBlocks, int stride, uint logits, uint probs, uint topk, int batch)
    {
        gl.UseProgram(program);
        gl.BindBufferRange(GLEnum.UniformBuffer, 0, smallBlocks, stride, (nuint)sizeof(SoftmaxParams));
        gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, logits);
        gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 4, probs);
        gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 5, topk);
        gl.DispatchCompute((uint)batch, 1, 1);
        gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
    }

    /// <summary>CPU reference: probs[b, c] = exp(l − max) / Σ exp(l − max), summed in double.</summary>
    public static void Reference(float[] logits, int n, int classes, float[] probs)
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
}

/// <summary>shaders/softmax.comp's Params block: probabilities and top-K.</summary>
[StructLayout(LayoutKind.Sequential)]
struct SoftmaxParams
{
    public int N, Classes, K, Pad0;
}
