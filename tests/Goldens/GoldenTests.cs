// Golden tests against PyTorch 1.13 / torchvision 0.14. Files: tests/data/goldens, written by
// tests/scripts/make_goldens.py (never edited by hand).
//
// Tolerance: 1e-4 relative, measured as max|ours - torch| / max|torch| over a tensor. Both sides
// compute in float32 but with different kernels (MKL-DNN in PyTorch, MLAS in ONNX Runtime) that sum
// the K = C*kh*kw products of each output in a different order and, in the exported models, with BN
// folded into the conv weights. Each reordering moves a sum by a few ulps; through 10-20 layers this
// grows to ~1e-6..1e-5 of the tensor's scale. 1e-4 leaves a margin over that while any real error
// (a wrong stride, pad, BN epsilon, missing ReLU or wrong weight) is orders of magnitude larger.
using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Goldens;

public class GoldenTests
{
    const double RelativeTolerance = 1e-4;
    static readonly string Dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "goldens");

    static JsonElement Manifest() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json"))).RootElement;

    static JsonElement ModelEntry(string name) => Manifest().GetProperty("models").EnumerateArray().First(m => m.GetProperty("name").GetString() == name);

    public static IEnumerable<TestCaseData> Exports()
    {
        // Test cases are built before fixtures run: read the manifest from the test assembly's folder.
        string dir = Path.Combine(Path.GetDirectoryName(typeof(GoldenTests).Assembly.Location), "data", "goldens");
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json"))).RootElement;
        foreach (var m in root.GetProperty("models").EnumerateArray())
            foreach (var e in m.GetProperty("exports").EnumerateArray())
                yield return new TestCaseData(m.GetProperty("name").GetString(), e.GetProperty("file").GetString()).SetArgDisplayNames(e.GetProperty("file").GetString());
    }

    public static IEnumerable<TestCaseData> WithWeights()
    {
        string dir = Path.Combine(Path.GetDirectoryName(typeof(GoldenTests).Assembly.Location), "data", "goldens");
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json"))).RootElement;
        foreach (var m in root.GetProperty("models").EnumerateArray())
            if (m.TryGetProperty("weights", out _)) yield return new TestCaseData(m.GetProperty("name").GetString()).SetArgDisplayNames(m.GetProperty("name").GetString());
    }

    internal static double RelativeError(float[] actual, float[] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        double maxDiff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        Assert.That(scale, Is.GreaterThan(0), "expected tensor is all zeros: the comparison would be meaningless");
        TestContext.Out.WriteLine($"{TestContext.CurrentContext.Test.Name}: max|diff| / max|expected| = {maxDiff / scale:E2} over {expected.Length} values");
        return maxDiff / scale;
    }

    static ResNetSpec SpecOf(JsonElement m)
    {
        var s = m.GetProperty("spec");
        return new ResNetSpec
        {
            Name = m.GetProperty("name").GetString(),
            Block = Enum.Parse<BlockKind>(s.GetProperty("block").GetString()),
            Layers = s.GetProperty("layers").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            StageWidths = s.GetProperty("widths").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            Cifar = s.GetProperty("cifar").GetBoolean(),
            Groups = s.GetProperty("groups").GetInt32(),
            WidthPerGroup = s.GetProperty("width_per_group").GetInt32(),
            InChannels = s.GetProperty("in_channels").GetInt32(),
            NumClasses = s.GetProperty("classes").GetInt32(),
            InputSize = s.GetProperty("input_size").GetInt32(),
        };
    }

    /// <summary>Expected [C,H,W] of each stage output, from conv arithmetic (not from any model).</summary>
    static List<long[]> StageShapes(ResNetSpec spec, long size)
    {
        static long Out(long x, int k, int s, int p) => (x + 2 * p - k) / s + 1;
        long h = spec.Cifar ? size : Out(Out(size, 7, 2, 3), 3, 2, 1);
        var list = new List<long[]>();
        for (int i = 0; i < spec.StageCount; i++)
        {
            if (i > 0) h = Out(h, 3, 2, 1);
            list.Add([spec.StageWidths[i] * spec.Expansion, h, h]);
        }
        return list;
    }

    [TestCaseSource(nameof(Exports))]
    public void TorchExportRoundTripsAndMatchesPyTorch(string name, string file)
    {
        var m = ModelEntry(name);
        byte[] original = File.ReadAllBytes(Path.Combine(Dir, file));
        var model = OnnxModel.Load(Path.Combine(Dir, file));
        byte[] ours = model.ToBytes();
        // Protobuf C++ (which torch.onnx uses) writes fields in field-number order, as we do: the
        // re-serialized file is byte-identical, the strongest round-trip check there is.
        Assert.That(ours, Is.EqualTo(original), "re-serialized bytes differ from torch.onnx's");
        OnnxAssert.ModelsEqual(OnnxModel.Parse(ours), model);

        var (x, xShape) = GoldenNpy.Read(Path.Combine(Dir, m.GetProperty("input").GetString()));
        var (logits, lShape) = GoldenNpy.Read(Path.Combine(Dir, m.GetProperty("logits").GetString()));
        var y = OrtTestRunner.Run(ours, "input", x, xShape)["logits"];
        Assert.That(y.Shape, Is.EqualTo(lShape));
        Assert.That(RelativeError(y.Data, logits), Is.LessThanOrEqualTo(RelativeTolerance));

        var export = m.GetProperty("exports").EnumerateArray().First(e => e.GetProperty("file").GetString() == file);
        if (export.GetProperty("dynamic_batch").GetBoolean() && xShape[0] > 1)
        {
            // Batch 1 through the dynamic-batch model equals row 0 of the batched run.
            long per = x.Length / xShape[0];
            long[] one = [1, .. xShape[1..]];
            var y1 = OrtTestRunner.Run(ours, "input", x[..(int)per], one)["logits"];
            Assert.That(RelativeError(y1.Data, logits[..(int)(logits.Length / lShape[0])]), Is.LessThanOrEqualTo(RelativeTolerance));
        }
    }

    [TestCaseSource(nameof(Exports))]
    public void InspectorRecognisesTorchExport(string name, string file)
    {
        var m = ModelEntry(name);
        var spec = SpecOf(m);
        var info = ModelInspector.Inspect(OnnxModel.Load(Path.Combine(Dir, file)));
        bool dynamic = m.GetProperty("exports").EnumerateArray().First(e => e.GetProperty("file").GetString() == file).GetProperty("dynamic_batch").GetBoolean();
        Assert.That(info.InputName, Is.EqualTo("input"));
        Assert.That(info.DynamicBatch, Is.EqualTo(dynamic));
        Assert.That(info.OutputName, Is.EqualTo("logits"));
        Assert.That(info.Classes, Is.EqualTo(spec.NumClasses));
        Assert.That(info.Channels, Is.EqualTo(spec.InChannels));
        Assert.That(info.InputHeight, Is.EqualTo(spec.InputSize));
        Assert.That(info.InputSizeSource, Is.EqualTo(ValueSource.Graph));
        Assert.That(info.Labels, Is.Null);
        Assert.That(info.NormalizationSource, Is.EqualTo(ValueSource.Default));
        var r = info.RequireResNet();
        Assert.That(r.Depth, Is.EqualTo(m.GetProperty("depth").GetInt32()));
        Assert.That(r.Block, Is.EqualTo(spec.Block));
        Assert.That(r.BlocksPerStage, Is.EqualTo(spec.Layers));
        Assert.That(r.Stages.Select(s => s.Name), Is.EqualTo(Enumerable.Range(1, spec.StageCount).Select(i => $"layer{i}")));
        var shapes = StageShapes(spec, spec.InputSize);
        for (int i = 0; i < spec.StageCount; i++)
        {
            Assert.That(r.Stages[i].Channels, Is.EqualTo(shapes[i][0]), r.Stages[i].Name);
            Assert.That(r.Stages[i].OutputName, Does.StartWith($"/layer{i + 1}/"), "torch names the stage's last ReLU under its module");
        }
        Assert.That(r.PoolOutput, Is.Not.Null);
    }

    [TestCaseSource(nameof(Exports))]
    public void TapsReturnStageTensorsMatchingPyTorch(string name, string file)
    {
        var m = ModelEntry(name);
        var spec = SpecOf(m);
        var model = OnnxModel.Load(Path.Combine(Dir, file));
        string[] taps = [.. Enumerable.Range(1, spec.StageCount).Select(i => $"layer{i}"), "stem", "pool"];
        var (tapped, names) = Taps.AddOutputs(model, taps);
        Assert.That(model.Graph.Outputs, Has.Count.EqualTo(1), "the input model is not modified");
        var (x, xShape) = GoldenNpy.Read(Path.Combine(Dir, m.GetProperty("input").GetString()));
        var outs = OrtTestRunner.Run(tapped.ToBytes(), "input", x, xShape, ["logits", .. names]);
        var shapes = StageShapes(spec, spec.InputSize);
        for (int i = 0; i < spec.StageCount; i++)
            Assert.That(outs[names[i]].Shape, Is.EqualTo(new[] { xShape[0] }.Concat(shapes[i])), taps[i]);
        Assert.That(outs[names[^1]].Shape, Is.EqualTo(new[] { xShape[0], shapes[^1][0], 1, 1 }), "pool");
        foreach (var tap in m.GetProperty("taps").EnumerateObject())
        {
            var (expected, eShape) = GoldenNpy.Read(Path.Combine(Dir, tap.Value.GetString()));
            var got = outs[names[Array.IndexOf(taps, tap.Name)]];
            Assert.That(got.Shape, Is.EqualTo(eShape), tap.Name);
            Assert.That(RelativeError(got.Data, expected), Is.LessThanOrEqualTo(RelativeTolerance), tap.Name);
        }
    }

    [TestCaseSource(nameof(WithWeights))]
    public void BuilderWithTorchWeightsMatchesPyTorch(string name)
    {
        // Our builder's graph (separate BN nodes, our names) fed PyTorch's state_dict must compute
        // what PyTorch computes: this checks strides, pads, groups, BN epsilon and shortcut wiring.
        var m = ModelEntry(name);
        var spec = SpecOf(m);
        var tensors = m.GetProperty("tensors").EnumerateArray().Select(t => (name: t.GetProperty("name").GetString(), shape: t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray())).ToList();
        Assert.That(tensors.Select(t => t.name), Is.EqualTo(spec.StateShapes().Select(t => t.name)), "state_dict order and names");
        Assert.That(tensors.Select(t => t.shape), Is.EqualTo(spec.StateShapes().Select(t => t.shape)), "state_dict shapes");
        Assert.That(spec.ParameterCount(), Is.EqualTo(m.GetProperty("parameter_count").GetInt64()));

        byte[] blob = File.ReadAllBytes(Path.Combine(Dir, m.GetProperty("weights").GetString()));
        var weights = new Dictionary<string, float[]>();
        int offset = 0;
        foreach (var (tn, shape) in tensors)
        {
            int n = shape.Aggregate(1, (a, d) => a * d);
            var v = new float[n];
            Buffer.BlockCopy(blob, offset, v, 0, n * 4);
            offset += n * 4;
            weights[tn] = v;
        }
        Assert.That(offset, Is.EqualTo(blob.Length));
        var model = ResNetOnnxBuilder.Build(spec, 0, (tn, shape) => weights[tn]);
        var tapNames = m.GetProperty("taps").EnumerateObject().Select(t => t.Name).ToArray();
        var (tapped, outNames) = Taps.AddOutputs(model, tapNames);
        Assert.That(outNames, Is.EqualTo(tapNames), "builder stage outputs are named layerK");

        var (x, xShape) = GoldenNpy.Read(Path.Combine(Dir, m.GetProperty("input").GetString()));
        var outs = OrtTestRunner.Run(tapped.ToBytes(), "input", x, xShape, ["logits", .. outNames]);
        var (logits, _) = GoldenNpy.Read(Path.Combine(Dir, m.GetProperty("logits").GetString()));
        Assert.That(RelativeError(outs["logits"].Data, logits), Is.LessThanOrEqualTo(RelativeTolerance), "logits");
        foreach (var tap in m.GetProperty("taps").EnumerateObject())
        {
            var (expected, eShape) = GoldenNpy.Read(Path.Combine(Dir, tap.Value.GetString()));
            Assert.That(outs[tap.Name].Shape, Is.EqualTo(eShape));
            Assert.That(RelativeError(outs[tap.Name].Data, expected), Is.LessThanOrEqualTo(RelativeTolerance), tap.Name);
        }
        // And the inspector reads the same structure from our builder's graph.
        var r = ModelInspector.Inspect(model).RequireResNet();
        Assert.That(r.Depth, Is.EqualTo(m.GetProperty("depth").GetInt32()));
        Assert.That(r.BlocksPerStage, Is.EqualTo(spec.Layers));
        Assert.That(r.Stages.Select(s => s.OutputName), Is.EqualTo(r.Stages.Select(s => s.Name)));
    }

    [Test]
    public void CifarResNet20MatchesSpec()
    {
        var m = ModelEntry("cifar_resnet20");
        var spec = ResNetSpec.FromName("resnet20", numClasses: 10);
        Assert.That(m.GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("name").GetString()), Is.EqualTo(spec.StateShapes().Select(t => t.name)));
        Assert.That(m.GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray()), Is.EqualTo(spec.StateShapes().Select(t => t.shape)));
        Assert.That(spec.ParameterCount(), Is.EqualTo(m.GetProperty("parameter_count").GetInt64()));
    }

    [Test]
    public void SpecsMatchTorchvisionStateDicts()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "torchvision_shapes.json"))).RootElement;
        int checkedModels = 0;
        foreach (var arch in root.EnumerateObject())
        {
            var spec = ResNetSpec.FromName(arch.Name);
            var expected = arch.Value.GetProperty("tensors").EnumerateArray()
                .Select(t => (t[0].GetString(), string.Join(",", t[1].EnumerateArray().Select(v => v.GetInt32())))).ToList();
            var ours = spec.StateShapes().Select(t => (t.name, string.Join(",", t.shape))).ToList();
            Assert.That(ours, Is.EqualTo(expected), arch.Name);
            Assert.That(spec.ParameterCount(), Is.EqualTo(arch.Value.GetProperty("parameter_count").GetInt64()), arch.Name);
            checkedModels++;
        }
        Assert.That(checkedModels, Is.EqualTo(8));
    }
}
