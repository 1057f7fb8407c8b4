using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// Whole networks on the GL backend against ONNX Runtime CPU (the project's reference backend), on
/// torchvision-layout graphs with un-fused BatchNorm. Logit tolerance 1e-4 of max |logit| (the issue's
/// bar): both sides compute in float32 but sum in different orders (tiles vs ORT's MLAS kernels) and the
/// GL side folds BN into the weights; over 20–50 layers such reorderings give ~1e-6..1e-5 relative.
/// </summary>
[TestFixture, Category("Gl")]
public class GlModelTests
{
    static GlBackendOptions Opt(int taps = 0) => new() { Context = GlTestContext.Get() };

    static void AgreesWithOrt(OnnxModel model, int batch, string what)
    {
        GlTestContext.Get();
        var opts = new BackendOptions { MaxBatch = batch };
        using var ort = BackendFactory.Create(Backend.OrtCpu, model, opts);
        using var gl = GlBackendFactory.Create(model, opts, Opt());
        Assert.That((gl.Channels, gl.Height, gl.Width, gl.Classes), Is.EqualTo((ort.Channels, ort.Height, ort.Width, ort.Classes)), what + ": shapes");
        var x = GlOpTests.Random(batch * gl.Channels * gl.Height * gl.Width, 42);
        var a = new float[batch * ort.Classes];
        var b = new float[batch * gl.Classes];
        ort.Run(x, batch, a);
        gl.Run(x, batch, b);
        GlOpTests.AssertClose(b, a, 1e-4, what + " logits vs ort-cpu");
    }

    [Test]
    public void ResNet18At64AgreesWithOrtCpu_Batch2() =>
        AgreesWithOrt(GlTestModels.ResNet(new[] { 2, 2, 2, 2 }, false, 64, classes: 100), 2, "resnet18@64");

    [Test]
    public void ResNet50At64AgreesWithOrtCpu() =>
        AgreesWithOrt(GlTestModels.ResNet(new[] { 3, 4, 6, 3 }, true, 64, classes: 1000), 1, "resnet50@64");

    [Test]
    public void CifarResNet20AgreesWithOrtCpu() =>
        AgreesWithOrt(GlTestModels.ResNet(new[] { 3, 3, 3 }, false, 32, classes: 10, cifar: true, stem: 16), 1, "cifar resnet20@32");

    [Test]
    public void ResNeXtGroupedAgreesWithOrtCpu() =>
        AgreesWithOrt(GlTestModels.ResNet(new[] { 1, 1 }, true, 40, classes: 13, groups: 8, widthPerGroup: 4, stem: 16), 1, "resnext (8 groups)@40");

    [Test]
    public void WideOneChannelAgreesWithOrtCpu() =>
        AgreesWithOrt(GlTestModels.ResNet(new[] { 1, 1 }, true, 28, classes: 7, widthMult: 2, inChannels: 1, cifar: true, stem: 16), 1, "wide, 1 channel@28");

    [Test]
    public void FusionRemovesReluAndAddLayers()
    {
        var net = GlNetworkBuilder.Build(GlTestModels.ResNet(new[] { 2, 2, 2, 2 }, false, 64));
        // 20 convs (incl. 3 downsample), maxpool, gap, fc: every BN, Relu and Add folded/fused into a conv.
        Assert.That(net.Ops.Count(o => o.Kind == GlOpKind.Conv), Is.EqualTo(20));
        Assert.That(net.Ops.Count, Is.EqualTo(23), string.Join(", ", net.Ops));
        Assert.That(net.Ops.Count(o => o.Residual >= 0), Is.EqualTo(8), "one fused residual per basic block");
        Assert.That(net.CamFeatures, Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public void UnsupportedOpNamesOpAndNode()
    {
        var m = GlTestModels.ResNet(new[] { 1 }, false, 16, cifar: true, stem: 8);
        m.Graph.Nodes.Insert(3, new OnnxNode("Sigmoid", "weird_sigmoid", new[] { m.Graph.Nodes[2].Outputs[0] }, new[] { "sig" }));
        var e = Assert.Throws<NotSupportedException>(() => GlNetworkBuilder.Build(m));
        Assert.That(e.Message, Does.Contain("Sigmoid").And.Contain("weird_sigmoid"));
    }

    [Test]
    public void FactoryCreatesGl()
    {
        GlTestContext.Get();
        Assert.That(BackendFactory.IsRegistered(Backend.Gl), Is.True);
        using var be = BackendFactory.Create(Backend.Gl, GlTestModels.ResNet(new[] { 1 }, false, 16, cifar: true, stem: 8), new BackendOptions());
        Assert.That(be.Name, Is.EqualTo("gl"));
        Assert.That(be.Capabilities.HasFlag(BackendCapabilities.TextureInput | BackendCapabilities.AsyncReadback), Is.True);
    }

    [Test]
    public void CompareReportsAgreementAndFindsAPlantedDivergence()
    {
        GlTestContext.Get();
        var m = GlTestModels.ResNet(new[] { 1, 1 }, false, 24, classes: 10, cifar: true, stem: 8);
        var x = GlOpTests.Random(3 * 24 * 24, 3);
        var report = BackendComparer.Compare(m, Backend.OrtCpu, Backend.Gl, x, 1, 1e-4);
        Assert.That(report.Agree, Is.True, report.Format());
        // Kernel boundaries of gl's fused network: stem, each block's two conv outputs, the downsample, the pool, the logits.
        Assert.That(report.Layers.Count, Is.GreaterThanOrEqualTo(7), report.Format());
        // A backend that runs ORT on a copy whose layer2.0.bn1 bias is shifted: the first tensor over
        // tolerance must be that BN's output, not anything before it and not only the logits.
        // ort-cpu made from a copy whose layer2.0.bn1 bias is shifted (the factory's fault seam: every session goes through it).
        BackendFactory.FaultForTests = (backend, model) =>
        {
            if (backend != Backend.OrtCpu) return model;
            var copy = OnnxModel.Parse(model.Onnx.ToBytes());
            var bias = copy.Graph.FindInitializer("layer2.0.bn1.bias");
            var v = bias.ToFloatArray();
            v[3] += 0.5f;
            copy.Graph.Initializers[copy.Graph.Initializers.IndexOf(bias)] = OnnxTensor.FromFloats(bias.Name, bias.Dims, v);
            return LoadedModel.From(copy, model.Source);
        };
        // gl fuses that BN and the ReLU after it into the conv, so the first compared tensor is the ReLU's output.
        string relu = m.Graph.FindConsumers("layer2.0.bn1.out").Single().Outputs[0];
        ComparisonReport bad;
        try { bad = BackendComparer.Compare(m, Backend.Gl, Backend.OrtCpu, x, 1, 1e-4); }
        finally { BackendFactory.FaultForTests = null; }
        Assert.That(bad.FirstDivergence?.Tensor, Is.EqualTo(relu), bad.Format());
        Assert.That(bad.Format(), Does.Contain($"first divergence: {relu}"));
    }
}

[TestFixture, Category("Gl")]
public class GlProfileTests
{
    [Test]
    public void ProfileGivesOneTimingPerLayer()
    {
        using var be = GlBackendFactory.Create(GlTestModels.ResNet(new[] { 1, 1 }, false, 24, cifar: true, stem: 8), new BackendOptions(),
                                               new GlBackendOptions { Context = GlTestContext.Get() });
        var p = be.Profile(GlOpTests.Random(3 * 24 * 24, 1), 1);
        Assert.That(p, Has.Count.EqualTo(be.LayerCount + 1));
        Assert.That(p.Select(x => x.Ms), Has.All.GreaterThanOrEqualTo(0));
        Assert.That(p.Sum(x => x.Ms), Is.GreaterThan(0));
    }

    [Test, Explicit("timing printout for tuning, not a check")]
    public void PrintResNet18Profile()
    {
        using var be = GlBackendFactory.Create(GlTestModels.ResNet(new[] { 2, 2, 2, 2 }, false, 64, classes: 1000), new BackendOptions(),
                                               new GlBackendOptions { Context = GlTestContext.Get() });
        var x = GlOpTests.Random(3 * 64 * 64, 1);
        be.Profile(x, 1);
        var p = be.Profile(x, 1);
        foreach (var (l, ms) in p) TestContext.Out.WriteLine($"{ms,9:F2} ms  {l}");
        TestContext.Out.WriteLine($"{p.Sum(v => v.Ms),9:F2} ms  total");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var logits = new float[1000];
        for (int i = 0; i < 3; i++) be.Run(x, 1, logits);
        TestContext.Out.WriteLine($"Run: {sw.Elapsed.TotalMilliseconds / 3:F1} ms");
    }
}

[TestFixture, Category("Gl")]
public class CompareVerbTests
{
    [Test]
    public void CompareVerbPrintsTableAndExitsZeroWhenBackendsAgree()
    {
        GlTestContext.Get();
        string path = Path.Combine(Path.GetTempPath(), $"rr-compare-{Guid.NewGuid():N}.onnx");
        var stdout = Console.Out;
        var sw = new StringWriter();
        try
        {
            GlTestModels.ResNet(new[] { 1, 1 }, true, 20, classes: 5, cifar: true, stem: 8, groups: 2, widthPerGroup: 32).Save(path);
            Console.SetOut(sw);
            int rc = ResNetRealtime.Cli.CompareVerb.Run(new[] { "--model", path, "--compare", "ort-cpu,gl", "--seed", "3" });
            Console.SetOut(stdout);
            TestContext.Out.WriteLine(sw.ToString());
            Assert.That(rc, Is.EqualTo(0), sw.ToString());
            Assert.That(sw.ToString(), Does.Contain("compare ort-cpu vs gl").And.Contain("agree within").And.Contain("layer2.0.bn3.out"));
        }
        finally { Console.SetOut(stdout); File.Delete(path); }
    }

    [Test]
    public void CompareVerbRejectsOneBackend()
    {
        var e = Assert.Throws<ResNetRealtime.Cli.UsageException>(() => ResNetRealtime.Cli.CompareVerb.Run(new[] { "--model", "x.onnx", "--compare", "gl" }));
        Assert.That(e.Message, Does.Contain("two backends").And.Contain("'gl'"));
    }
}
