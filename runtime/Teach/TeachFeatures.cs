// TeachFeatures: what the teach head sees of a frame. One or more backbone tensors ([C,h,w] maps, or the pooled
// [C,1,1] output), each global-average-pooled and L2-normalised on its own, then concatenated and scaled by
// 1/√(blocks) so the whole vector has unit length. Normalising each block keeps a 256-channel layer3 from being
// outweighed by layer4's larger activations; unit length makes the head's step size and sharpness mean the same
// for any layout. The same arithmetic is appended to the ONNX graph by TeachOnnx (GlobalAveragePool → Flatten →
// LpNormalization per block, Concat, the 1/√blocks folded into the Gemm weights), so one owner describes it here.
using System.Numerics.Tensors;

namespace ResNetRealtime.Runtime.Teach;

public sealed class TeachFeatures
{
    /// <param name="tensors">backbone tensor names (graph outputs or taps), in concatenation order.</param>
    /// <param name="channels">channels of each.</param>
    public TeachFeatures(IReadOnlyList<string> tensors, IReadOnlyList<int> channels)
    {
        ArgumentNullException.ThrowIfNull(tensors); ArgumentNullException.ThrowIfNull(channels);
        if (tensors.Count == 0 || tensors.Count != channels.Count)
            throw new ArgumentException($"{tensors.Count} tensors and {channels.Count} channel counts: need ≥ 1, one count per tensor");
        foreach (var c in channels) if (c < 1) throw new ArgumentException($"a feature block has {c} channels");
        Tensors = tensors.ToArray();
        Channels = channels.ToArray();
        Length = Channels.Sum();
        BlockScale = 1f / MathF.Sqrt(Tensors.Length);
    }

    public string[] Tensors { get; }
    public int[] Channels { get; }
    /// <summary>Values in one embedded frame.</summary>
    public int Length { get; }
    /// <summary>1/√blocks: each normalised block is scaled by it (the exported Gemm folds it into W).</summary>
    public float BlockScale { get; }
    public int Offset(int block) { int o = 0; for (int i = 0; i < block; i++) o += Channels[i]; return o; }

    /// <summary>The CAM weights of head row <paramref name="row"/>: its weights over the last block (the map the CAM is drawn on).</summary>
    public ReadOnlySpan<float> CamWeights(TeachHead head, int row)
    {
        int last = Channels.Length - 1;
        return head.Weight.AsSpan(row * head.Features + Offset(last), Channels[last]);
    }

    /// <summary>
    /// Writes block <paramref name="block"/> of the embedding: <paramref name="map"/> is that tensor for one image,
    /// [C,h,w] row-major (h·w may be 1). Allocates nothing.
    /// </summary>
    public void Embed(int block, ReadOnlySpan<float> map, Span<float> embedding)
    {
        int c = Channels[block];
        if (map.Length == 0 || map.Length % c != 0) throw new ArgumentException($"feature block '{Tensors[block]}' has {map.Length} values, not a multiple of its {c} channels");
        if (embedding.Length < Length) throw new ArgumentException($"embedding has room for {embedding.Length} values, the layout has {Length}");
        int hw = map.Length / c;
        var dst = embedding.Slice(Offset(block), c);
        for (int i = 0; i < c; i++)
        {
            float s = 0;
            var plane = map.Slice(i * hw, hw);
            for (int j = 0; j < hw; j++) s += plane[j];
            dst[i] = s / hw;
        }
        float norm = MathF.Sqrt(TensorPrimitives.Dot(dst, dst));
        // An all-zero block (a black frame after ReLU) stays zero rather than dividing by zero; ONNX's LpNormalization does the same.
        TensorPrimitives.Multiply(dst, norm > 0 ? BlockScale / norm : 0, dst);
    }
}
