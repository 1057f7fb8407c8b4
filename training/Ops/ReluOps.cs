using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ResNetRealtime.Training.Ops;

/// <summary>
/// ReLU and the residual add, elementwise over any shape (length L):
///   Relu:     y = max(x, 0);              backward dx += dy · [y > 0]
///   AddRelu:  y = max(a + b, 0)  (the end of a residual block); backward is Relu's on y.
///   Add:      y = a + b.
/// The ReLU mask is taken from the OUTPUT (y > 0 ⇔ x > 0), so callers need keep only y.
/// Vector512 → Vector256 → scalar tail; memory-bound, so single-threaded per call is enough at these sizes
/// except for large tensors, which are split across workers.
/// </summary>
public static class ReluOps
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluReference(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackwardReference(float[] y, float[] dy, float[] dx)
    {
        for (int i = 0; i < y.Length; i++) if (y[i] > 0) dx[i] += dy[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(float[] x, float[] y)
    {
        SameLength(x, y, "relu");
        Elementwise.Split(x.Length, (s, e) => ReluSpan(x.AsSpan(s, e - s), y.AsSpan(s, e - s)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(float[] y, float[] dy, float[] dx) => ReluBackward(y, dy, dx, true);

    /// <summary>ReluBackward with <paramref name="accumulate"/> false: dx = dy·[y &gt; 0] (overwritten, no clearing pass needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ReluBackward(float[] y, float[] dy, float[] dx, bool accumulate)
    {
        SameLength(y, dy, "relu backward"); SameLength(y, dx, "relu backward");
        if (accumulate) Elementwise.Split(y.Length, (s, e) => ReluBackwardSpan(y.AsSpan(s, e - s), dy.AsSpan(s, e - s), dx.AsSpan(s, e - s)));
        else Elementwise.Split(y.Length, (s, e) => ReluMaskSpan(y.AsSpan(s, e - s), dy.AsSpan(s, e - s), dx.AsSpan(s, e - s)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluMaskSpan(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= y.Length - 16; i += 16)
                (Vector512.Create(dy.Slice(i, 16)) & Vector512.GreaterThan(Vector512.Create(y.Slice(i, 16)), Vector512<float>.Zero)).CopyTo(dx.Slice(i, 16));
        if (Vector256.IsHardwareAccelerated)
            for (; i <= y.Length - 8; i += 8)
                (Vector256.Create(dy.Slice(i, 8)) & Vector256.GreaterThan(Vector256.Create(y.Slice(i, 8)), Vector256<float>.Zero)).CopyTo(dx.Slice(i, 8));
        for (; i < y.Length; i++) dx[i] = y[i] > 0 ? dy[i] : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float[] a, float[] b, float[] y)
    {
        SameLength(a, b, "add"); SameLength(a, y, "add");
        Elementwise.Split(a.Length, (s, e) =>
        {
            var av = a.AsSpan(s, e - s); var bv = b.AsSpan(s, e - s); var yv = y.AsSpan(s, e - s);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i <= av.Length - 16; i += 16) (Vector512.Create(av.Slice(i, 16)) + Vector512.Create(bv.Slice(i, 16))).CopyTo(yv.Slice(i, 16));
            for (; i < av.Length; i++) yv[i] = av[i] + bv[i];
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddRelu(float[] a, float[] b, float[] y)
    {
        SameLength(a, b, "add+relu"); SameLength(a, y, "add+relu");
        Elementwise.Split(a.Length, (s, e) => AddReluSpan(a.AsSpan(s, e - s), b.AsSpan(s, e - s), y.AsSpan(s, e - s)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluSpan(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - 16; i += 16) Vector512.Max(Vector512.Create(x.Slice(i, 16)), Vector512<float>.Zero).CopyTo(y.Slice(i, 16));
        if (Vector256.IsHardwareAccelerated)
            for (; i <= x.Length - 8; i += 8) Vector256.Max(Vector256.Create(x.Slice(i, 8)), Vector256<float>.Zero).CopyTo(y.Slice(i, 8));
        for (; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddReluSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= a.Length - 16; i += 16) Vector512.Max(Vector512.Create(a.Slice(i, 16)) + Vector512.Create(b.Slice(i, 16)), Vector512<float>.Zero).CopyTo(y.Slice(i, 16));
        if (Vector256.IsHardwareAccelerated)
            for (; i <= a.Length - 8; i += 8) Vector256.Max(Vector256.Create(a.Slice(i, 8)) + Vector256.Create(b.Slice(i, 8)), Vector256<float>.Zero).CopyTo(y.Slice(i, 8));
        for (; i < a.Length; i++) { float s = a[i] + b[i]; y[i] = s > 0 ? s : 0f; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluBackwardSpan(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= y.Length - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(y.Slice(i, 16)), Vector512<float>.Zero);
                (Vector512.Create(dx.Slice(i, 16)) + (Vector512.Create(dy.Slice(i, 16)) & mask)).CopyTo(dx.Slice(i, 16));
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i <= y.Length - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(y.Slice(i, 8)), Vector256<float>.Zero);
                (Vector256.Create(dx.Slice(i, 8)) + (Vector256.Create(dy.Slice(i, 8)) & mask)).CopyTo(dx.Slice(i, 8));
            }
        for (; i < y.Length; i++) if (y[i] > 0) dx[i] += dy[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SameLength(float[] a, float[] b, string who)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{who}: tensor lengths differ ({a.Length} vs {b.Length})");
    }
}

/// <summary>Splits a memory-bound elementwise loop across workers when it is large enough to pay for it.</summary>
internal static class Elementwise
{
    // Below this many elements a second thread costs more than it saves.
    private const int MinPerPart = 1 << 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Split(int length, Action<int, int> body)
    {
        // A few parts per thread (claimed dynamically), each at least MinPerPart values.
        int parts = Math.Max(1, Math.Min(Kernels.Workers.Parts(length), length / MinPerPart));
        if (parts == 1) { body(0, length); return; }
        Kernels.Workers.For(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int p) =>
        {
            // Chunk boundaries on multiples of 16 keep the vector loops aligned with each other.
            var (s, e) = Kernels.Workers.Chunk(length / 16, p, parts);
            s *= 16; e = p == parts - 1 ? length : e * 16;
            body(s, e);
        });
    }
}
