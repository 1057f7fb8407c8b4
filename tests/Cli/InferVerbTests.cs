using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tests.Inference;
using ResNetRealtime.Tools.Imaging;

namespace ResNetRealtime.Tests.Cli;

public class InferVerbTests
{
    string _dir, _model;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "infer-cli");
        Directory.CreateDirectory(_dir);
        _model = Path.Combine(_dir, "plain.onnx");
        var m = TestModels.PlainCnn(size: 16, classes: 5, seed: 7);
        m.SetMetadata("rr.labels", "[\"zero\",\"one\",\"two\",\"three\",\"four\"]");
        m.Save(_model);
    }

    string P(string name) => Path.Combine(_dir, name);

    static void AssertOneLineError((int code, string stdout, string stderr) r, params string[] contains)
    {
        Assert.That(r.code, Is.Not.EqualTo(0), r.stdout + r.stderr);
        var lines = r.stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), "stderr: " + r.stderr);
        Assert.That(r.stderr, Does.Not.Contain("   at "));
        foreach (var c in contains) Assert.That(r.stderr, Does.Contain(c));
    }

    static bool HaveFfmpeg()
    {
        try { return ChildProcess.Run("ffmpeg", new[] { "-version" }, TimeSpan.FromSeconds(20)).Code == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    static void Ffmpeg(params string[] args)
    {
        var r = ChildProcess.Run("ffmpeg", new[] { "-nostdin", "-v", "error", "-y" }.Concat(args), TimeSpan.FromSeconds(60));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
    }

    [Test]
    public void Npy_input_writes_raw_output_and_topk()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 3 * 3 * 16 * 16).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        Npy.Write(P("x.npy"), x, new[] { 3, 3, 16, 16 });
        var r = CliRunner.Run("infer", "--model", _model, "--input", P("x.npy"), "--output", P("y.npy"), "--topk", "2", "--threads", "1");
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stdout, Does.Contain("row 0:").And.Contain("row 2:"));
        Assert.That(r.stdout, Does.Contain("not a ResNet"), "a plain CNN runs, and infer says what it is");
        var y = Npy.Read(P("y.npy"));
        Assert.That(y.Shape, Is.EqualTo(new[] { 3, 5 }));
        using var clf = Classifier.Create(_model, new ClassifierOptions { MaxBatch = 3 });
        var want = clf.ClassifyTensor(x, 3);
        for (int i = 0; i < 3; i++)
            Assert.That(y.Data.AsSpan(i * 5, 5).ToArray(), Is.EqualTo(want[i].Logits.ToArray()).Within(1e-5));
        Assert.That(r.stdout, Does.Contain(want[0].Best.Label));
    }

    [Test]
    public void Npy_taps_are_written()
    {
        Npy.Write(P("t.npy"), new float[2 * 3 * 16 * 16], new[] { 2, 3, 16, 16 });
        var r = CliRunner.Run("infer", "--model", _model, "--input", P("t.npy"), "--taps", "relu1,conv1", "--taps-out", P("taps"));
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        var relu = Npy.Read(P("taps/relu1.npy"));
        Assert.That(relu.Shape, Is.EqualTo(new[] { 2, 4, 16, 16 }));
        var conv = Npy.Read(P("taps/conv1.npy"));
        for (int i = 0; i < relu.Data.Length; i++) Assert.That(relu.Data[i], Is.EqualTo(Math.Max(0, conv.Data[i])));
    }

    [Test]
    public void Image_input_prints_topk_with_labels_and_latency()
    {
        if (!HaveFfmpeg()) Assert.Ignore("ffmpeg not installed");
        Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64", "-frames:v", "1", P("img.png"));
        var r = CliRunner.Run("infer", "--model", _model, "--input", P("img.png"), "--topk", "3", "--taps", "relu1", "--taps-out", P("itaps"));
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stdout, Does.Contain("96x64").And.Contain("latency").And.Contain("preprocess"));
        Assert.That(r.stdout.Split('\n').Count(l => l.TrimStart().StartsWith("1.") || l.TrimStart().StartsWith("2.") || l.TrimStart().StartsWith("3.")), Is.EqualTo(3));
        Assert.That(Npy.Read(P("itaps/relu1.npy")).Shape, Is.EqualTo(new[] { 1, 4, 16, 16 }));
    }

    [Test]
    public void Decoder_returns_exact_pixels_of_a_lossless_image()
    {
        if (!HaveFfmpeg()) Assert.Ignore("ffmpeg not installed");
        // Write a binary PPM ourselves, let ffmpeg convert it to PNG, decode the PNG: bytes must match.
        int w = 13, h = 7;
        var px = new byte[w * h * 3];
        new Random(5).NextBytes(px);
        using (var f = File.Create(P("src.ppm")))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{w} {h}\n255\n"));
            f.Write(px);
        }
        Ffmpeg("-i", P("src.ppm"), P("src.png"));
        var img = ImageDecoder.Decode(P("src.png"));
        Assert.That((img.Width, img.Height, img.Format), Is.EqualTo((w, h, PixelFormat.Rgb24)));
        Assert.That(img.Pixels, Is.EqualTo(px));
    }

    [Test]
    public void Missing_ffmpeg_is_one_clear_error()
    {
        File.WriteAllBytes(P("any.png"), new byte[] { 1, 2, 3 });
        var old = ImageDecoder.FfmpegPath;
        ImageDecoder.FfmpegPath = "/nonexistent/ffmpeg";
        try
        {
            var ex = Assert.Throws<NotSupportedException>(() => ImageDecoder.Decode(P("any.png")));
            Assert.That(ex.Message, Does.Contain("ffmpeg").And.Contain("install"));
        }
        finally { ImageDecoder.FfmpegPath = old; }
    }

    [Test]
    public void Bad_inputs_give_one_line_errors()
    {
        Npy.Write(P("ok.npy"), new float[3 * 16 * 16], new[] { 1, 3, 16, 16 });
        Npy.Write(P("wrong.npy"), new float[3 * 32 * 32], new[] { 1, 3, 32, 32 });
        var bytes = File.ReadAllBytes(_model);
        File.WriteAllBytes(P("truncated.onnx"), bytes[..(bytes.Length / 2)]);
        var rnd = new byte[4096]; new Random(2).NextBytes(rnd);
        File.WriteAllBytes(P("random.onnx"), rnd);
        File.WriteAllText(P("notimage.png"), "this is text, not a picture\n");

        AssertOneLineError(CliRunner.Run("infer", "--model", P("nope.onnx"), "--input", P("ok.npy")), "nope.onnx", "not found");
        AssertOneLineError(CliRunner.Run("infer", "--model", P("truncated.onnx"), "--input", P("ok.npy")), "truncated.onnx");
        AssertOneLineError(CliRunner.Run("infer", "--model", P("random.onnx"), "--input", P("ok.npy")), "random.onnx");
        AssertOneLineError(CliRunner.Run("infer", "--model", _model, "--input", P("wrong.npy")),
            "wrong.npy has shape [1,3,32,32]; the model expects [N,3,16,16]");
        AssertOneLineError(CliRunner.Run("infer", "--model", _model, "--input", P("ok.npy"), "--backend", "tpu"), "--backend: unknown backend 'tpu'; one of: auto, ort-cpu");
        AssertOneLineError(CliRunner.Run("infer", "--model", _model, "--input", P("missing.npy")), "missing.npy", "not found");
        AssertOneLineError(CliRunner.Run("infer", "--model", _model, "--input", P("ok.npy"), "--bogus", "1"), "--bogus");
        AssertOneLineError(CliRunner.Run("infer", "--input", P("ok.npy")), "--model is required");
        if (HaveFfmpeg())
            AssertOneLineError(CliRunner.Run("infer", "--model", _model, "--input", P("notimage.png")), "notimage.png", "not an image");
        if (!Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders().Contains("DmlExecutionProvider"))
            AssertOneLineError(CliRunner.Run("infer", "--model", _model, "--input", P("ok.npy"), "--backend", "ort-dml"), "ort-dml needs", "ort-cpu");
    }
}
