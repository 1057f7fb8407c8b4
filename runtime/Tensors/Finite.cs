using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Tensors;

/// <summary>
/// The one finiteness check for float tensors entering a backend. Policy (README "Non-finite numbers"):
/// a NaN or ±Inf input is an error on every backend, never a result, because ORT turns it into
/// all-NaN logits while gl's ReLU/max turn it into plausible ones. Pixel inputs cannot be non-finite;
/// the check runs where float tensors enter (IInferenceBackend.Run / GlBackend.SetInput).
/// </summary>
public static class Finite
{
    const int ExponentMask = 0x7F800000;   // all exponent bits set ⇔ NaN or ±Inf

    /// <summary>Index of the first NaN/±Inf in <paramref name="data"/>, or -1. Vectorised on the exponent bits.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> data)
    {
        var bits = MemoryMarshal.Cast<float, int>(data);
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<int>.Count)
        {
            var mask = new Vector<int>(ExponentMask);
            var vectors = MemoryMarshal.Cast<int, Vector<int>>(bits);
            for (int v = 0; v < vectors.Length; v++)
            {
                // Any lane whose exponent is all ones: locate it in the scalar loop below.
                if (Vector.EqualsAny(vectors[v] & mask, mask)) { i = v * Vector<int>.Count; goto scalar; }
            }
            i = vectors.Length * Vector<int>.Count;
        }
    scalar:
        for (; i < bits.Length; i++)
            if ((bits[i] & ExponentMask) == ExponentMask) return i;
        return -1;
    }

    /// <summary>Throws an ArgumentException naming the first non-finite element and its value.</summary>
    public static void Require(ReadOnlySpan<float> data, string what = "input")
    {
        int at = FirstNonFinite(data);
        if (at >= 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {at} of {data.Length} is {data[at]}: inputs must be finite (NaN and ±Inf are rejected)"));
    }
}
