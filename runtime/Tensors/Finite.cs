using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Tensors;

/// <summary>
/// The one finiteness check for float tensors entering a backend. Policy (docs/reliability.md):
/// a NaN or ±Inf input is an error on every backend, never a result, because ORT turns it into
/// all-NaN logits while gl's ReLU/max turn it into plausible ones. Pixel inputs cannot be non-finite;
/// the check runs where float tensors enter (IInferenceBackend.Run / GlBackend.SetInput).
/// </summary>
internal static class Finite
{
    const int ExponentMask = 0x7F800000;   // all exponent bits set ⇔ NaN or ±Inf

    /// <summary>
    /// Index of the first NaN/±Inf in <paramref name="data"/>, or -1. A float is non-finite exactly when
    /// its bits without the sign are ≥ 0x7F800000, so the fast pass is a branch-free running max of
    /// (bits &amp; 0x7FFFFFFF) over 4 independent vector accumulators; only when that max says a bad value
    /// exists does a scalar pass locate it.
    /// </summary>
    public static int FirstNonFinite(ReadOnlySpan<float> data)
    {
        var bits = MemoryMarshal.Cast<float, uint>(data);
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= 4 * Vector<uint>.Count)
        {
            var abs = new Vector<uint>(0x7FFFFFFFu);
            Vector<uint> m0 = Vector<uint>.Zero, m1 = m0, m2 = m0, m3 = m0;
            var v = MemoryMarshal.Cast<uint, Vector<uint>>(bits);
            int n = v.Length & ~3;
            for (int k = 0; k < n; k += 4)
            {
                m0 = Vector.Max(m0, v[k] & abs);
                m1 = Vector.Max(m1, v[k + 1] & abs);
                m2 = Vector.Max(m2, v[k + 2] & abs);
                m3 = Vector.Max(m3, v[k + 3] & abs);
            }
            var m = Vector.Max(Vector.Max(m0, m1), Vector.Max(m2, m3));
            if (!Vector.GreaterThanOrEqualAny(m, new Vector<uint>((uint)ExponentMask)))
                i = n * Vector<uint>.Count;   // the vector part is clean: only the tail is left
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & (uint)ExponentMask) == (uint)ExponentMask) return i;
        return -1;
    }

    /// <summary>
    /// Copies <paramref name="src"/> into <paramref name="dst"/> and checks it in the same pass, so a
    /// backend that copies its input anyway (ORT's pinned input) pays ~nothing for the check: a separate
    /// pass is a second read of the whole tensor from memory. Throws like <see cref="Require"/>.
    /// </summary>
    public static void CopyRequire(ReadOnlySpan<float> src, Span<float> dst, string what = "input")
    {
        if (dst.Length < src.Length) throw new ArgumentException($"destination has {dst.Length} floats; {src.Length} needed");
        var s = MemoryMarshal.Cast<float, uint>(src);
        var d = MemoryMarshal.Cast<float, uint>(dst);
        int i = 0;
        bool clean = false;
        if (Vector.IsHardwareAccelerated && s.Length >= 2 * Vector<uint>.Count)
        {
            var abs = new Vector<uint>(0x7FFFFFFFu);
            Vector<uint> m0 = Vector<uint>.Zero, m1 = m0;
            var vs = MemoryMarshal.Cast<uint, Vector<uint>>(s);
            var vd = MemoryMarshal.Cast<uint, Vector<uint>>(d);
            int n = vs.Length & ~1;
            for (int k = 0; k < n; k += 2)
            {
                var a = vs[k]; var b = vs[k + 1];
                vd[k] = a; vd[k + 1] = b;
                m0 = Vector.Max(m0, a & abs);
                m1 = Vector.Max(m1, b & abs);
            }
            i = n * Vector<uint>.Count;
            clean = !Vector.GreaterThanOrEqualAny(Vector.Max(m0, m1), new Vector<uint>((uint)ExponentMask));
        }
        s[i..].CopyTo(d[i..]);
        if (!clean || FirstNonFinite(src[i..]) >= 0) Require(src, what);
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
