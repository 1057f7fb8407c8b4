namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// The GL backend's layer kinds: one line per <see cref="GlKernel"/>. The ONNX builder offers each node to the kernels
/// in this order (so a Sub/Add of a constant image reaches BiasImage before Add, and Add of two activations reaches Add
/// before the MatMul-bias fold in FullyConnected). <see cref="GlOp.Kind"/> holds one of these instances.
/// </summary>
internal static class GlOpKind
{
    static readonly List<GlKernel> Registered = new();
    static T Register<T>(T kernel) where T : GlKernel { Registered.Add(kernel); return kernel; }

    public static readonly GlKernel Conv = Register(new GlConv());
    public static readonly GlKernel Affine = Register(new GlAffine());
    public static readonly GlKernel Relu = Register(new GlRelu());
    public static readonly GlKernel BiasImage = Register(new GlBiasImage());
    public static readonly GlKernel Add = Register(new GlAdd());
    public static readonly GlKernel FullyConnected = Register(new GlFullyConnected());
    public static readonly GlKernel MaxPool = Register(new GlMaxPool());
    public static readonly GlKernel GlobalAvgPool = Register(new GlGlobalAvgPool());

    /// <summary>Every kernel, in registration order.</summary>
    public static IReadOnlyList<GlKernel> All => Registered;
}
