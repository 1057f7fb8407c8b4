// TeachMath: the few vector loops the teach head needs (the runtime takes no tensor package for them).
// Vector<float> over the bulk, scalar tail; lengths are the feature count (512 or 768), so the tail is rare.
using System.Numerics;
using System.Runtime.InteropServices;

namespace ResNetRealtime.Runtime.Teach;

internal static class TeachMath
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length, i = 0;
        var acc = Vector<float>.Zero;
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b[..n]);
        for (; i < va.Length; i++) acc += va[i] * vb[i];
        float s = Vector.Sum(acc);
        for (i *= Vector<float>.Count; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y += a·x</summary>
    public static void AddScaled(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        int n = x.Length, i = 0;
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
        var va = new Vector<float>(a);
        for (; i < vx.Length; i++) vy[i] += va * vx[i];
        for (i *= Vector<float>.Count; i < n; i++) y[i] += a * x[i];
    }

    public static void Scale(Span<float> y, float a)
    {
        for (int i = 0; i < y.Length; i++) y[i] *= a;
    }
}
