// The saved teach model (backbone + head as one ONNX) classifies as the live head does: same top-1 and the same
// probabilities within 1e-5 through `rr infer` (the file loaded as it is, like any classifier), and the CAM comes
// from the head's weights over the last stage.
using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Tests.Cli;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Tests.Teach;

public class TeachOnnxTests
{
    // ResNet-18 at 96x96 with no fc (a stand-in for pretrained:resnet18 that needs no download); layer3+layer4 exercises
    // the concat. 96² makes layer4 3×3 and layer3 6×6: maps where the CAM has more than one location and the centre
    // weights differ from cell to cell (at 32², layer4 is 1×1 and layer3's 2×2 cells are all equally far from the centre).
    const int S = 96;
    static readonly ResNetSpec Spec = ResNetSpec.FromName("resnet18", numClasses: 10, inChannels: 3, inputSize: S);

    static float[] Image(int seed)
    {
        var rng = new Random(seed);
        var x = new float[3 * S * S];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2) + (seed % 3) * 0.5f;
        return x;
    }

    [TestCase("layer4", TeachPooling.Avg)]
    [TestCase("layer3,layer4", TeachPooling.Avg)]
    [TestCase("layer4", TeachPooling.AvgMax)] // teach mode's layout (GlobalMaxPool blocks in the graph)
    [TestCase("layer3,layer4", TeachPooling.AvgMax)]
    [TestCase("layer4", TeachPooling.GemMax)] // teach mode's layout (Relu → Pow → GlobalAveragePool → Pow blocks)
    [TestCase("layer3,layer4", TeachPooling.GemMax)]
    [TestCase("layer4", TeachPooling.CentredGemMax)] // teach mode's layout (… → Mul by the centre weights → …)
    [TestCase("layer3,layer4", TeachPooling.CentredGemMax)]
    public void Saved_model_matches_the_live_head_through_rr_infer(string stages, TeachPooling pooling)
    {
        var backbone = LoadedModel.From(ResNetOnnxBuilder.Build(Spec, new ResNetBuildOptions { Seed = 7, Output = ResNetOutput.PooledFeatures }));
        using var bb = new TeachBackbone(backbone, stages.Split(','), pooling: pooling);
        using var learner = new TeachLearner(bb.Features);
        var emb = new float[bb.Features.Length];
        for (int i = 0; i < 12; i++) { bb.EmbedTensor(Image(i), emb); learner.Add(i % 3, emb); }
        Assert.That(learner.WaitUntilCurrent(30_000), Is.True);
        var head = learner.Head;
        Assert.That(head.Kind, Is.EqualTo("softmax regression"));

        var dir = Path.Combine(Path.GetTempPath(), "rr-teach-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "taught.onnx");
            string[] labels = ["red", "green", "blue"];
            TeachOnnx.Save(path, backbone.Onnx, bb.Features, head, labels, "test");
            var info = ModelInspector.Inspect(Runtime.Onnx.OnnxModel.Load(path));
            Assert.That(info.Head, Is.EqualTo(HeadKind.Classifier));
            Assert.That(info.Labels, Is.EqualTo(labels));

            const int N = 5;
            var input = new float[N * 3 * S * S];
            var live = new float[N * 3];
            var probs = new float[3];
            for (int n = 0; n < N; n++)
            {
                var x = Image(100 + n);
                x.CopyTo(input, n * x.Length);
                bb.EmbedTensor(x, emb);
                head.Predict(emb, probs);
                probs.CopyTo(live, n * 3);
            }
            string inPath = Path.Combine(dir, "x.npy"), outPath = Path.Combine(dir, "y.npy");
            Npy.Write(inPath, input, [N, 3, S, S]);
            var (code, stdout, stderr) = CliRunner.Run("infer", "--model", path, "--input", inPath, "--output", outPath);
            Assert.That(code, Is.Zero, stderr);
            var logits = Npy.Read(outPath);
            Assert.That(logits.Shape, Is.EqualTo(new[] { N, 3 }));
            for (int n = 0; n < N; n++)
            {
                var z = logits.Data.AsSpan(n * 3, 3).ToArray();
                float max = z.Max();
                var e = z.Select(v => MathF.Exp(v - max)).ToArray();
                var p = e.Select(v => v / e.Sum()).ToArray();
                var l = live.AsSpan(n * 3, 3).ToArray();
                Assert.That(Array.IndexOf(p, p.Max()), Is.EqualTo(Array.IndexOf(l, l.Max())), $"top-1 of image {n}");
                // 1e-5: the same float32 arithmetic in another order (ORT's pooling/GEMM vs our loops).
                for (int k = 0; k < 3; k++) Assert.That(p[k], Is.EqualTo(l[k]).Within(1e-5), $"image {n} class {k}");
            }
            Assert.That(stdout, Does.Contain("red").Or.Contain("green").Or.Contain("blue"), "rr infer names the taught labels");

            // Classifier.Create loads it as it is.
            using var c = Classifier.Create(path);
            Assert.That(c.IsFeatureExtractor, Is.False);
            Assert.That(c.Labels, Is.EqualTo(labels));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestCase(TeachPooling.Avg)]
    [TestCase(TeachPooling.AvgMax)] // the CAM reads layer4's average block, not layer3's max block before it
    [TestCase(TeachPooling.GemMax)] // each location's share of the GeM: ∝ max(x,0)³ within one channel
    [TestCase(TeachPooling.CentredGemMax)] // ∝ weight·max(x,0)³
    public void Cam_uses_the_heads_weights_over_the_last_stage(TeachPooling pooling)
    {
        var backbone = LoadedModel.From(ResNetOnnxBuilder.Build(Spec, new ResNetBuildOptions { Seed = 7, Output = ResNetOutput.PooledFeatures }));
        using var bb = new TeachBackbone(backbone, ["layer3", "layer4"], pooling: pooling);
        var emb = new float[bb.Features.Length];
        var map = new float[bb.CamChannels * bb.CamHeight * bb.CamWidth];
        bb.EmbedTensor(Image(1), emb, map);
        int c = bb.CamChannels, hw = bb.CamHeight * bb.CamWidth, off = bb.Features.Offset(1);
        // A head whose row 0 weights only channel 5 of layer4: its CAM is that channel's map, min-max scaled.
        var w = new float[2 * bb.Features.Length];
        w[off + 5] = 1;
        w[bb.Features.Length + off + 6] = 1;
        var head = new TeachHead(w, new float[2], [0, 1], bb.Features.Length, "test");
        var heat = new float[hw];
        bb.Cam(head, 0, map, heat);
        Assert.That(hw, Is.GreaterThan(1), "a CAM over one location says nothing");
        var ch = map.AsSpan(5 * hw, hw).ToArray();
        var wt = TeachFeatures.CentreWeights(bb.CamHeight, bb.CamWidth);
        if (pooling == TeachPooling.GemMax) ch = ch.Select(v => MathF.Pow(MathF.Max(v, 0), 3)).ToArray();
        if (pooling == TeachPooling.CentredGemMax) ch = ch.Select((v, i) => wt[i] * MathF.Pow(MathF.Max(v, 0), 3)).ToArray();
        float lo = ch.Min(), hi = ch.Max();
        for (int i = 0; i < hw; i++) Assert.That(heat[i], Is.EqualTo(hi > lo ? (ch[i] - lo) / (hi - lo) : 0).Within(1e-6));
        if (pooling != TeachPooling.GemMax) return; // the centred shares are the same sum with the weights in
        // Two channels weighted alike: each location's shares x³/(h·w·g²) of channels 5 and 6 add, so a channel with
        // a larger GeM does not outweigh the other by its scale alone (float64 reference).
        var w2 = (float[])w.Clone();
        w2[bb.Features.Length + off + 5] = 1;
        bb.Cam(new TeachHead(w2, new float[2], [0, 1], bb.Features.Length, "test"), 1, map, heat);
        var want = new double[hw];
        foreach (int k in new[] { 5, 6 })
        {
            var x = map.AsSpan(k * hw, hw).ToArray().Select(v => Math.Pow(Math.Max(v, 0), 3)).ToArray();
            double g2 = Math.Pow(x.Sum() / hw, 2 / 3.0);
            for (int i = 0; i < hw; i++) want[i] += g2 > 0 ? x[i] / (hw * g2) : 0;
        }
        double wlo = want.Min(), whi = want.Max();
        // 1e-5: float32 cubes and cube roots against float64, after min-max scaling to [0,1].
        for (int i = 0; i < hw; i++) Assert.That(heat[i], Is.EqualTo(whi > wlo ? (want[i] - wlo) / (whi - wlo) : 0).Within(1e-5), $"location {i}");
    }

    [Test]
    public void Gem_max_layout_is_each_tensors_generalised_mean_then_its_maximum_each_normalised()
    {
        // One [2,2,2] map, hand-computed: GeM (mean of max(x,0)³)^(1/3): channel 0 ∛((1+27)/4) = ∛7, channel 1
        // ∛(64/4) = ∛16 (the −2 counts as 0); max (3, 4).
        var f = new TeachFeatures(["a"], [2], TeachPooling.GemMax);
        Assert.That(f.Length, Is.EqualTo(4));
        var e = new float[f.Length];
        f.Embed(0, [1, 3, 0, 0, /* ch 1 */ 4, 0, 0, -2], e);
        double g0 = Math.Cbrt(7), g1 = Math.Cbrt(16), n = Math.Sqrt(g0 * g0 + g1 * g1), s = 1 / Math.Sqrt(2);
        var want = new[] { g0 / n * s, g1 / n * s, 0.6 * s, 0.8 * s };
        for (int i = 0; i < want.Length; i++) Assert.That(e[i], Is.EqualTo(want[i]).Within(1e-6), $"value {i}");
    }

    [Test]
    public void Centred_gem_max_weighs_each_location_by_a_gaussian_about_the_centre()
    {
        // One channel on a 3×3 map, float64 reference from the definition: w ∝ exp(−½ d²/σ²), σ = CentreSigma·3
        // cells, scaled to mean 1; GeM = (mean of w·max(x,0)³)^(1/3); max = max of w·max(x,0).
        double sg = TeachFeatures.CentreSigma * 3;
        var w = new double[9];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) w[y * 3 + x] = Math.Exp(-0.5 * ((y - 1) * (y - 1) + (x - 1) * (x - 1)) / (sg * sg));
        double mean = w.Average();
        var got = TeachFeatures.CentreWeights(3, 3);
        for (int i = 0; i < 9; i++) Assert.That(got[i], Is.EqualTo(w[i] / mean).Within(1e-6), $"weight {i}");
        float[] map = [5, 0, 0, /* */ 0, 2, 0, /* */ 0, -1, 1, /* ch 1 */ 0, 0, 0, 0, 0, 0, 0, 0, 3];
        var f = new TeachFeatures(["a"], [2], TeachPooling.CentredGemMax, [(3, 3)]);
        var e = new float[f.Length];
        f.Embed(0, map, e);
        double G(int c) => Math.Cbrt(Enumerable.Range(0, 9).Sum(i => w[i] / mean * Math.Pow(Math.Max(map[c * 9 + i], 0), 3)) / 9);
        double Mx(int c) => Enumerable.Range(0, 9).Max(i => w[i] / mean * Math.Max(map[c * 9 + i], 0));
        double s = 1 / Math.Sqrt(2), gn = Math.Sqrt(G(0) * G(0) + G(1) * G(1)), mn = Math.Sqrt(Mx(0) * Mx(0) + Mx(1) * Mx(1));
        var want = new[] { G(0) / gn * s, G(1) / gn * s, Mx(0) / mn * s, Mx(1) / mn * s };
        for (int i = 0; i < 4; i++) Assert.That(e[i], Is.EqualTo(want[i]).Within(1e-6), $"value {i}");
        Assert.That(got[0], Is.LessThan(got[1]).And.LessThan(got[4]), "a corner weighs less than an edge, an edge less than the centre");
        Assert.That(got[1], Is.LessThan(got[4]));
        // A 2×4 map: symmetric about its centre, which lies between cells.
        var r = TeachFeatures.CentreWeights(2, 4);
        for (int i = 0; i < 8; i++) Assert.That(r[i], Is.EqualTo(r[7 - i]).Within(1e-6));
        var ex = Assert.Throws<ArgumentException>(() => new TeachFeatures(["a"], [2], TeachPooling.CentredGemMax));
        Assert.That(ex.Message, Does.Contain("map size"));
        var bad = Assert.Throws<ArgumentException>(() => f.Embed(0, new float[2 * 16], e));
        Assert.That(bad.Message, Does.Contain("16 locations").And.Contain("9"));
    }

    [Test]
    public void Avg_max_layout_is_each_tensors_average_then_its_maximum_each_normalised()
    {
        // Two tensors: a [2,2,2] map and a pooled [3,1,1] vector, hand-computed.
        var f = new TeachFeatures(["a", "b"], [2, 3], TeachPooling.AvgMax);
        Assert.That(f.Length, Is.EqualTo(10));
        Assert.That(f.Offset(1), Is.EqualTo(4));
        var e = new float[f.Length];
        f.Embed(0, [1, 3, 0, 0, /* ch 1 */ 4, 0, 0, 0], e); // avg (1, 1), max (3, 4)
        f.Embed(1, [0, 3, 4], e);                           // avg = max = (0, 3, 4)
        float s = 0.5f; // 1/√(4 blocks)
        float r2 = 1 / MathF.Sqrt(2);
        var want = new[] { r2 * s, r2 * s, 0.6f * s, 0.8f * s, 0, 0.6f * s, 0.8f * s, 0, 0.6f * s, 0.8f * s };
        for (int i = 0; i < want.Length; i++) Assert.That(e[i], Is.EqualTo(want[i]).Within(1e-6), $"value {i}");
        Assert.That(MathF.Sqrt(e.Sum(v => v * v)), Is.EqualTo(1).Within(1e-6), "unit length overall");
    }

    [Test]
    public void Unwritable_path_is_one_line_naming_it()
    {
        var backbone = ResNetOnnxBuilder.Build(Spec, new ResNetBuildOptions { Seed = 7, Output = ResNetOutput.PooledFeatures });
        var layout = new TeachFeatures(["avgpool"], [512]);
        var head = TeachHead.FromMeans([new List<float[]> { new float[512] }], [0], 512);
        string path = "/proc/rr-teach/taught.onnx";
        var e = Assert.Throws<IOException>(() => TeachOnnx.Save(path, backbone, layout, head, ["one"], null));
        Assert.That(e.Message, Does.Contain(path));
    }
}
