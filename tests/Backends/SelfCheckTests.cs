using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Realtime;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tests.Gl;

namespace ResNetRealtime.Tests.Backends;

/// <summary>
/// The GPU backends' self-check (<see cref="BackendSelfCheck"/>) on gl over Mesa llvmpipe, with an honest fault: the test
/// seam <see cref="BackendFactory.FaultForTests"/> hands gl a copy of the model whose second convolution has its weights
/// negated, so gl's real kernels compute wrong numbers from that layer on, and the check must refuse it, naming the first
/// tensor that diverges, exactly as <see cref="BackendComparer"/> finds it.
/// </summary>
[TestFixture, Category("Gl"), NonParallelizable]
public class SelfCheckTests
{
    static readonly string Scene = Path.Combine(RepoPaths.Root, "models", "scene-resnet.onnx");
    static string _npy;

    [SetUp]
    public void SetUp()
    {
        BackendSelfCheck.ClearCache();
        _npy = Path.Combine(TestContext.CurrentContext.WorkDirectory, "selfcheck-input.npy");
        var info = LoadedModel.Load(Scene).Info;
        Npy.Write(_npy, BackendSelfCheck.ProbeInput(info.Channels, info.InputHeight, info.InputWidth), new[] { 1, info.Channels, info.InputHeight, info.InputWidth });
    }

    [TearDown]
    public void TearDown()
    {
        BackendFactory.FaultForTests = null;
        BackendChoice.SoftwareCountsAsHardwareForTests = false;
        BackendSelfCheck.ClearCache();   // a verdict made under a fault must not outlive the test
    }

    /// <summary>The name of the perturbed conv (the model's second Conv) and the fault that negates its weights on gl.</summary>
    static string InjectGlFault()
    {
        var conv = OnnxModel.Load(Scene).Graph.Nodes.Where(n => n.OpType == "Conv").ElementAt(1);
        BackendFactory.FaultForTests = (backend, m) =>
        {
            if (backend != Backend.Gl) return m;
            var copy = OnnxModel.Parse(m.Onnx.ToBytes(), "perturbed");
            var init = copy.Graph.Initializers;
            int i = init.FindIndex(t => t.Name == conv.Inputs[1]);
            var w = init[i].ToFloatArray();
            for (int k = 0; k < w.Length; k++) w[k] = -w[k];
            init[i] = OnnxTensor.FromFloats(init[i].Name, init[i].Dims, w);
            return LoadedModel.From(copy, m.Source);
        };
        return conv.Outputs[0];
    }

    /// <summary>What BackendComparer itself names as the first divergence under the fault (the self-check must agree).</summary>
    static string ComparerFirstDivergence()
    {
        var info = LoadedModel.Load(Scene).Info;
        var probe = BackendSelfCheck.ProbeInput(info.Channels, info.InputHeight, info.InputWidth, info.Mean, info.Std);
        var report = Task.Run(() => BackendComparer.Compare(OnnxModel.Load(Scene), Backend.OrtCpu, Backend.Gl, probe, 1, BackendSelfCheck.Tolerance)).Result;
        Assert.That(report.FirstDivergence, Is.Not.Null, "the fault must make gl diverge");
        return report.FirstDivergence.Tensor;
    }

    [Test, CancelAfter(300_000)]
    public void Gl_without_a_fault_passes_and_the_second_session_is_answered_from_the_cache()
    {
        GlTestContext.Get();
        int before = BackendSelfCheck.ProbeRuns;
        using (var a = Classifier.Create(Scene, new ClassifierOptions { Backend = Backend.Gl }))
        {
            Assert.That(a.SelfCheck, Is.Not.Null);
            Assert.That((a.SelfCheck.Passed, a.SelfCheck.Cached), Is.EqualTo((true, false)), a.SelfCheck.Failure);
            // fp32 accumulation order only: far inside the tolerance (it is set for garbage, not for this).
            Assert.That(a.SelfCheck.Relative, Is.LessThan(1e-4));
            TestContext.Progress.WriteLine($"self-check gl on {a.SelfCheck.Device}: relative {a.SelfCheck.Relative:G3}, {a.SelfCheck.Milliseconds:F1} ms, of which the ort-cpu reference {a.SelfCheck.ReferenceMilliseconds:F1} ms");
        }
        Assert.That(BackendSelfCheck.ProbeRuns, Is.EqualTo(before + 1));
        using (var b = Classifier.Create(Scene, new ClassifierOptions { Backend = Backend.Gl }))
            Assert.That((b.SelfCheck.Passed, b.SelfCheck.Cached), Is.EqualTo((true, true)));
        Assert.That(BackendSelfCheck.ProbeRuns, Is.EqualTo(before + 1), "a second session on the same model and device runs no probe");
        using (var c = Classifier.Create(Scene, new ClassifierOptions { Backend = Backend.OrtCpu }))
            Assert.That(c.SelfCheck, Is.Null, "ort-cpu is the reference");
    }

    [Test, CancelAfter(300_000)]
    public void Explicit_gl_with_a_fault_fails_the_cli_with_one_line_naming_the_first_diverging_tensor()
    {
        GlTestContext.Get();
        InjectGlFault();
        string first = ComparerFirstDivergence();
        var r = CliRunner.Run("infer", "--model", Scene, "--input", _npy, "--backend", "gl");
        Assert.That(r.code, Is.EqualTo(1), r.stdout + r.stderr);
        var lines = r.stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.stderr);
        Assert.That(lines[0], Does.Contain("gl failed its self-check against ort-cpu").And.Contain($"first diverging tensor {first} ("), lines[0]);
        Assert.That(r.stdout, Does.Not.Contain("row 0"), "no result may be printed from a refused backend");
    }

    [Test, CancelAfter(300_000)]
    public void Auto_falls_back_to_ort_cpu_with_the_reason_through_both_apis()
    {
        var ctx = GlTestContext.Get();
        InjectGlFault();
        BackendChoice.SoftwareCountsAsHardwareForTests = true;   // so that auto tries gl first on llvmpipe
        using (var clf = Classifier.Create(Scene, new ClassifierOptions { Backend = Backend.Auto }))
        {
            Assert.That(clf.InferenceBackend.Name, Is.EqualTo(OrtBackend.Cpu));
            Assert.That(clf.Choice.Reason, Does.Contain("gl was tried first and refused: gl failed its self-check").And.Contain("first diverging tensor"), clf.Choice.Reason);
        }
        ctx.MakeCurrent();
        using (var rt = RealtimeClassifier.Create(Scene, new RealtimeOptions { Backend = Backend.Auto, GlContext = ctx }))
        {
            Assert.That(rt.Backend, Is.EqualTo(Backend.OrtCpu));
            Assert.That(rt.Choice.Reason, Does.Contain("gl was tried first and refused: gl failed its self-check"), rt.Choice.Reason);
        }
        var r = CliRunner.Run("infer", "--model", Scene, "--input", _npy, "--backend", "auto");
        Assert.That(r.code, Is.EqualTo(0), r.stderr);
        Assert.That(r.stdout, Does.Contain("backend: ort-cpu"));
        Assert.That(r.stderr, Does.StartWith("rr infer: backend ort-cpu").And.Contain("gl failed its self-check"), r.stderr);
    }

    [Test, CancelAfter(300_000)]
    public void Explicit_gl_in_the_realtime_api_is_refused_and_the_opt_out_runs_no_probe()
    {
        var ctx = GlTestContext.Get();
        InjectGlFault();
        var e = Assert.Throws<SelfCheckException>(() => RealtimeClassifier.Create(Scene, new RealtimeOptions { Backend = Backend.Gl, GlContext = ctx }));
        Assert.That(e.Message, Does.Contain("first diverging tensor"));
        ctx.MakeCurrent();
        int before = BackendSelfCheck.ProbeRuns;
        using (var rt = RealtimeClassifier.Create(Scene, new RealtimeOptions { Backend = Backend.Gl, GlContext = ctx, SelfCheck = false }))
            Assert.That((rt.Backend, rt.SelfCheck), Is.EqualTo((Backend.Gl, (SelfCheckResult)null)));
        using var clf = Classifier.Create(Scene, new ClassifierOptions { Backend = Backend.Gl, SelfCheck = false });
        Assert.That(clf.SelfCheck, Is.Null);
        Assert.That(BackendSelfCheck.ProbeRuns, Is.EqualTo(before), "opted out: no probe ran");
        // ... and the fault is live: unchecked, gl now answers differently from ort-cpu (what the check exists to stop).
        using var cpu = Classifier.Create(Scene, new ClassifierOptions { Backend = Backend.OrtCpu });
        var x = Npy.Read(_npy).Data;
        var g = clf.ClassifyTensor(x, 1)[0].Logits.ToArray();
        var c = cpu.ClassifyTensor(x, 1)[0].Logits.ToArray();
        Assert.That(BackendComparer.Diff("out", "out", new[] { 1, g.Length }, c, g, BackendSelfCheck.Tolerance).WithinTolerance, Is.False);
    }

    [Test]
    public void The_probe_is_the_same_every_time_and_normalised_with_the_models_mean_and_std()
    {
        var a = BackendSelfCheck.ProbeInput(3, 7, 13, new[] { 0.5f, 0.4f, 0.3f }, new[] { 0.2f, 0.25f, 0.3f });
        var b = BackendSelfCheck.ProbeInput(3, 7, 13, new[] { 0.5f, 0.4f, 0.3f }, new[] { 0.2f, 0.25f, 0.3f });
        Assert.That(a, Is.EqualTo(b));
        var raw = BackendSelfCheck.ProbeInput(3, 7, 13);
        Assert.That(raw.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(raw.Max(), Is.LessThanOrEqualTo(1f));
        Assert.That(raw.Distinct().Count(), Is.GreaterThan(raw.Length / 2), "structure and noise, not a constant");
        Assert.That(a[0], Is.EqualTo((raw[0] - 0.5f) / 0.2f).Within(1e-6f));
    }

    [Test]
    public void Auto_order_is_directml_first_on_windows_and_gl_then_ort_cpu_elsewhere()
    {
        var order = BackendChoice.AutoOrder;
        Assert.That(order, Is.EqualTo(OperatingSystem.IsWindows() ? new[] { Backend.OrtDml, Backend.Gl, Backend.OrtCpu } : new[] { Backend.Gl, Backend.OrtCpu }));
        var hw = BackendChoice.Candidates(Backend.Auto, true, "NVIDIA GeForce RTX 4070", "4.6.0 NVIDIA").Select(c => c.Chosen);
        Assert.That(hw, Is.EqualTo(order));
        var sw = BackendChoice.Candidates(Backend.Auto, true, "llvmpipe (LLVM 15.0.6, 256 bits)", "4.5 (Core Profile) Mesa 22.3.6");
        Assert.That(sw.Select(c => c.Chosen), Is.EqualTo(order.Where(b => b != Backend.Gl)), "a software renderer is never auto's gl");
        Assert.That(sw.Last().Reason, Does.Contain("software renderer"));
    }
}
