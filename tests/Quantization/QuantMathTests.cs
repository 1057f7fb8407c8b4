using NUnit.Framework;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Tests.Onnx;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>
/// QuantizeLinear/DequantizeLinear arithmetic against two references: the ONNX formula written out
/// naively here (double precision), and ONNX Runtime's own QuantizeLinear → DequantizeLinear on the
/// same values (the consumer that has to agree bit for bit). Sizes leave remainders (1, 7, 13, 127).
/// </summary>
[TestFixture]
public class QuantMathTests
{
    static float[] Values(int n, int seed, float spread)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * spread)).ToArray();
    }

    static int NaiveQuantize(float x, float scale, int zp, int lo, int hi)
    {
        double v = x / scale;   // the float32 quotient, as ORT computes it
        double r = Math.Floor(v);
        double frac = v - r;
        if (frac > 0.5 || (frac == 0.5 && r % 2 != 0)) r += 1;   // round half to even, by hand
        return (int)Math.Max(lo, Math.Min(hi, r + zp));
    }

    [TestCase(1, -0.5f, 2.0f)]
    [TestCase(7, 0f, 6.0f)]
    [TestCase(13, -3.25f, 0.75f)]
    [TestCase(127, -1e-3f, 1e-3f)]
    [TestCase(1000, 0.5f, 9f)]
    public void ActivationRoundTripMatchesTheNaiveFormulaAndOrt(int n, float min, float max)
    {
        var q = ActivationQuant.FromRange(min, max);
        Assert.That(q.Scale, Is.GreaterThan(0));
        // 0 is exactly representable whatever the range (Conv zero padding, ReLU's floor).
        Assert.That(QuantMath.Dequantize(QuantMath.QuantizeU8(0f, q.Scale, q.ZeroPoint), q.Scale, q.ZeroPoint), Is.EqualTo(0f));
        // Values inside the range, beyond it (saturation) and on exact half steps (rounding).
        var x = Values(n, n, Math.Max(Math.Abs(min), Math.Abs(max)) * 1.3f);
        for (int i = 0; i < Math.Min(n, 5); i++) x[i] = (i - q.ZeroPoint + 0.5f) * q.Scale;
        var ours = new float[n];
        for (int i = 0; i < n; i++)
        {
            byte b = QuantMath.QuantizeU8(x[i], q.Scale, q.ZeroPoint);
            Assert.That(b, Is.EqualTo(NaiveQuantize(x[i], q.Scale, q.ZeroPoint, 0, 255)), $"x[{i}] = {x[i]}, scale {q.Scale}, zp {q.ZeroPoint}");
            ours[i] = QuantMath.Dequantize(b, q.Scale, q.ZeroPoint);
            double lo = Math.Min(min, 0), hi = Math.Max(max, 0);
            if (x[i] >= lo && x[i] <= hi) Assert.That(Math.Abs(ours[i] - x[i]), Is.LessThanOrEqualTo(q.Scale * 0.5f * 1.0001f), $"x[{i}] = {x[i]}");
        }
        var ort = OrtQdq(x, [n], [q.Scale], [q.ZeroPoint], OnnxDataType.UInt8, axis: null);
        Assert.That(ort, Is.EqualTo(ours), "ORT's QuantizeLinear → DequantizeLinear");
    }

    [Test]
    public void AsymmetricRangeParameters()
    {
        Assert.That(ActivationQuant.FromRange(0, 2.55f), Is.EqualTo(new ActivationQuant(0.01f, 0)));
        var q = ActivationQuant.FromRange(-1f, 3f);
        Assert.That(q.Scale, Is.EqualTo(4f / 255f).Within(1e-7f));
        Assert.That(q.ZeroPoint, Is.EqualTo(64));   // round(1 / (4/255)) = round(63.75)
        Assert.That(ActivationQuant.FromRange(2f, 5f).ZeroPoint, Is.EqualTo(0), "a range above 0 is widened to include 0");
        Assert.That(ActivationQuant.FromRange(0, 0), Is.EqualTo(new ActivationQuant(1f, 0)), "a dead tensor still gets a valid scale");
        Assert.That(() => ActivationQuant.FromRange(1, -1), Throws.ArgumentException.With.Message.Contains("[1, -1]"));
        Assert.That(() => ActivationQuant.FromRange(float.NaN, 1), Throws.ArgumentException);
    }

    [TestCase(1, 1)]
    [TestCase(7, 13)]
    [TestCase(16, 27)]
    [TestCase(3, 127)]
    public void PerChannelScaleIsMaxAbsOver127AndMatchesOrt(int channels, int per)
    {
        var w = Values(channels * per, channels * 31 + per, 0.7f);
        if (channels > 2) for (int i = 0; i < per; i++) w[2 * per + i] = 0;   // an all-zero channel
        var scales = QuantMath.WeightScales(w, channels);
        for (int c = 0; c < channels; c++)
        {
            float m = w.Skip(c * per).Take(per).Max(Math.Abs);
            Assert.That(scales[c], Is.EqualTo(m > 0 ? m / 127f : 1f), $"channel {c}");
        }
        var q = QuantMath.QuantizeWeights(w, scales);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.That(q[i], Is.EqualTo(NaiveQuantize(w[i], scales[i / per], 0, -128, 127)), $"w[{i}]");
            Assert.That((int)q[i], Is.InRange(-127, 127), "symmetric: -128 is never used");
        }
        Assert.That(Enumerable.Range(0, channels).All(c => c == 2 && channels > 2 || q.Skip(c * per).Take(per).Max(v => Math.Abs((int)v)) == 127),
            "the largest weight of each non-zero channel maps to ±127");
        var ours = q.Select((v, i) => QuantMath.Dequantize(v, scales[i / per], 0)).ToArray();
        var ort = OrtQdq(w, [channels, per], scales, new byte[channels], OnnxDataType.Int8, axis: 0);
        Assert.That(ort, Is.EqualTo(ours), "ORT's per-channel (axis 0) QuantizeLinear → DequantizeLinear");
    }

    [Test]
    public void BiasIsInt32AtTheAccumulatorScale()
    {
        var (values, scales) = QuantMath.QuantizeBias([0.5f, -0.25f, 0f], 0.1f, [0.01f, 0.02f, 0.5f]);
        Assert.That(scales, Is.EqualTo(new[] { 0.1f * 0.01f, 0.1f * 0.02f, 0.1f * 0.5f }));
        Assert.That(values, Is.EqualTo(new[] { 500, -125, 0 }));
        Assert.That(() => QuantMath.QuantizeBias([1f], 0.1f, [1f, 2f]), Throws.ArgumentException.With.Message.Contains("1 values").And.Message.Contains("2 output channels"));
        Assert.That(() => QuantMath.WeightScales(new float[10], 3), Throws.ArgumentException.With.Message.Contains("10 weights"));
    }

    /// <summary>x → QuantizeLinear → DequantizeLinear on ORT; zero points as bytes of the given type.</summary>
    static float[] OrtQdq(float[] x, long[] dims, float[] scale, byte[] zp, OnnxDataType type, int? axis)
    {
        var g = new OnnxGraph { Name = "qdq" };
        g.Inputs.Add(new OnnxValueInfo("x", OnnxDataType.Float, dims.Select(d => new OnnxDim(d)).ToArray()));
        g.Outputs.Add(new OnnxValueInfo("y", OnnxDataType.Float, dims.Select(d => new OnnxDim(d)).ToArray()));
        long[] pdims = axis == null ? [] : [scale.Length];
        g.Initializers.Add(OnnxTensor.FromFloats("s", pdims, scale));
        g.Initializers.Add(new OnnxTensor { Name = "z", Dims = pdims, DataType = type, RawData = zp });
        var attrs = axis == null ? Array.Empty<OnnxAttribute>() : [OnnxAttribute.Int("axis", axis.Value)];
        g.Nodes.Add(new OnnxNode("QuantizeLinear", "q", ["x", "s", "z"], ["xq"], attrs));
        g.Nodes.Add(new OnnxNode("DequantizeLinear", "dq", ["xq", "s", "z"], ["y"], attrs));
        var m = new OnnxModel { IrVersion = 8, ProducerName = "tests", Graph = g, OpsetImports = [new OnnxOpset("", 13)] };
        return OrtTestRunner.Run(m.ToBytes(), "x", x, dims, "y")["y"].Data;
    }
}
