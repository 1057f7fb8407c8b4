using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tools.Pretrained;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Pretrained;

/// <summary>The converted model's shape and metadata, the cache's trust rules, fetching without network, names.</summary>
public class PretrainedCacheTests
{
    static string TempDir(string what)
    {
        string d = Path.Combine(Path.GetTempPath(), $"rr-pretrained-{what}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    [Test]
    public void Converted_model_has_our_input_stage_names_and_provenance()
    {
        var (_, converted) = PretrainedFixture.Require();
        var m = OnnxModel.Load(converted);
        var info = ModelInspector.Inspect(m);
        Assert.That((info.InputName, info.DynamicBatch, info.Channels, info.InputHeight, info.InputWidth, info.OutputName, info.Classes),
            Is.EqualTo(("input", true, 3, 224, 224, "features", 512)));
        // CNTK's network really has three blocks in layer4 (Plus363, Plus377, Plus391): depth 1 + 2·9 = 19 convs on the longest path.
        Assert.That(info.ResNet.BlocksPerStage, Is.EqualTo(new[] { 2, 2, 2, 3 }));
        Assert.That(info.ResNet.Block, Is.EqualTo(BlockKind.Basic));
        Assert.That(info.ResNet.Stages.Select(s => s.OutputName), Is.EqualTo(new[] { "layer1", "layer2", "layer3", "layer4" }));
        Assert.That((info.ResNet.StemOutput, info.ResNet.PoolOutput), Is.EqualTo(("stem", "avgpool")));
        Assert.That(m.Graph.FindInitializer("layer4.2.bn2.running_var")?.Dims, Is.EqualTo(new long[] { 512 }));
        Assert.That(m.Graph.FindInitializer("layer2.0.downsample.0.weight")?.Dims, Is.EqualTo(new long[] { 128, 64, 1, 1 }));
        // Normalisation: std 1/255 (pixels stay on the 0..255 scale) and the mean image's channel means (DESIGN §1: R 123.15, G 115.90, B 103.06).
        Assert.That(info.Std, Is.EqualTo(new[] { 1 / 255f, 1 / 255f, 1 / 255f }).Within(1e-9));
        Assert.That(info.Mean.Select(v => v * 255), Is.EqualTo(new[] { 123.15, 115.90, 103.06 }).Within(0.01));
        Assert.That(m.GetMetadata(MetadataKeys.Source), Does.Contain(PretrainedPackage.PackageId).And.Contain(PretrainedPackage.NetworkSha256));
        Assert.That(m.GetMetadata(MetadataKeys.License), Does.StartWith("MIT").And.Contain("ImageNet"));
        Assert.That(m.Graph.Nodes[0].OpType, Is.EqualTo("Sub"), "the mean image's residual is removed inside the graph, first");
    }

    [Test]
    public void A_corrupt_or_stale_cache_is_converted_again()
    {
        var (_, converted) = PretrainedFixture.Require();
        string dir = TempDir("cache");
        try
        {
            var cache = new PretrainedCache(dir);
            File.Copy(converted, cache.ModelPath);
            File.Copy(converted + ".sha256", cache.ModelPath + ".sha256");
            Assert.That(cache.Check(), Is.Null, "a faithful copy is trusted");
            var good = File.ReadAllBytes(cache.ModelPath);

            // One flipped byte in the weights: the digest no longer matches.
            var bad = (byte[])good.Clone();
            bad[bad.Length / 2] ^= 0x40;
            File.WriteAllBytes(cache.ModelPath, bad);
            Assert.That(cache.Check(), Does.Contain("SHA-256"));
            var log = new List<string>();
            Assert.That(cache.Get(log.Add), Is.EqualTo(cache.ModelPath));
            Assert.That(log, Has.Count.EqualTo(1).And.Some.Contain("converting"));
            Assert.That(File.ReadAllBytes(cache.ModelPath), Is.EqualTo(good), "rebuilt, byte for byte the same conversion");

            // A conversion by another converter version: rebuilt too.
            string sidecar = File.ReadAllText(cache.ModelPath + ".sha256");
            File.WriteAllText(cache.ModelPath + ".sha256", sidecar.Replace($"converter={PretrainedConverter.Version}", "converter=0"));
            Assert.That(cache.Check(), Does.Contain("converter=0"));
            cache.Get(log.Add);
            Assert.That(cache.Check(), Is.Null);

            // Truncated to nothing, sidecar gone.
            File.WriteAllBytes(cache.ModelPath, []);
            File.Delete(cache.ModelPath + ".sha256");
            Assert.That(cache.Check(), Does.Contain("missing"));
            cache.Get(log.Add);
            Assert.That(cache.Check(), Is.Null);
            Assert.That(log, Has.Count.EqualTo(3));
            Assert.That(cache.Get(log.Add), Is.EqualTo(cache.ModelPath));
            Assert.That(log, Has.Count.EqualTo(3), "a good cache is used as it is");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void Without_network_one_line_says_what_to_fetch_and_where()
    {
        string empty = TempDir("nuget");
        try
        {
            var pkg = new PretrainedPackage(overrideDir: "", globalPackages: empty, restore: _ => "simulated: no network");
            var e = Assert.Throws<PretrainedUnavailableException>(() => pkg.Locate());
            TestContext.Out.WriteLine(e.Message);
            Assert.That(e.Message, Does.Not.Contain("\n"));
            Assert.That(e.Message, Does.Contain(PretrainedPackage.PackageId).And.Contain(PretrainedPackage.Version)
                .And.Contain("simulated: no network").And.Contain(PretrainedPackage.PackageEnv).And.Contain("nuget.org"));
            // The cache reports the same line instead of a crash.
            var cache = new PretrainedCache(Path.Combine(empty, "cache"), pkg);
            Assert.That(Assert.Throws<PretrainedUnavailableException>(() => cache.Get()).Message, Is.EqualTo(e.Message));
        }
        finally { Directory.Delete(empty, recursive: true); }
    }

    [Test]
    public void A_file_with_another_digest_is_refused()
    {
        string dir = TempDir("pkg");
        try
        {
            File.WriteAllText(Path.Combine(dir, "ResNet18.onnx"), "not the network");
            File.WriteAllText(Path.Combine(dir, "ResNetPreprocess.onnx"), "not the preprocessing");
            var e = Assert.Throws<InvalidDataException>(() => new PretrainedPackage(overrideDir: dir).Locate());
            Assert.That(e.Message, Does.Contain("ResNet18.onnx").And.Contain(PretrainedPackage.NetworkSha256));
            var empty = Assert.Throws<PretrainedUnavailableException>(() => new PretrainedPackage(overrideDir: Path.Combine(dir, "none")).Locate());
            Assert.That(empty.Message, Does.Contain(PretrainedPackage.PackageEnv));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void Names_resolve_and_paths_pass_through()
    {
        Assert.That(ModelSource.Resolve("models/scene-resnet.onnx"), Is.EqualTo("models/scene-resnet.onnx"));
        Assert.That(ModelSource.Resolve(null), Is.Null);
        var e = Assert.Throws<ArgumentException>(() => ModelSource.Resolve("pretrained:resnet50"));
        Assert.That(e.Message, Does.Contain("pretrained:resnet50").And.Contain("pretrained:resnet18"));
    }
}
