using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Tests.Goldens;

/// <summary>The golden files through the runtime's .npy reader, with shapes as long[] as ORT wants them.</summary>
internal static class GoldenNpy
{
    public static (float[] data, long[] shape) Read(string path)
    {
        var a = Npy.Read(path);
        return (a.Data, a.Shape.Select(d => (long)d).ToArray());
    }
}
