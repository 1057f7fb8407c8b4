using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// `rr compare` checks the graph gl really runs (issue 9): it compares only tensors at gl's fusion boundaries, so the
/// taps it asks for do not split any fused conv+BN(+Add)(+ReLU) kernel.
/// </summary>
[TestFixture]
public class GlCompareFusedTests
{
    [TestCase(false, TestName = "CompareKeepsGlFused_BasicBlocks")]
    [TestCase(true, TestName = "CompareKeepsGlFused_Bottlenecks")]
    public void CompareKeepsGlFused(bool bottleneck)
    {
        var m = GlTestModels.ResNet(new[] { 1, 1 }, bottleneck, 24, classes: 10, cifar: true, stem: 8);
        int fusedOps = GlNetworkBuilder.Build(m).Ops.Count;
        var compared = BackendComparer.ComparedTensors(m, Backend.OrtCpu, Backend.Gl);
        var underCompare = GlNetworkBuilder.Build(m, compared.Select(c => c.Tensor));
        Assert.That(underCompare.Ops.Count, Is.EqualTo(fusedOps), "gl under compare runs as many layers as without taps");
        Assert.That(underCompare.Ops.Select(o => (o.Kind, o.Relu, o.Residual >= 0)),
            Is.EqualTo(GlNetworkBuilder.Build(m).Ops.Select(o => (o.Kind, o.Relu, o.Residual >= 0))), "and the same fused kernels");
        // Tapping every layer output (what compare did before) splits the kernels: the check above can tell.
        var all = BackendComparer.LayerOutputs(m);
        Assert.That(GlNetworkBuilder.Build(m, all.Select(c => c.Tensor)).Ops.Count, Is.GreaterThan(fusedOps));
        Assert.That(compared.Count, Is.GreaterThan(2).And.LessThan(all.Count));

        GlTestContext.Get();
        var report = BackendComparer.Compare(m, Backend.OrtCpu, Backend.Gl, GlOpTests.Random(3 * 24 * 24, 9), 1, 1e-4);
        Assert.That(report.Agree, Is.True, report.Format());
        Assert.That(report.Layers.Select(l => l.Tensor).SkipLast(1), Is.EqualTo(compared.Select(c => c.Tensor)));
        Assert.That(report.FusedAway, Is.EqualTo(all.Count - compared.Count));
        Assert.That(report.Format(), Does.Contain($"({report.FusedAway} inside fused gl kernels not compared)"));
    }

    [Test]
    public void CpuPairsStillCompareEveryLayer()
    {
        var m = GlTestModels.ResNet(new[] { 1 }, false, 16, cifar: true, stem: 8);
        Assert.That(BackendComparer.ComparedTensors(m, Backend.OrtCpu, Backend.OrtCpu), Is.EqualTo(BackendComparer.LayerOutputs(m)));
    }
}
