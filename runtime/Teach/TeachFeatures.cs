// TeachFeatures: what the teach head sees of a frame. One or more backbone tensors ([C,h,w] maps, or the pooled
// [C,1,1] output), each global-average-pooled (TeachPooling.GemMax: its generalised mean instead, GeM of
// Radenović et al. 2018, (mean of max(x,0)^3)^(1/3), between the average and the maximum), with AvgMax and
// GemMax also global-max-pooled (a second block right after the first), L2-normalised block by block, then concatenated and scaled by
// 1/√(blocks) so the whole vector has unit length. The max block keeps where a channel fired most, which the
// average over a 7×7 map of mostly background washes out (teach mode's choice: README "Teach mode").
// Normalising each block keeps a 256-channel layer3 from being outweighed by layer4's larger activations; unit
// length makes the head's step size and sharpness mean the same for any layout. The same arithmetic is appended to
// the ONNX graph by TeachOnnx (GlobalAveragePool → Flatten → LpNormalization per block, GeM as Relu → Pow 3 →
// GlobalAveragePool → Pow 1/3, GlobalMaxPool for the max block, Concat, the 1/√blocks folded into the Gemm
// weights), so one owner describes it here; the CAM of a layout (Cam) lives here for the same reason.
using System.Numerics.Tensors;

namespace ResNetRealtime.Runtime.Teach;

/// <summary>How each backbone tensor is pooled: its average only; its average then its maximum (two blocks); its
/// generalised mean (p = <see cref="TeachFeatures.GemPower"/>) then its maximum.</summary>
public enum TeachPooling { Avg, AvgMax, GemMax }

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
    /// <summary>Blocks per tensor: 1 (average) or 2 (average or GeM, then maximum).</summary>
    public int PoolsPerTensor => Pooling == TeachPooling.Avg ? 1 : 2;
    /// <summary>GeM's exponent: the paper's 3. Over 8 live scene seeds with the ten variants, p = 2, 3, 4, 6 gave
    /// 72.2, 73.1, 73.4, 73.3% (tests/Teach/TeachSeedsExperiment v5): flat past 3, so the usual value.</summary>
    public const float GemPower = 3;
    /// <summary>Values in one embedded frame.</summary>
    public int Length { get; }
    /// <summary>1/√blocks: each normalised block is scaled by it (the exported Gemm folds it into W).</summary>
    public float BlockScale { get; }
    /// <summary>Where tensor <paramref name="block"/>'s values start (its average block; the max block follows it).</summary>
    public int Offset(int block) { int o = 0; for (int i = 0; i < block; i++) o += Channels[i] * PoolsPerTensor; return o; }

    /// <summary>The CAM weights of head row <paramref name="row"/>: its weights over the last tensor's first block
    /// (average or GeM; the map the CAM is drawn on). The max block is left out: it credits one location per channel.</summary>
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
            var plane = map.Slice(i * hw, hw);
            avg[i] = Pooling == TeachPooling.GemMax ? Gem(plane) : TensorPrimitives.Sum(plane) / hw;
        }
        Normalise(avg);
        if (Pooling == TeachPooling.Avg) return;
        var max = embedding.Slice(Offset(block) + c, c);
        for (int i = 0; i < c; i++) max[i] = TensorPrimitives.Max(map.Slice(i * hw, hw));
        Normalise(max);
    }

    /// <summary>Values of scratch <see cref="Cam"/> needs for a <paramref name="mapLength"/>-value map (0 unless GemMax).</summary>
    public int CamScratchLength(int mapLength) => Pooling == TeachPooling.GemMax ? mapLength : 0;

    /// <summary>
    /// The CAM of head row <paramref name="row"/> on the last tensor's map [C,h,w], min-max scaled to [0,1] into
    /// <paramref name="heat"/> (h·w values). Average pooling: Σ_c W[c]·F[c,y,x], Zhou et al.'s CAM (each location's
    /// share of the average). GeM: a location's share of channel c's generalised mean g_c is F^p/(h·w·g_c^(p−1)) (p = 3: F³/(h·w·g_c²)), since those
    /// shares add up to g_c; the CAM weighs them the same way, so it still sums to the block's part of the logit.
    /// <paramref name="scratch"/>: <see cref="CamScratchLength"/> values. Allocates nothing.
    /// </summary>
    public void Cam(TeachHead head, int row, ReadOnlySpan<float> map, int h, int w, Span<float> heat, Span<float> scratch)
    {
        int c = Channels[^1], hw = h * w;
        if (map.Length < c * hw) throw new ArgumentException($"the CAM map has {map.Length} values, {c}x{h}x{w} needs {c * hw}");
        if (Pooling == TeachPooling.GemMax)
        {
            if (scratch.Length < c * hw) throw new ArgumentException($"CAM scratch has {scratch.Length} values, GeM needs {c * hw}");
            for (int i = 0; i < c; i++)
            {
                var plane = map.Slice(i * hw, hw);
                var share = scratch.Slice(i * hw, hw);
                for (int j = 0; j < hw; j++) share[j] = GemPow(plane[j]);
                // Σ x^p = h·w·g^p, so x^p/(h·w·g^(p−1)) = x^p·g/Σ x^p: scaled by g/Σ, the shares add up to g.
                float sum = TensorPrimitives.Sum(share), g = GemRoot(sum / hw);
                TensorPrimitives.Multiply(share, sum > 0 ? g / sum : 0, share);
            }
            map = scratch;
        }
        Realtime.Cam.Compute(map, c, h, w, CamWeights(head, row), 0, heat);
    }

    /// <summary>GeM of one channel's plane: (mean of max(x,0)^p)^(1/p), p = <see cref="GemPower"/>.</summary>
    static float Gem(ReadOnlySpan<float> plane)
    {
        float s = 0;
        for (int j = 0; j < plane.Length; j++) s += GemPow(plane[j]);
        return GemRoot(s / plane.Length);
    }

    // x^p of max(x,0) and the p-th root. p = 3 (a constant, so the branch folds away) takes the cube and MathF.Cbrt,
    // several times faster than MathF.Pow; any other p falls back to Pow, so changing GemPower changes everything at once.
    static float GemPow(float x) { float a = MathF.Max(x, 0); return GemPower == 3 ? a * a * a : MathF.Pow(a, GemPower); }
    static float GemRoot(float m) => GemPower == 3 ? MathF.Cbrt(m) : MathF.Pow(m, 1 / GemPower);

    void Normalise(Span<float> v)
    {
        float norm = MathF.Sqrt(TensorPrimitives.Dot(v, v));
        // An all-zero block (a black frame after ReLU) stays zero rather than dividing by zero; ONNX's LpNormalization does the same.
        TensorPrimitives.Multiply(v, norm > 0 ? BlockScale / norm : 0, v);
    }
}
