using NUnit.Framework;
using ResNetRealtime.Cli;
using ResNetRealtime.Cli.Eval;
using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Quantization;
using ResNetRealtime.Tests.Demo;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Tests.Quantization;

/// <summary>
/// Accuracy of the int8 model where it matters: models/scene-resnet.onnx (ResNet-20, 64×64, trained
/// on scene frames of seed 7) calibrated on 256 frames of seed 11 and judged on 600 frames of seed 12 —
/// scene seeds neither it nor its calibration saw. The bar is issue 11's, top-1 agreement with float32
/// ≥ 99%: measured 99.67% with percentile (the default) and 99.83% with entropy (2026-12-01). minmax
/// measured 98.33% on the same frames (an outlier-stretched range costs resolution): it is held to 97%,
/// a point below, so a regression in it still fails. The printed line gives agreement and both accuracies.
/// </summary>
[TestFixture]
public class SceneAccuracyTests
{
    const int CalibSeed = 11, EvalSeed = 12, CalibFrames = 300, EvalFrames = 600;
    string _calib, _eval;
    OnnxModel _model;
    ModelInfo _info;
    int[] _labels, _float;

    [OneTimeSetUp]
    public void Record()
    {
        _calib = DemoTestUtil.TempDir("int8-calib");
        _eval = DemoTestUtil.TempDir("int8-eval");
        using (var ctx = GlContext.CreateHeadless())
        {
            FrameRecording.Record(ctx.Gl, _calib, CalibFrames, 64, CalibSeed);
            FrameRecording.Record(ctx.Gl, _eval, EvalFrames, 64, EvalSeed);
        }
        _model = OnnxModel.Load(Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx"));
        _info = ModelInspector.Inspect(_model);
        using var eval = FramesDataset.Open(_eval);
        _labels = Enumerable.Range(0, eval.Count).Select(eval.Label).ToArray();
        _float = Top1.Predict(_model.ToBytes(), ModelData.Batches(eval, _info.Mean, _info.Std, shuffle: false));
    }

    [TestCase(nameof(CalibrationMethod.Percentile), 0.99)]
    [TestCase(nameof(CalibrationMethod.MinMax), 0.97)]
    [TestCase(nameof(CalibrationMethod.Entropy), 0.99)]
    // The enum by name: CalibrationMethod is internal to the runtime, and a public test method cannot take it.
    public void Int8AgreesWithFloat32OnFramesOfAnUnseenSeed(string methodName, double bar)
    {
        var method = Enum.Parse<CalibrationMethod>(methodName);
        QuantizeResult r;
        using (var calib = ModelData.Load($"frames:{_calib}", _info, "calibration data"))
            r = Int8Quantizer.Quantize(_model, ModelData.Batches(calib.Train, _info.Mean, _info.Std),
                new QuantizeOptions { Method = method, Samples = 256, DataDescription = $"frames seed {CalibSeed}" });
        Assert.That(r.SamplesUsed, Is.EqualTo(256));
        int[] int8;
        using (var eval = FramesDataset.Open(_eval))
            int8 = Top1.Predict(r.Model.ToBytes(), ModelData.Batches(eval, _info.Mean, _info.Std, shuffle: false));
        Assert.That(int8, Has.Length.EqualTo(EvalFrames));
        double agree = Enumerable.Range(0, EvalFrames).Count(i => int8[i] == _float[i]) / (double)EvalFrames;
        double accFloat = Enumerable.Range(0, EvalFrames).Count(i => _float[i] == _labels[i]) / (double)EvalFrames;
        double accInt8 = Enumerable.Range(0, EvalFrames).Count(i => int8[i] == _labels[i]) / (double)EvalFrames;
        TestContext.Out.WriteLine($"scene-resnet int8 ({method}, 256 frames of seed {CalibSeed}) on {EvalFrames} frames of seed {EvalSeed}: " +
                                  $"agreement {agree:P2}, accuracy float32 {accFloat:P2}, int8 {accInt8:P2}");
        Assert.That(agree, Is.GreaterThanOrEqualTo(bar), $"top-1 agreement int8 vs float32 ({method})");
    }

    [Test]
    public void TheQuantizedModelRunsThroughTheClassifierPathAllocatingNothingPerFrame()
    {
        // The real-time API takes an already quantized model as it is: frames in as RGB pixels,
        // preprocessing, ORT, top-k. Same 600 frames through the float32 and the int8 classifier.
        QuantizeResult r;
        using (var calib = ModelData.Load($"frames:{_calib}", _info, "calibration data"))
            r = Int8Quantizer.Quantize(_model, ModelData.Batches(calib.Train, _info.Mean, _info.Std), new QuantizeOptions { Samples = 256 });
        using var fp = Classifier.Create(_model, new ClassifierOptions { Threads = 1 });
        using var q8 = Classifier.Create(r.Model, new ClassifierOptions { Threads = 1 });
        Assert.That(q8.Labels, Is.EqualTo(fp.Labels), "labels come from the kept metadata");
        using var eval = FramesDataset.Open(_eval);
        var chw = new byte[3 * 64 * 64];
        var rgb = new byte[64 * 64 * 3];
        int agree = 0;
        for (int i = 0; i < eval.Count; i++)
        {
            eval.CopyImage(i, chw);
            for (int p = 0; p < 64 * 64; p++) for (int c = 0; c < 3; c++) rgb[p * 3 + c] = chw[c * 64 * 64 + p];
            if (fp.Classify(rgb, 64, 64, 64 * 3, PixelFormat.Rgb24).Best.ClassIndex == q8.Classify(rgb, 64, 64, 64 * 3, PixelFormat.Rgb24).Best.ClassIndex) agree++;
        }
        TestContext.Out.WriteLine($"Classifier path: int8 agrees with float32 on {agree} of {eval.Count} frames ({agree / (double)eval.Count:P2})");
        Assert.That(agree / (double)eval.Count, Is.GreaterThanOrEqualTo(0.99));
        Assert.That(SteadyState.BytesPerWindow(() => q8.Classify(rgb, 64, 64, 64 * 3, PixelFormat.Rgb24)), Is.EqualTo(0), "bytes allocated per window of int8 frames");
    }
}
