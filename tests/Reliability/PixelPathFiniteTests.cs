using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Tests.Gl;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>
/// Issue 12, finiteness cost: frames classified from pixels skip the backends' finiteness check
/// (IInferenceBackend.RunFinite: bytes cannot be NaN, and the Preprocessor refuses a mean/std that could make
/// them so), while float tensors stay checked on every backend.
/// </summary>
public class PixelPathFiniteTests
{
    /// <summary>Records which entry the Classifier used; its logits are fixed.</summary>
    sealed class RecordingBackend : IInferenceBackend
    {
        public int Checked, Unchecked;
        public Runtime.Backend Kind => Runtime.Backend.OrtCpu;   // stands in for a CPU backend (no self-check, no thread rule)
        public string Name => "recording";
        public BackendCapabilities Capabilities => BackendCapabilities.Batch;
        public int Channels => 3;
        public int Height => 8;
        public int Width => 8;
        public int Classes => 4;
        public int MaxBatch => 2;
        public IReadOnlyList<TapTensor> Taps => Array.Empty<TapTensor>();
        public void Run(ReadOnlySpan<float> input, int batch, Span<float> logits) { Checked++; logits.Clear(); }
        void IInferenceBackend.RunFinite(ReadOnlySpan<float> input, int batch, Span<float> logits) { Unchecked++; logits.Clear(); }
        public void Dispose() { }
    }

    [Test]
    public void PixelsTakeTheUncheckedRunAndTensorsTheCheckedOne()
    {
        var be = new RecordingBackend();
        using var c = new Classifier(be, new ClassifierOptions { MaxBatch = 2 });
        var px = TestModels.Frame(20, 12, 1);
        c.Classify(px, 20, 12, 80, PixelFormat.Bgra32);
        c.ClassifyBatch(new[] { new Frame(px, 20, 12, 80, PixelFormat.Bgra32), new Frame(px, 20, 12, 80, PixelFormat.Bgra32) });
        Assert.That((be.Unchecked, be.Checked), Is.EqualTo((2, 0)), "Classify + ClassifyBatch from pixels");
        c.ClassifyTensor(new float[3 * 8 * 8], 1);
        Assert.That((be.Unchecked, be.Checked), Is.EqualTo((2, 1)), "ClassifyTensor: caller's floats are checked");
    }

    [Test]
    public void OrtRunFiniteSkipsTheCheckThatRunMakes()
    {
        using var be = BackendFactory.Create(Backend.OrtCpu, TestModels.PlainCnn(size: 16, classes: 5, seed: 3));
        var x = new float[3 * 16 * 16];
        x[100] = float.NaN;
        var logits = new float[5];
        Assert.Throws<ArgumentException>(() => be.Run(x, 1, logits));
        Assert.DoesNotThrow(() => be.RunFinite(x, 1, logits), "the vouched path must not pay the check");
        Assert.That(float.IsNaN(logits[0]), "and the NaN did reach ORT: the check was skipped, not moved");
    }

    [Test]
    public void ClassifyTensorStillRejectsNan()
    {
        using var c = new Classifier(BackendFactory.Create(Backend.OrtCpu, TestModels.PlainCnn(size: 16, classes: 5, seed: 3)));
        var x = new float[3 * 16 * 16];
        x[7] = float.PositiveInfinity;
        var e = Assert.Throws<ArgumentException>(() => c.ClassifyTensor(x, 1));
        Assert.That(e.Message, Does.Contain("element 7 of 768 is Infinity"));
    }

    [TestCase(float.NaN, 0.5f, "mean[0] = NaN")]
    [TestCase(0.5f, float.PositiveInfinity, "std[0] = Infinity")]
    [TestCase(0.5f, 1e-44f, "std[0] = 1E-44")]
    [TestCase(3e38f, 0.01f, "mean[0] = 3E+38")]
    public void PreprocessorRefusesNormalisationThatCouldOverflow(float mean, float std, string shown)
    {
        var e = Assert.Throws<ArgumentException>(() => new Preprocessor(3, 8, 8, new[] { mean, 0.5f, 0.5f }, new[] { std, 0.5f, 0.5f }));
        Assert.That(e.Message, Does.Contain(shown).And.Contain("must be finite"));
    }

    [Test, Category("Gl")]
    public void GlRunFiniteSkipsTheCheckThatRunMakes()
    {
        var m = TestModels.PlainCnn(size: 16, classes: 5, seed: 3);
        using var gl = GlBackendFactory.Create(m, new BackendOptions(), new GlBackendOptions { Context = GlTestContext.Get() });
        var x = new float[3 * 16 * 16];
        x[100] = float.NaN;
        IInferenceBackend be = gl;
        Assert.Throws<ArgumentException>(() => be.Run(x, 1, new float[5]));
        Assert.DoesNotThrow(() => be.RunFinite(x, 1, new float[5]));
    }
}
