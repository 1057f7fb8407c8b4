using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// One tap vocabulary on every backend (issue 9): "stem", "layer1".."layerK", "pool" and node outputs resolve through
/// <see cref="Taps.Resolve(OnnxModel, string)"/> on gl as on ort-cpu, and give the same shapes and values.
/// Tolerance 1e-4 of the tensor's max |ort value|: both compute in float32 but sum in a different order (GLSL
/// vec4 dot products over split-K chunks vs MLAS's blocked GEMM), which moves the last bits; after ~20 layers that
/// is ~1e-6..1e-5 relative, while a wrong tensor (off by one layer, pre-ReLU, wrong stage) differs by O(1).
/// </summary>
[TestFixture]
public class GlTapResolutionTests
{
    const double Tolerance = 1e-4;

    static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData("scene-resnet").SetName("TapsAgree_SceneResNet");
        yield return new TestCaseData("resnet18").SetName("TapsAgree_ResNet18Builder");
    }

    static OnnxModel Load(string which) => which == "scene-resnet"
        ? OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx"))
        : ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet18", numClasses: 10, inputSize: 64), seed: 7);

    [TestCaseSource(nameof(Models))]
    public void StageTapsMatchOrtCpu(string which)
    {
        var model = Load(which);
        var structure = ModelInspector.Inspect(model).ResNet;
        Assert.That(structure, Is.Not.Null, "the inspector sees a ResNet");
        var taps = new[] { "stem" }.Concat(structure.Stages.Select(s => s.Name)).Append("pool").ToArray();
        Assert.That(taps.Length, Is.GreaterThanOrEqualTo(4), $"stages found: {string.Join(", ", taps)}");
        var opts = new BackendOptions { Taps = taps };
        using var ort = BackendFactory.Create(Backend.OrtCpu, model, opts);
        using var gl = GlBackendFactory.Create(model, opts, new GlBackendOptions { Context = GlTestContext.Get(), CheckErrors = true });
        var rng = new Random(11);
        var input = new float[ort.Channels * ort.Height * ort.Width];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 4 - 2);
        var lo = new float[ort.Classes]; var lg = new float[gl.Classes];
        ort.Run(input, 1, lo);
        gl.Run(input, 1, lg);
        for (int j = 0; j < taps.Length; j++)
        {
            var a = ort.Taps[j]; var b = gl.Taps[j];
            Assert.That(b.Name, Is.EqualTo(a.Name), "taps are reported under the requested name on both");
            // ORT keeps [N,C,1,1] for the pool; gl stores the same C values (its flatten is an alias): compare per image.
            int per = a.Shape.Skip(1).Aggregate(1, (x, y) => x * y);
            Assert.That(b.Shape.Skip(1).Aggregate(1, (x, y) => x * y), Is.EqualTo(per),
                $"{taps[j]}: ort [{string.Join(",", a.Shape)}] vs gl [{string.Join(",", b.Shape)}]");
            Assert.That(b.Shape[1], Is.EqualTo(a.Shape[1]), $"{taps[j]}: channels");
            var d = BackendComparer.Diff(taps[j], "tap", a.Shape, a.Data.AsSpan(0, per), b.Data.AsSpan(0, per), Tolerance);
            TestContext.Progress.WriteLine(FormattableString.Invariant($"{which} {taps[j],-6} [{string.Join(",", a.Shape)}] max|ref| {d.MaxAbsRef:G4} rel {d.Relative:G3}"));
            Assert.That(d.WithinTolerance, $"{taps[j]}: max |ort − gl| {d.MaxAbsDiff:G4} = {d.Relative:G3} of max |ort| {d.MaxAbsRef:G4} > {Tolerance}");
        }
    }

    [Test]
    public void GlRejectsUnknownTapWithTheSharedMessage()
    {
        var model = Load("resnet18");
        var ortError = Assert.Throws<ArgumentException>(() => BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { Taps = new[] { "layer9" } }));
        var glError = Assert.Throws<ArgumentException>(() => GlBackendFactory.Create(model, new BackendOptions { Taps = new[] { "layer9" } },
            new GlBackendOptions { Context = GlTestContext.Get() }));
        Assert.That(glError.Message, Is.EqualTo(ortError.Message));
        Assert.That(glError.Message, Does.Contain("layer9").And.Contain("stem"));
    }
}
