using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Ops;

namespace ResNetRealtime.Training.Layers;

/// <summary>nn.ReLU: y = max(x, 0), any shape. Keeps its output for the backward mask.</summary>
public sealed class ReLU : Module
{
    private Tensor _y, _dx;

    public ReLU(string name = "") : base(name) { }

    public override Tensor Forward(Tensor x)
    {
        Tensor.EnsureLike(ref _y, x);
        ReluOps.Relu(x.Data, _y.Data);
        return _y;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_y == null) throw new InvalidOperationException("ReLU: Backward before Forward");
        if (gradOut.Length != _y.Length) throw new ArgumentException($"ReLU {Name}: gradient {gradOut.ShapeString} != output {_y.ShapeString}");
        Tensor.EnsureLike(ref _dx, _y);
        ReluOps.ReluBackward(_y.Data, gradOut.Data, _dx.Data, accumulate: false);
        return _dx;
    }
}

/// <summary>nn.MaxPool2d(kernel, stride, padding): x [N, C, H, W] → [N, C, OH, OW].</summary>
public sealed class MaxPool2d : Module
{
    private Tensor _x, _y, _dx;
    private int[] _argmax;

    public MaxPool2d(string name = "", int kernel = 3, int stride = 2, int padding = 1) : base(name)
    {
        if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel)
            throw new ArgumentException($"MaxPool2d: bad kernel {kernel} stride {stride} padding {padding} (padding must be <= kernel/2)");
        Kernel = kernel; Stride = stride; Padding = padding;
    }

    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }

    public override Tensor Forward(Tensor x)
    {
        x.RequireNchw($"MaxPool2d {Name}", -1);
        int oh = PoolOps.OutSize(x.H, Kernel, Stride, Padding), ow = PoolOps.OutSize(x.W, Kernel, Stride, Padding);
        if (oh < 1 || ow < 1) throw new ArgumentException($"MaxPool2d {Name}: input {x.ShapeString} too small for kernel {Kernel} padding {Padding}");
        _x = x;
        Tensor.Ensure(ref _y, x.N, x.C, oh, ow);
        if (_argmax == null || _argmax.Length != _y.Length) _argmax = new int[_y.Length];
        PoolOps.MaxPoolForward(x.N, x.C, x.H, x.W, Kernel, Stride, Padding, x.Data, _y.Data, _argmax);
        return _y;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_x == null) throw new InvalidOperationException("MaxPool2d: Backward before Forward");
        if (!gradOut.Shape.AsSpan().SequenceEqual(_y.Shape)) throw new ArgumentException($"MaxPool2d {Name}: gradient {gradOut.ShapeString} != output {_y.ShapeString}");
        Tensor.EnsureLike(ref _dx, _x).Clear();
        PoolOps.MaxPoolBackward(_x.N, _x.C, _x.H, _x.W, _y.H, _y.W, _argmax, gradOut.Data, _dx.Data);
        return _dx;
    }
}

/// <summary>AdaptiveAvgPool2d(1) + flatten: x [N, C, H, W] → [N, C].</summary>
public sealed class GlobalAvgPool : Module
{
    private Tensor _x, _y, _dx;

    public GlobalAvgPool(string name = "") : base(name) { }

    public override Tensor Forward(Tensor x)
    {
        x.RequireNchw($"GlobalAvgPool {Name}", -1);
        _x = x;
        Tensor.Ensure(ref _y, x.N, x.C);
        PoolOps.GlobalAvgPoolForward(x.N, x.C, x.H * x.W, x.Data, _y.Data);
        return _y;
    }

    public override Tensor Backward(Tensor gradOut)
    {
        if (_x == null) throw new InvalidOperationException("GlobalAvgPool: Backward before Forward");
        if (!gradOut.HasShape(_x.N, _x.C)) throw new ArgumentException($"GlobalAvgPool {Name}: gradient {gradOut.ShapeString} != output [{_x.N},{_x.C}]");
        Tensor.EnsureLike(ref _dx, _x).Clear();
        PoolOps.GlobalAvgPoolBackward(_x.N, _x.C, _x.H * _x.W, gradOut.Data, _dx.Data);
        return _dx;
    }
}
