using NUnit.Framework;
using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Demo;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>`rr quantize` end to end on recorded frames, and its bad-input lines.</summary>
[TestFixture]
public class QuantizeVerbTests
{
    string _dir, _frames, _model;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = DemoTestUtil.TempDir("int8-verb");
        _frames = Path.Combine(_dir, "frames");
        using (var ctx = GlContext.CreateHeadless()) FrameRecording.Record(ctx.Gl, _frames, 40, 32, 21);
        _model = Path.Combine(_dir, "r20.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet20", 8, 3, 32), new ResNetBuildOptions { Seed = 1, PerturbBatchNorm = true }).Save(_model);
    }

    [Test]
    public void QuantizesAndPrintsTheFusedKernelCounts()
    {
        string output = Path.Combine(_dir, "r20.int8.onnx");
        var (code, stdout, stderr) = CliRunner.Run("quantize", "--model", _model, "--calib", $"frames:{_frames}", "--samples", "20", "--out", output);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("QLinearConv 21").And.Contain("float32 convs left: 0"));
        Assert.That(stdout, Does.Contain("on 20 images").And.Contain("does not know: none"));
        var m = OnnxModel.Load(output);
        Assert.That(m.GetMetadata("rr.precision"), Is.EqualTo("int8"));
        Assert.That(m.GetMetadata("rr.calibration"), Does.Contain($"frames:{_frames}"));

        // Asked again on its own output: one line, non-zero exit.
        var again = CliRunner.Run("quantize", "--model", output, "--calib", $"frames:{_frames}", "--out", Path.Combine(_dir, "twice.onnx"));
        Assert.That(again.code, Is.Not.EqualTo(0));
        Assert.That(again.stderr, Does.Contain("already quantized"));
        Assert.That(again.stderr.Trim().Split('\n').Last(), Does.Contain("already quantized"));
    }

    [Test]
    public void CalibratesOnAFlatFolderOfImages()
    {
        // Six recorded frames written out as PNGs: a model with pictures but no labelled data set.
        string dir = Path.Combine(_dir, "pictures");
        Directory.CreateDirectory(dir);
        var bin = File.ReadAllBytes(Path.Combine(_frames, "frames.bin"));
        int rec = 1 + 32 * 32 * 3;
        for (int i = 0; i < 6; i++) ResNetRealtime.Demo.Imaging.Png.WriteFile(Path.Combine(dir, $"p{i}.png"), bin.AsSpan(i * rec + 1, rec - 1), 32, 32, 3);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an image");
        string output = Path.Combine(_dir, "r20.images.int8.onnx");
        var (code, stdout, stderr) = CliRunner.Run("quantize", "--model", _model, "--calib", $"images:{dir}", "--out", output);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("on 6 images").And.Contain("float32 convs left: 0"));

        string empty = Path.Combine(_dir, "no-pictures");
        Directory.CreateDirectory(empty);
        var bad = CliRunner.Run("quantize", "--model", _model, "--calib", $"images:{empty}", "--out", Path.Combine(_dir, "e.onnx"));
        Assert.That(bad.code, Is.Not.EqualTo(0));
        Assert.That(bad.stderr, Does.Contain("calibration set is empty").And.Contain(empty));
    }

    [Test]
    public void ZeroSamplesIsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("quantize", "--model", _model, "--calib", $"frames:{_frames}", "--samples", "0", "--out", Path.Combine(_dir, "x.onnx"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr, Does.Contain("--samples").And.Contain("0"));
    }

    [Test]
    public void CalibrationChannelsThatDoNotFitTheModelAreOneLine()
    {
        string gray = Path.Combine(_dir, "gray.onnx");
        ResNetOnnxBuilder.Build(ResNetSpec.FromName("resnet20", 8, 1, 32), seed: 1).Save(gray);
        var (code, _, stderr) = CliRunner.Run("quantize", "--model", gray, "--calib", $"frames:{_frames}", "--out", Path.Combine(_dir, "g.onnx"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr, Does.Contain("3 channel(s)").And.Contain("1 channel(s)"));
    }

    [Test]
    public void UnknownMethodIsAUsageError()
    {
        var (code, _, stderr) = CliRunner.Run("quantize", "--model", _model, "--calib", $"frames:{_frames}", "--method", "kl", "--out", Path.Combine(_dir, "x.onnx"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr, Does.Contain("'kl'"));
    }

    [Test]
    public void AnEmptyRecordingIsOneLine()
    {
        string empty = Path.Combine(_dir, "empty-rec");
        ResNetRealtime.Training.Data.FramesDataset.Write(empty, 32, 32, ["a", "b"], []);
        var (code, _, stderr) = CliRunner.Run("quantize", "--model", _model, "--calib", $"frames:{empty}", "--out", Path.Combine(_dir, "e.onnx"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain(empty).And.Contain("empty"));
    }

    [Test]
    public void AnOpTheQuantizerDoesNotKnowStaysFloatAndIsNamedWithItsCount()
    {
        // The plain test CNN with a Sigmoid after its head: the Sigmoid is not an op the quantizer places Q/DQ around.
        var m = ResNetRealtime.Tests.Inference.TestModels.PlainCnn(3, 32, 8);
        var gemm = m.Graph.Nodes[^1];
        m.Graph.Nodes.RemoveAt(m.Graph.Nodes.Count - 1);
        m.Graph.Nodes.Add(new OnnxNode("Gemm", "fc", [.. gemm.Inputs], ["fc_out"], OnnxAttribute.Int("transB", 1)));
        m.Graph.Nodes.Add(new OnnxNode("Sigmoid", "squash", ["fc_out"], ["logits"]));
        string path = Path.Combine(_dir, "sigmoid.onnx"), output = Path.Combine(_dir, "sigmoid.int8.onnx");
        m.Save(path);
        var (code, stdout, stderr) = CliRunner.Run("quantize", "--model", path, "--calib", $"frames:{_frames}", "--samples", "8", "--int8-head", "--out", output);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("float32 ops the quantizer does not know: 1 (Sigmoid x1)"));
        var q = OnnxModel.Load(output);
        Assert.That(q.Graph.Nodes.Count(n => n.OpType == "Sigmoid"), Is.EqualTo(1), "kept, in float32");
        Assert.That(q.Graph.Nodes.Any(n => n.OpType == "QuantizeLinear"), Is.True, "the rest is quantized");
    }
}
