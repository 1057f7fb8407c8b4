namespace ResNetRealtime.Training.Engine;

/// <summary>
/// A dense float32 tensor in row-major (NCHW for images, [N, F] for features) order.
/// Layers own their output and input-gradient tensors and reuse them from step to step
/// (<see cref="Ensure(ref Tensor,int,int,int,int)"/>), so a training step in steady state allocates
/// nothing. Consequence for callers: a tensor a layer returns stays valid only until that layer's
/// next Forward (or Backward, for gradients).
/// </summary>
public sealed class Tensor
{
    public Tensor(params int[] shape) : this(null, shape) { }

    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor shape [{string.Join(",", shape)}] has a negative dimension");
            n *= d;
        }
        if (n > Array.MaxLength) throw new ArgumentException($"tensor shape [{string.Join(",", shape)}] has {n} elements, more than an array holds");
        Shape = (int[])shape.Clone();
        Data = data ?? new float[n];
        if (Data.Length != n) throw new ArgumentException($"tensor data length {Data.Length} != product of shape [{string.Join(",", shape)}] = {n}");
    }

    public int[] Shape { get; }
    /// <summary>Exactly <see cref="Length"/> elements.</summary>
    public float[] Data { get; }
    public int Length => Data.Length;
    public int Rank => Shape.Length;
    public int N => Shape[0];
    public int C => Shape[1];
    public int H => Shape[2];
    public int W => Shape[3];
    public Span<float> Span => Data;

    public override string ToString() => $"Tensor[{string.Join(",", Shape)}]";
    public string ShapeString => "[" + string.Join(",", Shape) + "]";

    public bool HasShape(int n, int c, int h, int w) =>
        Shape.Length == 4 && Shape[0] == n && Shape[1] == c && Shape[2] == h && Shape[3] == w;

    public bool HasShape(int n, int f) => Shape.Length == 2 && Shape[0] == n && Shape[1] == f;

    /// <summary>Reuses <paramref name="t"/> when it already has this 4-D shape, else allocates.</summary>
    public static Tensor Ensure(ref Tensor t, int n, int c, int h, int w)
    {
        if (t == null || !t.HasShape(n, c, h, w)) t = new Tensor(n, c, h, w);
        return t;
    }

    /// <summary>Reuses <paramref name="t"/> when it already has this 2-D shape, else allocates.</summary>
    public static Tensor Ensure(ref Tensor t, int n, int f)
    {
        if (t == null || !t.HasShape(n, f)) t = new Tensor(n, f);
        return t;
    }

    /// <summary>Reuses <paramref name="t"/> when it has the same shape as <paramref name="like"/>.</summary>
    public static Tensor EnsureLike(ref Tensor t, Tensor like)
    {
        if (t == null || !t.Shape.AsSpan().SequenceEqual(like.Shape)) t = new Tensor(like.Shape);
        return t;
    }

    public void Clear() => Array.Clear(Data);

    public Tensor Clone() => new Tensor((float[])Data.Clone(), Shape);

    /// <summary>Throws with both shapes when this is not a 4-D NCHW tensor with <paramref name="channels"/> channels.</summary>
    internal void RequireNchw(string who, int channels)
    {
        if (Rank != 4) throw new ArgumentException($"{who}: expected a 4-D NCHW input, got {ShapeString}");
        if (channels >= 0 && C != channels) throw new ArgumentException($"{who}: expected {channels} input channels, got {ShapeString}");
    }
}
