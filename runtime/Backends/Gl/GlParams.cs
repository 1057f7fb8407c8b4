using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Backends.Gl;

// The std140 `uniform Params` block of each compute shader, one struct per block, fields in the GLSL order and
// named as there (PascalCase). Every member is a 4-byte scalar (int or float) and each block is padded to a multiple
// of 16 bytes with the same padN fields as the GLSL, so std140 places the members exactly as LayoutKind.Sequential
// does. GlParamsTests compares each struct with its shader's block (names, types, order), so the two cannot drift.

/// <summary>shaders/conv.comp (all variants: 3×3/1×1, TN=16, REDUCE).</summary>
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

/// <summary>shaders/pool.comp (max pool and GLOBAL_AVG).</summary>
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

/// <summary>shaders/eltwise.comp: out = a (+ b) (then ReLU).</summary>
[StructLayout(LayoutKind.Sequential)]
struct EltwiseParams
{
    public int Count, HasB, Relu, Pad0;

    /// <summary>Add (a + b, ReLU when fused) or a standalone ReLU (b unused) over the whole batch.</summary>
    public static EltwiseParams For(GlOp op, GlTensor o, int batch) => new()
    {
        Count = batch * o.Size, HasB = op.Kind == GlOpKind.Add ? 1 : 0, Relu = op.Relu || op.Kind == GlOpKind.Relu ? 1 : 0,
    };
}

/// <summary>shaders/affine.comp: per-channel scale and shift over the whole batch.</summary>
[StructLayout(LayoutKind.Sequential)]
struct AffineParams
{
    public int Count, Channels, Hw, Relu;

    public static AffineParams For(GlOp op, GlTensor o, int batch) => new()
    {
        Count = batch * o.Size, Channels = o.C, Hw = o.H * o.W, Relu = op.Relu ? 1 : 0,
    };
}

/// <summary>shaders/fc.comp.</summary>
[StructLayout(LayoutKind.Sequential)]
struct FcParams
{
    public int N, In, Out, In4;
    public int Relu, Pad0, Pad1, Pad2;
}

/// <summary>shaders/softmax.comp: probabilities and top-K.</summary>
[StructLayout(LayoutKind.Sequential)]
struct SoftmaxParams
{
    public int N, Classes, K, Pad0;
}

/// <summary>shaders/cam.comp: class-activation map of class Cls (-1 = top-1) over C×h×w features.</summary>
[StructLayout(LayoutKind.Sequential)]
struct CamParams
{
    public int C, H, W, In4;
    public int Cls, Pad0, Pad1, Pad2;
}

/// <summary>shaders/preprocess.comp: resize + centre crop + normalise, from a texture or an RGBA8 buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
struct PreprocessParams
{
    public int SrcW, SrcH, OutW, OutH;
    public int ResizedW, ResizedH, CropX, CropY;
    public int FlipY, BatchIndex, Channels, Pad1;
    public float MeanR, MeanG, MeanB, Pad2;
    public float StdR, StdG, StdB, Pad3;
}

/// <summary>shaders/tap.comp: the activation mosaic (C channels of H×W in a cols×rows grid).</summary>
[StructLayout(LayoutKind.Sequential)]
struct TapParams
{
    public int C, H, W, Cols;
    public int Rows, Pad0, Pad1, Pad2;
}
