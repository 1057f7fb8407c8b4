using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>Models and calibration batches built in code for the quantizer's tests.</summary>
internal static class QuantTestData
{
    /// <summary>A ResNet from the project's builder, random weights with perturbed BN (so folding does something).</summary>
    public static OnnxModel ResNet(string name, int size, int classes = 10, int seed = 3) =>
        ResNetOnnxBuilder.Build(ResNetSpec.FromName(name, classes, 3, size), new ResNetBuildOptions { Seed = seed, PerturbBatchNorm = true });

    /// <summary>Batches of N(0,1) images (a normalised input's scale), seeded.</summary>
    public static List<CalibrationBatch> Gaussian(int images, int c, int h, int w, int seed, int perBatch = 4) =>
        CalibrationBatch.Gaussian(images, c, h, w, seed, perBatch);
}
