// TeachFeatures: what the teach head sees of a frame. One or more backbone tensors ([C,h,w] maps, or the pooled
// [C,1,1] output), each global-average-pooled (TeachPooling.GemMax: its generalised mean instead, GeM of
// Radenović et al. 2018, (mean of max(x,0)^3)^(1/3), between the average and the maximum), with AvgMax and
// GemMax also global-max-pooled (a second block right after the first), L2-normalised block by block, then concatenated and scaled by
// 1/√(blocks) so the whole vector has unit length. The max block keeps where a channel fired most, which the
// average over a 7×7 map of mostly background washes out (teach mode's choice: docs/teach-mode.md).
// Normalising each block keeps a 256-channel layer3 from being outweighed by layer4's larger activations; unit
// length makes the head's step size and sharpness mean the same for any layout. The same arithmetic is appended to
// the ONNX graph by TeachOnnx (GlobalAveragePool → Flatten → LpNormalization per block, GeM as Relu → Pow 3 →
// GlobalAveragePool → Pow 1/3, GlobalMaxPool for the max block, Concat, the 1/√blocks folded into the Gemm
// weights), so one owner describes it here; the CAM of a layout (Cam) lives here for the same reason.
// CentredGemMax weighs each location of a map by a Gaussian about its centre before both pools (a weighted
// generalised mean, a weighted maximum): teach mode's user points the camera at the object, so the middle of the
// frame is more likely object and the edges background. Over 8 live scene seeds (docs/experiments.md; experiments:
// teach-seeds --rows poses) σ = 1.5 cells of 7 gave 74.8% against GeM + max's 73.1%, and 73.0%
// against 70.9% without seed 3; σ = 1, 2.5, 4 cells gave 74.2, 74.7, 74.5%.
#nullable enable
using System.Numerics.Tensors;

namespace ResNetRealtime.Runtime.Teach;

/// <summary>How each backbone tensor is pooled: its average only; its average then its maximum (two blocks); its
/// generalised mean (p = <see cref="TeachFeatures.GemPower"/>) then its maximum; the same with each location
/// weighted by <see cref="TeachFeatures.CentreWeights(int, int)"/> (needs the maps' sizes).</summary>
public enum TeachPooling { Avg, AvgMax, GemMax, CentredGemMax }

public sealed class TeachFeatures
{
    /// <param name="tensors">backbone tensor names (graph outputs or taps), in concatenation order.</param>
    /// <param name="channels">channels of each.</param>
    /// <param name="sizes">each tensor's map height and width: CentredGemMax needs them (its weights); the others ignore them.</param>
    public TeachFeatures(IReadOnlyList<string> tensors, IReadOnlyList<int> channels, TeachPooling pooling = TeachPooling.Avg,
                         IReadOnlyList<(int Height, int Width)>? sizes = null)
    {
        ArgumentNullException.ThrowIfNull(tensors); ArgumentNullException.ThrowIfNull(channels);
        if (tensors.Count == 0 || tensors.Count != channels.Count)
            throw new ArgumentException($"{tensors.Count} tensors and {channels.Count} channel counts: need ≥ 1, one count per tensor");
        foreach (var c in channels) if (c < 1) throw new ArgumentException($"a feature block has {c} channels");
        if (!Enum.IsDefined(pooling)) throw new ArgumentException($"unknown pooling {pooling}");
        if (pooling == TeachPooling.CentredGemMax)
        {
            if (sizes == null || sizes.Count != tensors.Count || sizes.Any(z => z.Height < 1 || z.Width < 1))
                throw new ArgumentException($"centred pooling needs each tensor's map size: {tensors.Count} tensors, sizes {(sizes == null ? "none" : string.Join(", ", sizes))}");
            _centre = sizes.Select(z => CentreWeights(z.Height, z.Width)).ToArray();
        }
        Sizes = sizes?.ToArray();
        Tensors = tensors.ToArray();
        Channels = channels.ToArray();
        Pooling = pooling;
        Length = Channels.Sum() * PoolsPerTensor;
        BlockScale = 1f / MathF.Sqrt(Tensors.Length * PoolsPerTensor);
    }

    readonly float[][]? _centre; // CentredGemMax: each tensor's location weights, h·w values of mean 1

    public string[] Tensors { get; }
    /// <summary>Each tensor's map (height, width) where given (always for CentredGemMax), else null.</summary>
    public (int Height, int Width)[]? Sizes { get; }
    public int[] Channels { get; }
    public TeachPooling Pooling { get; }
    /// <summary>Blocks per tensor: 1 (average) or 2 (average or GeM, then maximum).</summary>
    public int PoolsPerTensor => Pooling == TeachPooling.Avg ? 1 : 2;
    /// <summary>GeM's exponent: the paper's 3. Over 8 live scene seeds with the ten variants, p = 2, 3, 4, 6 gave
    /// 72.2, 73.1, 73.4, 73.3% (experiments: teach-seeds --rows gem): flat past 3, so the usual value.</summary>
    internal const float GemPower = 3;
    /// <summary>CentredGemMax's σ as a fraction of the map's side: 1.5 cells of layer4's 7 (see the header).</summary>
    internal const float CentreSigma = 1.5f / 7;
    /// <summary>Whether the first block of each tensor is its generalised mean (GemMax, CentredGemMax).</summary>
    public bool IsGem => Pooling is TeachPooling.GemMax or TeachPooling.CentredGemMax;

    /// <summary>
    /// CentredGemMax's weight of each location of an <paramref name="h"/>×<paramref name="w"/> map, row-major:
    /// exp(−½((y−yc)²/σy² + (x−xc)²/σx²)), σ = <see cref="CentreSigma"/> of each side, scaled to mean 1 so that the
    /// weighted GeM is (mean of weight·max(x,0)^p)^(1/p), a weighted mean. A 1×1 map gets weight 1.
    /// </summary>
    internal static float[] CentreWeights(int h, int w)
    {
        if (h < 1 || w < 1) throw new ArgumentException($"a {h}x{w} map has no locations");
        var wt = new float[h * w];
        double sy = CentreSigma * h, sx = CentreSigma * w, yc = (h - 1) / 2.0, xc = (w - 1) / 2.0, sum = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                sum += wt[y * w + x] = (float)Math.Exp(-0.5 * ((y - yc) * (y - yc) / (sy * sy) + (x - xc) * (x - xc) / (sx * sx)));
        TensorPrimitives.Multiply(wt, (float)(h * w / sum), wt);
        return wt;
    }

    /// <summary>A tap's map (height, width) from its shape: [N,C,H,W], or 1×1 for a pooled [N,C] or [N,C,1,1].</summary>
    internal static (int Height, int Width) MapSize(int[] shape) => shape.Length == 4 ? (shape[2], shape[3]) : (1, 1);

    /// <summary>Tensor <paramref name="block"/>'s location weights (CentredGemMax), or null.</summary>
    internal ReadOnlySpan<float> Centre(int block) => _centre == null ? default : _centre[block];
    /// <summary>Values in one embedded frame.</summary>
    public int Length { get; }
    /// <summary>1/√blocks: each normalised block is scaled by it (the exported Gemm folds it into W).</summary>
    internal float BlockScale { get; }
    /// <summary>Where tensor <paramref name="block"/>'s values start (its average block; the max block follows it).</summary>
    internal int Offset(int block) { int o = 0; for (int i = 0; i < block; i++) o += Channels[i] * PoolsPerTensor; return o; }

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
        var wt = Centre(block);
        if (_centre != null && wt.Length != hw)
            throw new ArgumentException($"feature block '{Tensors[block]}' has {hw} locations per channel, its centre weights were made for {wt.Length}");
        var avg = embedding.Slice(Offset(block), c);
        for (int i = 0; i < c; i++)
        {
            var plane = map.Slice(i * hw, hw);
            avg[i] = IsGem ? Gem(plane, wt) : TensorPrimitives.Sum(plane) / hw;
        }
        Normalise(avg);
        if (Pooling == TeachPooling.Avg) return;
        var max = embedding.Slice(Offset(block) + c, c);
        for (int i = 0; i < c; i++)
        {
            var plane = map.Slice(i * hw, hw);
            if (wt.IsEmpty) { max[i] = TensorPrimitives.Max(plane); continue; }
            float m = 0; // weighted maximum of max(x,0), as the graph's Relu → Mul → GlobalMaxPool
            for (int j = 0; j < hw; j++) m = MathF.Max(m, wt[j] * plane[j]);
            max[i] = m;
        }
        Normalise(max);
    }

    /// <summary>Values of scratch <see cref="Cam"/> needs for a <paramref name="mapLength"/>-value map (0 unless the first block is a GeM).</summary>
    public int CamScratchLength(int mapLength) => IsGem ? mapLength : 0;

    /// <summary>
    /// The CAM of head row <paramref name="row"/> on the last tensor's map [C,h,w], min-max scaled to [0,1] into
    /// <paramref name="heat"/> (h·w values). Average pooling: Σ_c W[c]·F[c,y,x], Zhou et al.'s CAM (each location's
    /// share of the average). GeM: a location's share of channel c's generalised mean g_c is F^p/(h·w·g_c^(p−1)) (p = 3: F³/(h·w·g_c²)), since those
    /// shares add up to g_c; the CAM weighs them the same way, so it still sums to the block's part of the logit.
    /// Centred: the same with weight·F^p in place of F^p (the weighted mean's shares).
    /// <paramref name="scratch"/>: <see cref="CamScratchLength"/> values. Allocates nothing.
    /// </summary>
    public void Cam(TeachHead head, int row, ReadOnlySpan<float> map, int h, int w, Span<float> heat, Span<float> scratch)
    {
        int c = Channels[^1], hw = h * w;
        if (map.Length < c * hw) throw new ArgumentException($"the CAM map has {map.Length} values, {c}x{h}x{w} needs {c * hw}");
        if (IsGem)
        {
            var wt = Centre(Channels.Length - 1);
            if (!wt.IsEmpty && wt.Length != hw) throw new ArgumentException($"the CAM map is {h}x{w}, the centre weights were made for {wt.Length} locations");
            if (scratch.Length < c * hw) throw new ArgumentException($"CAM scratch has {scratch.Length} values, GeM needs {c * hw}");
            for (int i = 0; i < c; i++)
            {
                var plane = map.Slice(i * hw, hw);
                var share = scratch.Slice(i * hw, hw);
                for (int j = 0; j < hw; j++) share[j] = GemPow(plane[j]);
                if (!wt.IsEmpty) TensorPrimitives.Multiply(share, wt, share);
                // Σ x^p = h·w·g^p, so x^p/(h·w·g^(p−1)) = x^p·g/Σ x^p: scaled by g/Σ, the shares add up to g.
                float sum = TensorPrimitives.Sum(share), g = GemRoot(sum / hw);
                TensorPrimitives.Multiply(share, sum > 0 ? g / sum : 0, share);
            }
            map = scratch;
        }
        Realtime.Cam.Compute(map, c, h, w, CamWeights(head, row), 0, heat);
    }

    /// <summary>GeM of one channel's plane: (mean of [weight·]max(x,0)^p)^(1/p), p = <see cref="GemPower"/>; no weights = all 1.</summary>
    static float Gem(ReadOnlySpan<float> plane, ReadOnlySpan<float> weight)
    {
        float s = 0;
        if (weight.IsEmpty) for (int j = 0; j < plane.Length; j++) s += GemPow(plane[j]);
        else for (int j = 0; j < plane.Length; j++) s += weight[j] * GemPow(plane[j]);
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
