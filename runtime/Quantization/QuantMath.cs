// QuantMath: the scalar arithmetic of ONNX QuantizeLinear / DequantizeLinear and the two parameter
// choices the quantizer makes. One owner for these formulas: the rewriter, the calibrators' tests
// and any future int8 backend call these.
//
//   QuantizeLinear:   q = saturate(round_half_to_even(x / scale) + zero_point)   (ONNX spec)
//   DequantizeLinear: x = (q - zero_point) * scale
//
// Activations: per-tensor uint8, asymmetric. The range is widened to contain 0 so that 0 (ReLU's
// floor, Conv padding) is exactly representable; a range starting at 0 gives zero point 0, which is
// what lets ONNX Runtime drop a ReLU in front of a QuantizeLinear (ReluQuantFusion).
// Weights: per output channel int8, symmetric (zero point 0), scale = max|w| / 127, so -127..127 is
// used and -128 never is (the u8s8 kernels of ORT/MLAS assume that).
namespace ResNetRealtime.Runtime.Quantization;

/// <summary>Per-tensor uint8 quantization parameters of an activation.</summary>
internal readonly record struct ActivationQuant(float Scale, byte ZeroPoint)
{
    /// <summary>
    /// Parameters covering [min, max] ∪ {0} with 256 levels. A degenerate range (max == min, e.g. a
    /// dead ReLU that is always 0) gets scale 1 so the tensor is still valid and dequantizes to 0.
    /// </summary>
    public static ActivationQuant FromRange(float min, float max)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || min > max)
            throw new ArgumentException($"activation range [{min}, {max}] is not a range (min must be <= max, no NaN)");
        if (float.IsInfinity(min) || float.IsInfinity(max))
            throw new ArgumentException($"activation range [{min}, {max}] is not finite");
        double lo = Math.Min(min, 0.0), hi = Math.Max(max, 0.0);
        if (hi - lo <= 0) return new ActivationQuant(1f, 0);
        float scale = (float)((hi - lo) / 255.0);
        double zp = Math.Round(-lo / scale, MidpointRounding.ToEven);
        return new ActivationQuant(scale, (byte)Math.Clamp(zp, 0, 255));
    }
}

internal static class QuantMath
{
    /// <summary>Largest int8 magnitude used for weights (symmetric: -127..127).</summary>
    public const int WeightLevels = 127;

    // x / scale in float32, as ORT's kernels divide (MLAS): a double quotient rounds differently
    // at exact half steps, and the weights written here must be the ones ORT would have computed.
    public static byte QuantizeU8(float x, float scale, byte zeroPoint)
    {
        float q = MathF.Round(x / scale, MidpointRounding.ToEven) + zeroPoint;
        return (byte)Math.Clamp(q, 0f, 255f);
    }

    public static sbyte QuantizeS8(float x, float scale, sbyte zeroPoint = 0)
    {
        float q = MathF.Round(x / scale, MidpointRounding.ToEven) + zeroPoint;
        return (sbyte)Math.Clamp(q, -128f, 127f);
    }

    public static float Dequantize(int q, float scale, int zeroPoint) => (q - zeroPoint) * scale;

    /// <summary>
    /// Symmetric per-channel weight scales: weights [channels][per] (row-major, channel = axis 0),
    /// scale[c] = max|w[c,:]| / 127. An all-zero channel gets scale 1 (any positive scale represents it).
    /// </summary>
    public static float[] WeightScales(ReadOnlySpan<float> weights, int channels)
    {
        if (channels <= 0 || weights.Length % channels != 0)
            throw new ArgumentException($"{weights.Length} weights do not split into {channels} output channels");
        int per = weights.Length / channels;
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float m = 0;
            foreach (float w in weights.Slice(c * per, per))
            {
                if (!float.IsFinite(w)) throw new ArgumentException($"weight of output channel {c} is {w}: weights must be finite to quantize");
                m = Math.Max(m, Math.Abs(w));
            }
            scales[c] = m > 0 ? m / WeightLevels : 1f;
        }
        return scales;
    }

    /// <summary>Per-channel symmetric int8 of weights [channels][per] with the given scales (zero point 0).</summary>
    public static sbyte[] QuantizeWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> scales)
    {
        int channels = scales.Length;
        if (channels == 0 || weights.Length % channels != 0)
            throw new ArgumentException($"{weights.Length} weights do not split into {channels} output channels");
        int per = weights.Length / channels;
        var q = new sbyte[weights.Length];
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < per; i++) q[c * per + i] = QuantizeS8(weights[c * per + i], scales[c]);
        return q;
    }

    /// <summary>
    /// Conv/Gemm bias as int32 with scale input_scale · weight_scale[c] and zero point 0 — the
    /// accumulator's scale, so ORT adds it to the integer sum without rescaling (as quantize_static does).
    /// </summary>
    public static (int[] Values, float[] Scales) QuantizeBias(ReadOnlySpan<float> bias, float inputScale, ReadOnlySpan<float> weightScales)
    {
        if (bias.Length != weightScales.Length)
            throw new ArgumentException($"bias has {bias.Length} values, the weights {weightScales.Length} output channels");
        var values = new int[bias.Length];
        var scales = new float[bias.Length];
        for (int c = 0; c < bias.Length; c++)
        {
            scales[c] = inputScale * weightScales[c];
            double q = Math.Round(bias[c] / (double)scales[c], MidpointRounding.ToEven);
            values[c] = (int)Math.Clamp(q, int.MinValue, int.MaxValue);
        }
        return (values, scales);
    }
}
