// `rr infer --taps ...,pool` on a feature extractor: the pool tap IS the model's output (the ML.NET ResNet-18
// featurizer of `pretrained:resnet18` ends at its global pool, no fc). It used to fail with "the model has no output
// besides the taps". Here a ResNet-18 built by the project's ONNX builder ending at the pooled features stands in for
// the 63 MB download: same shape of graph ([N,512,1,1] out of GlobalAveragePool, nothing after it).
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Cli;

public class InferPoolTapTests
{
    [Test]
    public void Pool_tap_of_a_feature_extractor_is_its_output()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "infer-pool-tap");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        string model = Path.Combine(dir, "featurizer.onnx"), x = Path.Combine(dir, "x.npy"), y = Path.Combine(dir, "y.npy"), taps = Path.Combine(dir, "taps");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", 10, 3, 64), new ResNetBuildOptions { Seed = 5, Output = ResNetOutput.PooledFeatures }).Save(model);
        var rng = new Random(2);
        Npy.Write(x, Enumerable.Range(0, 2 * 3 * 64 * 64).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray(), new[] { 2, 3, 64, 64 });

        var r = CliRunner.Run("infer", "--model", model, "--input", x, "--output", y, "--taps", "stem,layer1,layer4,pool", "--taps-out", taps, "--threads", "1");
        Assert.That(r.code, Is.Zero, r.stderr);
        Assert.That(r.stdout, Does.Contain("feature extractor: 512 features"));

        var output = Npy.Read(y);
        var pool = Npy.Read(Path.Combine(taps, "pool.npy"));
        var layer4 = Npy.Read(Path.Combine(taps, "layer4.npy"));
        Assert.That(pool.Shape, Is.EqualTo(new[] { 2, 512, 1, 1 }));
        Assert.That(output.Shape, Is.EqualTo(pool.Shape));
        Assert.That(pool.Data, Is.EqualTo(output.Data), "the pool tap is the model's output tensor, bit for bit");
        Assert.That(pool.Data.Any(v => v != 0), Is.True, "the pool tap was filled, not left as an unbound zero buffer");
        Assert.That(File.Exists(Path.Combine(taps, "stem.npy")) && File.Exists(Path.Combine(taps, "layer1.npy")), Is.True);

        // An independent check that "pool" is the pooled layer4: the spatial mean of the layer4 tap ([2,512,2,2] at 64²).
        // 1e-5 relative: ORT averages 4 float32 values in float32, this in double — they differ by a few ulps at most.
        Assert.That(layer4.Shape, Is.EqualTo(new[] { 2, 512, 2, 2 }));
        int hw = layer4.Shape[2] * layer4.Shape[3];
        for (int i = 0; i < 2 * 512; i++)
        {
            double mean = 0;
            for (int k = 0; k < hw; k++) mean += layer4.Data[i * hw + k];
            mean /= hw;
            Assert.That(pool.Data[i], Is.EqualTo(mean).Within(1e-5 * Math.Max(1, Math.Abs(mean))), $"feature {i}");
        }
    }
}
