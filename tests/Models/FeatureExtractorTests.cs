// Feature extractors: a ResNet built without its fc (ResNetOutput.PooledFeatures / FlatFeatures) is
// reported as one (ModelInspector's head rule), the Classifier returns its raw features with no top-k,
// and `rr infer` prints "feature extractor: N features" and writes the output in the model's own shape.
using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Models;

public class FeatureExtractorTests
{
    // ResNet-18 at 32x32 keeps the test fast; the head (512 features after the pool) is the ImageNet one.
    static readonly ResNetSpec Spec = ResNetSpec.FromName("resnet18", numClasses: 10, inChannels: 3, inputSize: 32);
    const int Seed = 5;

    static OnnxModel Headless(ResNetOutput output) => ResNetOnnxBuilder.Build(Spec, new ResNetBuildOptions { Seed = Seed, Output = output });

    static float[] Input(int batch)
    {
        var rng = new Random(11);
        var x = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        return x;
    }

    [TestCase(nameof(ResNetOutput.PooledFeatures), new long[] { -1, 512, 1, 1 })]
    [TestCase(nameof(ResNetOutput.FlatFeatures), new long[] { -1, 512 })]
    // The enum by name: ResNetOutput is internal to the tools assembly, and a public test method cannot take it.
    public void Headless_resnet_is_a_feature_extractor(string outputName, long[] shape)
    {
        var output = Enum.Parse<ResNetOutput>(outputName);
        var info = ModelInspector.Inspect(Headless(output));
        Assert.That(info.Head, Is.EqualTo(HeadKind.FeatureExtractor));
        Assert.That(info.Classes, Is.EqualTo(512));
        Assert.That(info.OutputShape, Is.EqualTo(shape));
        Assert.That(info.ResNet.BlocksPerStage, Is.EqualTo(new[] { 2, 2, 2, 2 }));
        Assert.That(info.ToString(), Does.Contain("512 features"));
    }

    [Test]
    public void Labels_or_a_weighted_layer_after_the_pool_mean_a_classifier()
    {
        Assert.That(ModelInspector.Inspect(ResNetOnnxBuilder.Build(Spec, Seed)).Head, Is.EqualTo(HeadKind.Classifier), "fc (Gemm) last");
        var labelled = Headless(ResNetOutput.PooledFeatures);
        labelled.SetMetadata(MetadataKeys.Labels, MetadataKeys.FormatLabels(Enumerable.Range(0, 512).Select(i => $"n{i}")));
        Assert.That(ModelInspector.Inspect(labelled).Head, Is.EqualTo(HeadKind.Classifier), "labels name classes");

        // Pool -> 1x1 Conv -> [N,4,1,1]: the same shape as pooled features, but a classifier written as a conv.
        var m = new OnnxModel { IrVersion = 8, OpsetImports = [new OnnxOpset(null, 17)] };
        var g = m.Graph;
        g.Inputs.Add(new OnnxValueInfo("x", OnnxDataType.Float, "N", 3, 8, 8));
        g.Outputs.Add(new OnnxValueInfo("y", OnnxDataType.Float, "N", 4, 1, 1));
        g.Initializers.Add(OnnxTensor.FromFloats("w", new long[] { 4, 3, 1, 1 }, new float[12]));
        g.Nodes.Add(new OnnxNode("GlobalAveragePool", "p", ["x"], ["p"]));
        g.Nodes.Add(new OnnxNode("Conv", "c", ["p", "w"], ["y"]));
        Assert.That(ModelInspector.Inspect(m).Head, Is.EqualTo(HeadKind.Classifier));
    }

    [Test]
    public void Classifier_returns_the_features_and_no_top_k()
    {
        var x = Input(2);
        using var feat = Classifier.Create(Headless(ResNetOutput.PooledFeatures), new ClassifierOptions { MaxBatch = 2 });
        // Reference: the same weights (seeded per tensor name) with the fc, tapping its pool output.
        using var full = Classifier.Create(ResNetOnnxBuilder.Build(Spec, Seed), new ClassifierOptions { MaxBatch = 2, Taps = ["pool"] });
        Assert.That(feat.IsFeatureExtractor, Is.True);
        Assert.That(full.IsFeatureExtractor, Is.False);
        Assert.That((feat.Classes, feat.TopK), Is.EqualTo((512, 0)));

        var r = feat.ClassifyTensor(x, 2);
        var features = new[] { r[0].Features.ToArray(), r[1].Features.ToArray() };
        var fr = full.ClassifyTensor(x, 2);
        var pool = fr[0].Taps[0].Data;
        for (int row = 0; row < 2; row++)
        {
            Assert.That(features[row], Has.Length.EqualTo(512));
            Assert.That(r[row].TopK.Length, Is.EqualTo(0));
            Assert.That(features[row].Any(v => v != 0), Is.True, "features are not all zero");
            // Same ops on the same weights up to the pool; 1e-5 allows ORT a different fusion with the fc present.
            for (int i = 0; i < 512; i++)
                Assert.That(features[row][i], Is.EqualTo(pool[row * 512 + i]).Within(1e-5f + 1e-5f * Math.Abs(pool[row * 512 + i])), $"row {row} feature {i}");
        }
        Assert.That(fr[0].TopK.Length, Is.EqualTo(5), "the classifier still ranks classes");
        var e = Assert.Throws<InvalidOperationException>(() => _ = r[0].Best);
        Assert.That(e.Message, Does.Contain("feature extractor"));
    }

    [Test]
    public void Infer_prints_features_and_writes_the_raw_output_shape()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "feature-infer");
        Directory.CreateDirectory(dir);
        string model = Path.Combine(dir, "resnet18-features.onnx"), input = Path.Combine(dir, "x.npy"), output = Path.Combine(dir, "y.npy");
        Headless(ResNetOutput.PooledFeatures).Save(model);
        var x = Input(2);
        Npy.Write(input, x, new[] { 2, 3, 32, 32 });

        var r = CliRunner.Run("infer", "--model", model, "--input", input, "--output", output, "--topk", "3");
        Assert.That(r.code, Is.EqualTo(0), r.stdout + r.stderr);
        Assert.That(r.stdout, Does.Contain("feature extractor: 512 features"));
        Assert.That(r.stdout, Does.Contain("ResNet-17 (Basic, blocks [2,2,2,2]) (the trunk of a ResNet-18, no fc)"));
        Assert.That(r.stdout, Does.Contain("L2 norm"));
        Assert.That(r.stdout, Does.Not.Contain("%"), "no softmax probabilities over features");
        var y = Npy.Read(output);
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, 512, 1, 1 }), "[N,512,1,1] stays 4-D");

        using var clf = Classifier.Create(model, new ClassifierOptions { MaxBatch = 2 });
        var res = clf.ClassifyTensor(x, 2);
        Assert.That(y.Data.AsSpan(0, 512).ToArray(), Is.EqualTo(res[0].Features.ToArray()));
        Assert.That(y.Data.AsSpan(512, 512).ToArray(), Is.EqualTo(res[1].Features.ToArray()));
        double norm = Math.Sqrt(res[0].Features.ToArray().Sum(v => (double)v * v));
        Assert.That(r.stdout, Does.Contain(FormattableString.Invariant($"L2 norm {norm:F4}")));
    }

    [Test]
    public void Bench_runs_a_feature_extractor()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "feature-bench");
        Directory.CreateDirectory(dir);
        Headless(ResNetOutput.FlatFeatures).Save(Path.Combine(dir, "resnet18.onnx"));
        var r = CliRunner.Run("bench", "--depths", "18", "--models", dir, "--frames", "3", "--warmup", "1", "--threads", "1");
        Assert.That(r.code, Is.EqualTo(0), r.stdout + r.stderr);
        Assert.That(r.stdout, Does.Contain("18"));
    }
}
