using System.Text.Json;
using NUnit.Framework;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Demo;
using ResNetRealtime.Tests.Inference;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Tests.Eval;

/// <summary>
/// `rr eval` end to end on a toy whose answers are known without running it: a model that predicts the
/// brightest colour channel (identity 1×1 centre tap → ReLU → average pool → identity head) on a
/// hand-written recording of solid red/green/blue frames, some labelled as another colour. The printed
/// and JSON figures must be that confusion matrix; bad input is one line.
/// </summary>
[TestFixture]
public class EvalVerbTests
{
    const int Size = 8;
    static readonly string[] Colours = ["red", "green", "blue"];
    // (label, colour drawn): class red has 4 red frames and 1 green, green 3 green, blue 2 blue + 1 red + 1 green.
    static readonly (byte Label, int Colour)[] TestFrames =
        [(0, 0), (0, 0), (0, 0), (0, 1), (0, 0), (1, 1), (1, 1), (1, 1), (2, 2), (2, 0), (2, 2), (2, 1)];
    static readonly int[,] Expected = { { 4, 1, 0 }, { 0, 3, 0 }, { 1, 1, 2 } };
    string _dir, _data, _model, _alwaysGreen;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = DemoTestUtil.TempDir("eval-verb");
        _data = Path.Combine(_dir, "colours");
        FramesDataset.Write(_data, Size, Size, Colours, [.. Enumerable.Range(0, 6).Select(i => ((byte)(i % 3), Solid(i % 3)))]);
        FramesDataset.Write(Path.Combine(_data, "test"), Size, Size, Colours, [.. TestFrames.Select(f => (f.Label, Solid(f.Colour)))]);
        _model = Path.Combine(_dir, "brightest.onnx");
        Brightest(headBias: [0, 0, 0]).Save(_model);
        _alwaysGreen = Path.Combine(_dir, "green.onnx");
        Brightest(headBias: [0, 10, 0]).Save(_alwaysGreen);
    }

    static byte[] Solid(int colour)
    {
        var rgb = new byte[Size * Size * 3];
        for (int p = 0; p < Size * Size; p++) { rgb[p * 3 + colour] = 200; rgb[p * 3 + (colour + 1) % 3] = 30; }
        return rgb;
    }

    /// <summary>Logit c = mean of channel c (x/255, mean 0, std 1) + bias c.</summary>
    static OnnxModel Brightest(float[] headBias)
    {
        var conv = new float[3 * 3 * 9];
        for (int c = 0; c < 3; c++) conv[(c * 3 + c) * 9 + 4] = 1;   // [f, c, 1, 1]: the centre tap of channel f
        float[] eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        var m = TestModels.PlainCnn(3, Size, 3, 3, w: new TestModels.Weights(conv, new float[3], eye, headBias, 3, 3, 3));
        m.SetMetadata(MetadataKeys.Mean, "[0,0,0]");
        m.SetMetadata(MetadataKeys.Std, "[1,1,1]");
        m.SetMetadata(MetadataKeys.InputSize, Size.ToString());
        return m;
    }

    [Test]
    public void PrintsAndWritesTheKnownConfusionMatrix()
    {
        string json = Path.Combine(_dir, "eval.json"), svg = Path.Combine(_dir, "confusion.svg");
        var (code, stdout, stderr) = CliRunner.Run("eval", "--model", _model, "--data", $"frames:{_data}", "--reference", _alwaysGreen,
                                                   "--json", json, "--chart", svg, "--threads", "1");
        Assert.That(code, Is.EqualTo(0), stderr);
        TestContext.Out.WriteLine(stdout);
        Assert.That(stdout, Does.Contain("12 images").And.Contain("accuracy: 75.00% (9/12)").And.Contain("top-3: 100.00% (12/12)"));
        Assert.That(stdout, Does.Contain("red    80.00% (4/5)").And.Contain("green  100.00% (3/3)").And.Contain("blue   50.00% (2/4)"));
        // The always-green reference agrees where the model says green: frames 3, 5, 6, 7 and 11.
        Assert.That(stdout, Does.Contain("top-1 agreement with green.onnx: 41.67% (5/12)"));

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        var confusion = root.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int t = 0; t < 3; t++) Assert.That(confusion[t], Is.EqualTo(Enumerable.Range(0, 3).Select(p => Expected[t, p])), $"row {Colours[t]}");
        Assert.That(root.GetProperty("accuracy").GetDouble(), Is.EqualTo(0.75));
        Assert.That(root.GetProperty("agreement").GetDouble(), Is.EqualTo(5 / 12.0));
        Assert.That(root.GetProperty("per_class")[2].GetProperty("correct").GetInt32(), Is.EqualTo(2));
        var chart = File.ReadAllText(svg);
        Assert.That(chart, Does.StartWith("<svg").And.Contain("true blue, predicted red: 1").And.Contain("12 images, accuracy 75.00%"));
    }

    [Test]
    public void SplitAllAndLimitChooseTheImages()
    {
        // All = 6 training frames (all right) then the 12 test ones; --limit 8 keeps the 6 and test frames 0-1.
        var (code, stdout, stderr) = CliRunner.Run("eval", "--model", _model, "--data", $"frames:{_data}", "--split", "all", "--limit", "8");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("8 images (--limit 8)").And.Contain("accuracy: 100.00% (8/8)"));
        Assert.That(stdout, Does.Not.Contain("agreement"));
    }

    [Test]
    public void BadInputIsOneLine()
    {
        Expect(["--model", Path.Combine(_dir, "missing.onnx"), "--data", $"frames:{_data}"], "missing.onnx", "not found");
        Expect(["--model", _model, "--data", $"frames:{Path.Combine(_dir, "nowhere")}"], "nowhere");
        Expect(["--model", _model, "--data", "pictures:x"], "unknown data kind 'pictures'");
        Expect(["--model", _model, "--data", $"frames:{_data}", "--split", "val"], "--split", "'val'");

        string gray = Path.Combine(_dir, "gray.onnx");
        var g = TestModels.PlainCnn(1, Size, 3, 3);
        g.SetMetadata(MetadataKeys.InputSize, Size.ToString());
        g.Save(gray);
        Expect(["--model", gray, "--data", $"frames:{_data}"], "3 channel(s)", "1 channel(s)");

        string four = Path.Combine(_dir, "four.onnx");
        var f = TestModels.PlainCnn(3, Size, 4, 3);
        f.SetMetadata(MetadataKeys.InputSize, Size.ToString());
        f.Save(four);
        Expect(["--model", four, "--data", $"frames:{_data}"], "has 3 classes", "outputs 4");
        Expect(["--model", _model, "--data", $"frames:{_data}", "--reference", four], "--reference four.onnx", "4 classes");

        string empty = Path.Combine(_dir, "empty");
        FramesDataset.Write(empty, Size, Size, Colours, []);
        Expect(["--model", _model, "--data", $"frames:{empty}"], "empty");
    }

    static void Expect(string[] args, params string[] parts)
    {
        var (code, _, stderr) = CliRunner.Run(["eval", .. args]);
        Assert.That(code, Is.Not.EqualTo(0), string.Join(" ", args));
        var lines = stderr.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), stderr);
        foreach (var p in parts) Assert.That(lines[0], Does.Contain(p));
    }
}
