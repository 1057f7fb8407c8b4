using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>
/// Issue 12: ORT's own "[E:onnxruntime:…]" line reached stderr (native fd 2) before ours. Run as a
/// subprocess, since ORT's native logger writes past Console.Error.
/// </summary>
public class OrtLoggingTests
{
    static (int code, string stderr) Rr(IDictionary<string, string> env, params string[] args)
    {
        using var p = ChildProcess.StartRr(args, psi => { foreach (var kv in env) psi.Environment[kv.Key] = kv.Value; });
        var r = p.WaitForExit(TimeSpan.FromSeconds(120));
        return (r.Code, r.Err);
    }

    [Test]
    public void ConvChannelMismatchIsOurOneLineOnlyAndOrtTextUnderDebug()
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "ortlog");
        Directory.CreateDirectory(dir);
        // A weight for 2 input channels on a 3-channel input: valid attributes, so ORT's shape inference is what refuses it.
        var m = TestModels.PlainCnn(size: 16, classes: 5, seed: 3);
        int i = m.Graph.Initializers.FindIndex(t => t.Name == "conv1.weight");
        m.Graph.Initializers[i] = Runtime.Onnx.OnnxTensor.FromFloats("conv1.weight", new[] { 4, 2, 3, 3 }, new float[72]);
        string model = Path.Combine(dir, "badconv.onnx"), x = Path.Combine(dir, "x.npy");
        m.Save(model);
        Npy.Write(x, new float[3 * 16 * 16], new[] { 1, 3, 16, 16 });

        var (code, err) = Rr(new Dictionary<string, string> { ["RR_DEBUG"] = "0" }, "infer", "--model", model, "--input", x);
        Assert.That(code, Is.Not.EqualTo(0));
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), err);
        Assert.That(err, Does.Not.Contain("[E:onnxruntime"));
        Assert.That(err, Does.Not.Contain("\u001b["));
        Assert.That(err, Does.Contain("ONNX Runtime could not run the model").And.Contain("Input channels C is not equal to kernel channels"));
        Assert.That(lines[0].Length, Is.LessThan(300), lines[0]);

        var (dcode, derr) = Rr(new Dictionary<string, string> { ["RR_DEBUG"] = "1" }, "infer", "--model", model, "--input", x);
        Assert.That(dcode, Is.Not.EqualTo(0));
        Assert.That(derr, Does.Contain("onnxruntime"), "under RR_DEBUG=1 ORT's own text is shown");
    }
}
