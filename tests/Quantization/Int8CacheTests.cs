using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>Int8Cache: quantize on first use, reuse the cached entry, rebuild a corrupt one, pass an int8 model through.</summary>
public class Int8CacheTests
{
    static string FreshDir(string name)
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "int8-cache", name);
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        return dir;
    }

    static List<string> CaptureLog(Action act)
    {
        var lines = new List<string>();
        var old = Int8Cache.Log;
        Int8Cache.Log = lines.Add;
        try { act(); } finally { Int8Cache.Log = old; }
        return lines;
    }

    [Test]
    public void First_use_quantizes_and_caches_then_the_entry_is_reused_and_a_corrupt_one_rebuilt()
    {
        var dir = FreshDir("reuse");
        var model = QuantTestData.ResNet("resnet20", 16);
        OnnxModel first = null, second = null, rebuilt = null;
        var log1 = CaptureLog(() => first = Int8Cache.Get(model, directory: dir));
        Assert.That(Int8Quantizer.IsQuantized(first), Is.True);
        Assert.That(first.GetMetadata(QuantizationKeys.Calibration), Does.Contain("gaussian:seed0"));
        Assert.That(string.Join("\n", log1), Does.Contain("accuracy is not measured"));
        var files = Directory.GetFiles(dir, "*.onnx");
        Assert.That(files, Has.Length.EqualTo(1));
        Assert.That(Directory.GetFiles(dir).Where(f => f.Contains(".tmp-")), Is.Empty, "the atomic write leaves no temporary file");

        var stamp = File.GetLastWriteTimeUtc(files[0]);
        var log2 = CaptureLog(() => second = Int8Cache.Get(model, directory: dir));
        Assert.That(log2, Is.Empty, "a cache hit quantizes nothing");
        Assert.That(second.ToBytes(), Is.EqualTo(first.ToBytes()));
        Assert.That(File.GetLastWriteTimeUtc(files[0]), Is.EqualTo(stamp));

        File.WriteAllBytes(files[0], [1, 2, 3, 4, 5]);
        var log3 = CaptureLog(() => rebuilt = Int8Cache.Get(model, directory: dir));
        Assert.That(string.Join("\n", log3), Does.Contain("rebuilding"));
        Assert.That(rebuilt.ToBytes(), Is.EqualTo(first.ToBytes()), "seeded calibration rebuilds the same model");
        Assert.That(OnnxModel.Load(files[0]).ToBytes(), Is.EqualTo(first.ToBytes()), "the rebuilt entry is written back");
    }

    [Test]
    public void A_different_model_or_recipe_gets_its_own_entry()
    {
        var dir = FreshDir("keys");
        CaptureLog(() =>
        {
            Int8Cache.Get(QuantTestData.ResNet("resnet20", 16, seed: 3), directory: dir);
            Int8Cache.Get(QuantTestData.ResNet("resnet20", 16, seed: 4), directory: dir);
            Int8Cache.Get(QuantTestData.ResNet("resnet20", 16, seed: 3), options: new QuantizeOptions { Method = CalibrationMethod.MinMax }, directory: dir);
        });
        Assert.That(Directory.GetFiles(dir, "*.onnx"), Has.Length.EqualTo(3));
    }

    [Test]
    public void An_int8_model_is_taken_as_it_is()
    {
        var dir = FreshDir("passthrough");
        OnnxModel q = null;
        CaptureLog(() => q = Int8Cache.Get(QuantTestData.ResNet("resnet20", 16), directory: dir));
        Directory.Delete(dir, true);
        var log = CaptureLog(() => Assert.That(Int8Cache.Get(q, directory: dir), Is.SameAs(q)));
        Assert.That(log, Is.Empty);
        Assert.That(Directory.Exists(dir), Is.False, "nothing is cached for an int8 model");
    }

    [Test]
    public void Classifier_with_int8_precision_runs_the_quantized_model_and_agrees_with_fp32_on_top1()
    {
        // Already-int8 model through the API: no cache involved; top-1 matches the float model on Gaussian input,
        // except where the float logits' top-2 margin is within int8 noise (random weights: margins are small).
        var model = QuantTestData.ResNet("resnet20", 16);
        OnnxModel q = null;
        CaptureLog(() => q = Int8Cache.Get(model, directory: FreshDir("api")));
        using var f = Classifier.Create(model, new ClassifierOptions { Threads = 1 });
        using var i8 = Classifier.Create(q, new ClassifierOptions { Threads = 1, Precision = "int8" });
        var x = CalibrationBatch.Gaussian(1, 3, 16, 16, seed: 11)[0].Data;
        var a = f.ClassifyTensor(x, 1)[0].Logits.ToArray();
        var b = i8.ClassifyTensor(x, 1)[0].Logits.ToArray();
        Assert.That(b, Is.Not.EqualTo(a), "int8 logits differ from float32 (it really runs the quantized model)");
        double scale = a.Max() - a.Min();
        for (int k = 0; k < a.Length; k++)
            Assert.That(b[k], Is.EqualTo(a[k]).Within(0.25 * scale), $"logit {k}: int8 {b[k]} vs float32 {a[k]} (range {scale})");
    }

    [Test]
    public void Bad_precision_and_int8_on_gl_are_one_line_errors()
    {
        var model = QuantTestData.ResNet("resnet20", 16);
        var e = Assert.Throws<ArgumentException>(() => Classifier.Create(model, new ClassifierOptions { Precision = "fp16" }));
        Assert.That(e.Message, Does.Contain("unknown precision 'fp16'"));
        var n = Assert.Throws<NotSupportedException>(() => Classifier.Create(model, new ClassifierOptions { Backend = "gl", Precision = "int8" }));
        Assert.That(n.Message, Does.Contain("int8 is CPU-only for now").And.Contain("gl"));
    }
}
