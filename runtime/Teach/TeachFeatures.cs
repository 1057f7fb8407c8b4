// TeachFeatures: what the teach head sees of a frame. One or more backbone tensors ([C,h,w] maps, or the pooled
// [C,1,1] output), each global-average-pooled (and, with TeachPooling.AvgMax, also global-max-pooled: a second
// block right after the first) and L2-normalised block by block, then concatenated and scaled by
// 1/√(blocks) so the whole vector has unit length. The max block keeps where a channel fired most, which the
// average over a 7×7 map of mostly background washes out (teach mode's choice: README "Teach mode").
// Normalising each block keeps a 256-channel layer3 from being outweighed by layer4's larger activations; unit
// length makes the head's step size and sharpness mean the same for any layout. The same arithmetic is appended to the ONNX graph by TeachOnnx (GlobalAveragePool → Flatten →
// (GlobalMaxPool → Flatten →) LpNormalization per block, Concat, the 1/√blocks folded into the Gemm weights), so one
// owner describes it here.
using System.Numerics.Tensors;

namespace ResNetRealtime.Runtime.Teach;

/// <summary>How each backbone tensor is pooled: its average only, or its average then its maximum (two blocks).</summary>
public enum TeachPooling { Avg, AvgMax }

public sealed class TeachFeatures
{
    /// <param name="tensors">backbone tensor names (graph outputs or taps), in concatenation order.</param>
    /// <param name="channels">channels of each.</param>
    public TeachFeatures(IReadOnlyList<string> tensors, IReadOnlyList<int> channels, TeachPooling pooling = TeachPooling.Avg)
    {
        ArgumentNullException.ThrowIfNull(tensors); ArgumentNullException.ThrowIfNull(channels);
        if (tensors.Count == 0 || tensors.Count != channels.Count)
            throw new ArgumentException($"{tensors.Count} tensors and {channels.Count} channel counts: need ≥ 1, one count per tensor");
        foreach (var c in channels) if (c < 1) throw new ArgumentException($"a feature block has {c} channels");
        if (!Enum.IsDefined(pooling)) throw new ArgumentException($"unknown pooling {pooling}");
        Tensors = tensors.ToArray();
        Channels = channels.ToArray();
        Pooling = pooling;
        Length = Channels.Sum() * PoolsPerTensor;
        BlockScale = 1f / MathF.Sqrt(Tensors.Length * PoolsPerTensor);
    }

    public string[] Tensors { get; }
    public int[] Channels { get; }
    public TeachPooling Pooling { get; }
    /// <summary>Blocks per tensor: 1 (average) or 2 (average, then maximum).</summary>
    public int PoolsPerTensor => Pooling == TeachPooling.AvgMax ? 2 : 1;
    /// <summary>Values in one embedded frame.</summary>
    public int Length { get; }
    /// <summary>1/√blocks: each normalised block is scaled by it (the exported Gemm folds it into W).</summary>
    public float BlockScale { get; }
    /// <summary>Where tensor <paramref name="block"/>'s values start (its average block; the max block follows it).</summary>
    public int Offset(int block) { int o = 0; for (int i = 0; i < block; i++) o += Channels[i] * PoolsPerTensor; return o; }

    /// <summary>The CAM weights of head row <paramref name="row"/>: its weights over the last tensor's average block
    /// (the map the CAM is drawn on). The max block is left out: only the average is linear in the map, as CAM needs.</summary>
    public ReadOnlySpan<float> CamWeights(TeachHead head, int row)
    {
        int last = Channels.Length - 1;
        return head.Weight.AsSpan(row * head.Features + Offset(last), Channels[last]);
    }

    /// <summary>
    /// Writes tensor <paramref name="block"/>'s blocks of the embedding: <paramref name="map"/> is that tensor for one
    /// image, [C,h,w] row-major (h·w may be 1). Allocates nothing.
    /// </summary>
    public void Embed(int block, ReadOnlySpan<float> map, Span<float> embedding)
    {
        int c = Channels[block];
        if (map.Length == 0 || map.Length % c != 0) throw new ArgumentException($"feature block '{Tensors[block]}' has {map.Length} values, not a multiple of its {c} channels");
        if (embedding.Length < Length) throw new ArgumentException($"embedding has room for {embedding.Length} values, the layout has {Length}");
        int hw = map.Length / c;
        var avg = embedding.Slice(Offset(block), c);
        for (int i = 0; i < c; i++)
        {
            float s = 0;
            var plane = map.Slice(i * hw, hw);
            for (int j = 0; j < hw; j++) s += plane[j];
            avg[i] = s / hw;
        }
        Normalise(avg);
        if (Pooling != TeachPooling.AvgMax) return;
        var max = embedding.Slice(Offset(block) + c, c);
        for (int i = 0; i < c; i++) max[i] = TensorPrimitives.Max(map.Slice(i * hw, hw));
        Normalise(max);
    }

    void Normalise(Span<float> v)
    {
        float norm = MathF.Sqrt(TensorPrimitives.Dot(v, v));
        // An all-zero block (a black frame after ReLU) stays zero rather than dividing by zero; ONNX's LpNormalization does the same.
        TensorPrimitives.Multiply(v, norm > 0 ? BlockScale / norm : 0, v);
    }
}
