using System.Reflection;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Tests.Inference;

/// <summary>The one options model: shared fields with one default, copied whole between the APIs; the enums' names; and
/// the device id reaching ONNX Runtime's session options through both APIs and the self-check's comparison.</summary>
[TestFixture, NonParallelizable]
public class InferenceOptionsTests
{
    static readonly PropertyInfo[] Shared = typeof(InferenceOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    [Test]
    public void Shared_fields_have_the_same_defaults_in_both_APIs()
    {
        Assert.That(Shared.Select(p => p.Name), Is.EquivalentTo(new[] { "Backend", "DeviceId", "Threads", "Precision", "Taps", "TopK", "CropRatio", "SelfCheck" }));
        var c = new ClassifierOptions();
        var r = new RealtimeOptions();
        foreach (var p in Shared)
            Assert.That(p.GetValue(r), Is.EqualTo(p.GetValue(c)), p.Name);
        Assert.That((c.Backend, c.Precision, c.TopK, c.SelfCheck), Is.EqualTo((Backend.Auto, Precision.Fp32, 5, true)));
    }

    [Test]
    public void A_classifier_made_for_realtime_options_gets_every_shared_field()
    {
        var r = new RealtimeOptions
        {
            Backend = Backend.OrtDml, DeviceId = 3, Threads = 2, Precision = Precision.Int8, Taps = ["layer1"], TopK = 2,
            CropRatio = 0.5, SelfCheck = false, Cam = true,
        };
        var c = new ClassifierOptions(r);
        foreach (var p in Shared)
        {
            Assert.That(p.GetValue(c), Is.EqualTo(p.GetValue(r)), p.Name);
            Assert.That(p.GetValue(c), Is.Not.EqualTo(p.GetValue(new ClassifierOptions())), $"{p.Name}: the test must set a non-default value");
        }
        Assert.That(c.MaxBatch, Is.EqualTo(1));
    }

    [Test]
    public void Names_round_trip_and_an_unknown_name_lists_the_valid_ones()
    {
        foreach (var b in Enum.GetValues<Backend>())
            Assert.That(InferenceNames.TryParse(b.ToName(), out Backend back) && back == b, b.ToString());
        foreach (var p in Enum.GetValues<Precision>())
            Assert.That(InferenceNames.TryParse(p.ToName(), out Precision back) && back == p, p.ToString());
        Assert.That(InferenceNames.Backends, Is.EqualTo(new[] { "auto", "ort-cpu", "ort-dml", "ort-cuda", "gl" }));
        Assert.That(Backend.OrtCuda.ToName(), Is.EqualTo("ort-cuda"));
        Assert.That(InferenceNames.TryParse("GL", out Backend _), Is.False, "names are exact");
        Assert.That(((Backend)9).ToName(), Is.EqualTo("Backend(9)"));
        Assert.That(Assert.Throws<ArgumentException>(() => InferenceNames.ParseBackend("tpu")).Message,
            Is.EqualTo("unknown backend 'tpu'; one of: auto, ort-cpu, ort-dml, ort-cuda, gl"));
        Assert.That(Assert.Throws<ArgumentException>(() => InferenceNames.ParsePrecision("fp16")).Message,
            Is.EqualTo("unknown precision 'fp16'; one of: fp32, int8"));
    }

    /// <summary>
    /// DeviceId is asked for in each API and must arrive at ONNX Runtime's session options (where the DirectML/CUDA
    /// provider is appended with it). ort-cuda is not in this build, so the session fails after the options are made;
    /// the seam records what they were made with. Before the options model, RealtimeClassifier dropped it (device 0).
    /// </summary>
    [TestCase("realtime")]
    [TestCase("classifier")]
    [TestCase("self-check comparison")]
    public void DeviceId_reaches_the_ort_session_options(string path)
    {
        var seen = new List<(Backend, int)>();
        OrtBackend.SessionOptionsForTests = (b, o) => { lock (seen) seen.Add((b, o.DeviceId)); };
        try
        {
            try
            {
                switch (path)
                {
                    case "realtime":
                        RealtimeClassifier.Create(Realtime.RealtimeCpuTests.Model, new RealtimeOptions { Backend = Backend.OrtCuda, DeviceId = 3 }).Dispose();
                        break;
                    case "classifier":
                        Classifier.Create(Realtime.RealtimeCpuTests.Model, new ClassifierOptions { Backend = Backend.OrtCuda, DeviceId = 3 }).Dispose();
                        break;
                    default:
                        var model = OnnxModel.Load(Realtime.RealtimeCpuTests.Model);
                        BackendComparer.Compare(model, Backend.OrtCpu, Backend.OrtCuda, new float[3 * 64 * 64], 1, deviceId: 3);
                        break;
                }
            }
            catch (NotSupportedException) { }   // no CUDA here: what matters is what the session was asked for
            catch (InvalidOperationException) { }
            catch (ArgumentException) { }
        }
        finally { OrtBackend.SessionOptionsForTests = null; }
        lock (seen)
        {
            var cuda = seen.Where(s => s.Item1 == Backend.OrtCuda).ToList();
            Assert.That(cuda, Is.Not.Empty, "no ort-cuda session options were made");
            Assert.That(cuda.Select(s => s.Item2), Is.All.EqualTo(3), string.Join(", ", seen));
        }
    }
}
