using NUnit.Framework;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Training.Models;
using static ResNetRealtime.Tests.Training.TestMath;

namespace ResNetRealtime.Tests.Training;

/// <summary>
/// The engine reproduces PyTorch 1.13 on two small ResNets built from torchvision's blocks (goldens from
/// tests/scripts/make_engine_goldens.py): training-mode logits, loss, every parameter's gradient, the running
/// statistics after the step, and eval-mode logits afterwards — all to 1e-4 relative (of each tensor's largest
/// entry: float32 summation order differs between the two engines, ~1e-6 per op, compounded over ~20 layers).
/// </summary>
[TestFixture]
public class PyTorchGoldenTests
{
    private sealed record Golden(ResNetConfig Config, float Smoothing, int[] Labels, List<(string kind, string name, float[] data, int[] shape)> Arrays)
    {
        public IEnumerable<(string name, float[] data, int[] shape)> Of(string kind) =>
            Arrays.Where(a => a.kind == kind).Select(a => (a.name, a.data, a.shape));
        public float[] One(string kind) => Arrays.Single(a => a.kind == kind).data;
    }

    private static Golden Load(string name)
    {
        string dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "data", "engine");
        var bin = File.ReadAllBytes(Path.Combine(dir, name + ".bin"));
        var floats = new float[bin.Length / 4];
        Buffer.BlockCopy(bin, 0, floats, 0, bin.Length);
        ResNetConfig cfg = null;
        float smoothing = 0;
        int[] labels = null;
        var arrays = new List<(string, string, float[], int[])>();
        foreach (var line in File.ReadAllLines(Path.Combine(dir, name + ".txt")))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[0] == "config")
            {
                var kv = f.Skip(2).Select(s => s.Split('=')).ToDictionary(p => p[0], p => p[1]);
                int[] Ints(string s) => s.Split(',').Select(int.Parse).ToArray();
                cfg = new ResNetConfig
                {
                    Name = name, Block = f[1] == "basic" ? BlockKind.Basic : BlockKind.Bottleneck, Layers = Ints(kv["layers"]),
                    StageWidths = Ints(kv["widths"]), Groups = int.Parse(kv["groups"]), WidthPerGroup = int.Parse(kv["wpg"]),
                    Classes = int.Parse(kv["classes"]), InChannels = int.Parse(kv["in"]), Cifar = kv["cifar"] == "1",
                };
            }
            else if (f[0] == "smoothing") smoothing = float.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture);
            else if (f[0] == "labels") labels = f.Skip(1).Select(int.Parse).ToArray();
            else
            {
                var shape = f[3].Split(',').Select(int.Parse).ToArray();
                int count = shape.Aggregate(1, (a, b) => a * b), off = int.Parse(f[2]);
                arrays.Add((f[0], f[1], floats.AsSpan(off, count).ToArray(), shape));
            }
        }
        return new Golden(cfg, smoothing, labels, arrays);
    }

    [TestCase("tiny_resnext")]
    [TestCase("cifar_resnet8")]
    public void MatchesPyTorch(string name)
    {
        var g = Load(name);
        var m = new ResNet(g.Config);
        m.LoadStateDict(g.Of("param").Concat(g.Of("buffer")));
        var xa = g.Arrays.Single(a => a.kind == "input");
        var x = new Tensor(xa.data, xa.shape);
        var loss = new CrossEntropyLoss(g.Smoothing);
        m.Train();
        m.ZeroGrad();
        var logits = m.Forward(x);
        AssertClose(logits.Data, g.One("logits"), 1e-4, $"{name} logits");
        double l = loss.Forward(logits, g.Labels);
        Assert.That(l, Is.EqualTo(g.One("loss")[0]).Within(1e-4 * Math.Abs(g.One("loss")[0])), $"{name} loss");
        m.Backward(loss.Backward());
        var ps = m.Parameters().ToDictionary(p => p.Name);
        var grads = g.Of("grad").ToList();
        Assert.That(grads.Select(q => q.name), Is.EquivalentTo(ps.Keys), "same parameter names as PyTorch");
        using (Assert.EnterMultipleScope())
        {
            foreach (var (pn, data, _) in grads) AssertClose(ps[pn].Grad, data, 1e-4, $"{name} grad {pn}");
            var bufs = m.Buffers().ToDictionary(b => b.Name);
            foreach (var (bn, data, _) in g.Of("buffer_after")) AssertClose(bufs[bn].Data, data, 1e-4, $"{name} {bn} after step");
        }
        m.Eval();
        AssertClose(m.Forward(x).Data, g.One("logits_eval"), 1e-4, $"{name} eval logits");
    }
}
