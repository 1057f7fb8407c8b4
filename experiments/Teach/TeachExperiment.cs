// The teach-mode accuracy experiment (issue 10; DESIGN.md §1 has the naive baseline). Scene frames of seed 3 teach
// (the first N per class), 400 frames of seed 5 test, all through pretrained:resnet18 at 224². Compared: the two
// heads (class means, softmax regression) × features (layer4 pooled; layer3+layer4 pooled, each L2-normalised) ×
// augmentation of the taught frames through the backbone (none; + horizontal flip; + 4 corner crops at 85% and
// their flips; + brightness ×0.75 and ×1.25). It needs the pretrained package and ~2 min of CPU.
//   dotnet run --project experiments -c Release -- teach-accuracy [--quick] [--out FILE]
// The table goes to stdout and to --out (default TMP/rr-teach-experiment.md); --quick leaves out the augmentation
// rows (a quarter of the backbone passes).
using System.Diagnostics;
using System.Text;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tools.Pretrained;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Experiments.Teach;

/// <summary>The accuracy experiment behind TeachLearner's head choice.</summary>
public static class TeachExperiment
{
    public static readonly int[] Ns = [5, 10, 20];
    // Augmentations of one taught frame, in the order they are embedded: 0 = the frame itself.
    static readonly string[] Augs = ["frame", "flip", "crop-tl", "crop-tr", "crop-bl", "crop-br", "crop-tl-flip", "crop-tr-flip", "crop-bl-flip", "crop-br-flip", "dark", "bright"];
    static readonly (string Name, int Count)[] AllAugSets = [("none", 1), ("flip", 2), ("flip+crops", 10), ("flip+crops+brightness", 12)];

    public static void Run(ExperimentArgs args)
    {
        bool quick = args.Flag("quick");
        string outPath = args.Get("out", Path.Combine(Path.GetTempPath(), "rr-teach-experiment.md"));
        args.Done();
        var augSets = quick ? AllAugSets[..1] : AllAugSets;
        int augCount = augSets[^1].Count;
        string dir = Path.Combine(Path.GetTempPath(), "rr-teach-experiment");
        string teachDir = Path.Combine(dir, "seed3"), testDir = Path.Combine(dir, "seed5");
        foreach (var (d, seed, n) in new[] { (teachDir, "3", "600"), (testDir, "5", "400") })
            if (!File.Exists(Path.Combine(d, "info.json")))
            {
                int code = ResNetRealtime.Cli.Program.Main(["demo", "--record", d, "--frames", n, "--size", "224", "--seed", seed]);
                Check.That(code == 0, $"rr demo --record {d} --seed {seed} ended {code}");
            }
        using var teach = FramesDataset.Open(teachDir);
        using var test = FramesDataset.Open(testDir);
        var model = LoadedModel.Load(ModelSource.Resolve(ModelSource.Prefix + "resnet18"));
        using var bb = new TeachBackbone(model, ["layer3", "layer4"]);
        int classes = teach.Classes.Length, nMax = Ns.Max();

        var sw = Stopwatch.StartNew();
        // taught[k][i][a]: embedding of class k's i-th frame under augmentation a
        var taught = new float[classes][][][];
        var seen = new int[classes];
        for (int k = 0; k < classes; k++) taught[k] = new float[nMax][][];
        for (int idx = 0; idx < teach.Count && seen.Min() < nMax; idx++)
        {
            int k = teach.Label(idx);
            if (seen[k] >= nMax) continue;
            taught[k][seen[k]++] = Augs.Take(augCount).Select(a => Embed(bb, teach, idx, a)).ToArray();
        }
        Check.That(seen.Min() == nMax, $"seed 3 recording has fewer than {nMax} frames of some class: {string.Join(",", seen)}");
        var testX = Enumerable.Range(0, test.Count).Select(i => Embed(bb, test, i, "frame")).ToArray();
        var testY = Enumerable.Range(0, test.Count).Select(test.Label).ToArray();
        double embedS = sw.Elapsed.TotalSeconds;

        var table = new StringBuilder();
        table.AppendLine($"Teach-mode accuracy on {test.Count} frames of seed 5 (taught: first N per class of seed 3), pretrained:resnet18, 224²");
        table.AppendLine();
        table.AppendLine("| features | augmentation of taught frames | head | N=5 | N=10 | N=20 | train ms (N=20) |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (fname, layer4Only) in new[] { ("layer4", true), ("layer3+layer4", false) })
            foreach (var (aname, na) in augSets)
                foreach (var head in new[] { "class means", "softmax regression" })
                {
                    var cells = new List<string>();
                    double ms = 0;
                    foreach (int n in Ns)
                    {
                        var samples = new IReadOnlyList<float[]>[classes];
                        for (int k = 0; k < classes; k++)
                            samples[k] = taught[k].Take(n).SelectMany(a => a.Take(na)).Select(e => View(bb.Features, e, layer4Only)).ToList();
                        var ids = Enumerable.Range(0, classes).ToArray();
                        int d = samples[0][0].Length;
                        var t0 = Stopwatch.StartNew();
                        var h = head == "class means" ? TeachHead.FromMeans(samples, ids, d) : TeachHead.Train(samples, ids, d);
                        ms = t0.Elapsed.TotalMilliseconds;
                        var p = new float[classes];
                        int right = 0;
                        for (int i = 0; i < testX.Length; i++)
                        {
                            h.Predict(View(bb.Features, testX[i], layer4Only), p);
                            if (Array.IndexOf(p, p.Max()) == testY[i]) right++;
                        }
                        cells.Add($"{100.0 * right / testX.Length:F1}%");
                    }
                    table.AppendLine($"| {fname} | {aname} | {head} | {string.Join(" | ", cells)} | {ms:F0} |");
                }
        // Centring (SimpleShot's CL2N): subtract the mean of all taught embeddings, normalise again. ReLU features share
        // a large common component; removing it lets the class differences set the angles.
        foreach (var head in new[] { "class means", "softmax regression" })
        {
            var cells = new List<string>();
            foreach (int n in Ns)
            {
                var raw = Enumerable.Range(0, classes).Select(k => taught[k].Take(n).Select(a => View(bb.Features, a[0], true)).ToList()).ToArray();
                int d = raw[0][0].Length;
                var mu = new float[d];
                int count = 0;
                foreach (var l in raw) foreach (var x in l) { for (int j = 0; j < d; j++) mu[j] += x[j]; count++; }
                for (int j = 0; j < d; j++) mu[j] /= count;
                float[] C(float[] x) { var y = new float[d]; for (int j = 0; j < d; j++) y[j] = x[j] - mu[j]; float nn = MathF.Sqrt(y.Sum(v => v * v)); for (int j = 0; j < d; j++) y[j] /= nn; return y; }
                var samples = raw.Select(l => (IReadOnlyList<float[]>)l.Select(C).ToList()).ToArray();
                var ids = Enumerable.Range(0, classes).ToArray();
                var h = head == "class means" ? TeachHead.FromMeans(samples, ids, d) : TeachHead.Train(samples, ids, d);
                var p = new float[classes];
                int right = 0;
                for (int i = 0; i < testX.Length; i++) { h.Predict(C(View(bb.Features, testX[i], true)), p); if (Array.IndexOf(p, p.Max()) == testY[i]) right++; }
                cells.Add($"{100.0 * right / testX.Length:F1}%");
            }
            table.AppendLine($"| layer4, centred (CL2N) | none | {head} | {string.Join(" | ", cells)} | |");
        }
        // The softmax head's settings (TeachHead.Train defaults: 300 steps, step 2, L2 1e-3) against weaker/stronger ones.
        foreach (var (steps, lr, l2) in new[] { (1000, 2f, 1e-4f), (1000, 4f, 0f), (300, 2f, 1e-2f) })
        {
            var cells = new List<string>();
            foreach (int n in Ns)
            {
                var samples = Enumerable.Range(0, classes).Select(k => (IReadOnlyList<float[]>)taught[k].Take(n).Select(a => View(bb.Features, a[0], true)).ToList()).ToArray();
                var h = TeachHead.Train(samples, Enumerable.Range(0, classes).ToArray(), samples[0][0].Length, steps, lr, l2);
                var p = new float[classes];
                int right = 0;
                for (int i = 0; i < testX.Length; i++) { h.Predict(View(bb.Features, testX[i], true), p); if (Array.IndexOf(p, p.Max()) == testY[i]) right++; }
                cells.Add($"{100.0 * right / testX.Length:F1}%");
            }
            table.AppendLine($"| layer4 | none | softmax regression, {steps} steps, step {lr}, L2 {l2} | {string.Join(" | ", cells)} | |");
        }
        table.AppendLine();
        table.AppendLine($"Backbone passes: {classes * nMax * augCount + test.Count} in {embedS:F0} s.");
        File.WriteAllText(outPath, table.ToString());
        Console.WriteLine(table.ToString());
        Console.WriteLine($"written to {outPath}");
    }

    /// <summary>The layer4-only embedding is the layer4 block of the concatenated one, back at unit length.</summary>
    static float[] View(TeachFeatures f, float[] e, bool layer4Only)
    {
        if (!layer4Only) return e;
        var v = e.AsSpan(f.Offset(1), f.Channels[1]).ToArray();
        for (int i = 0; i < v.Length; i++) v[i] /= f.BlockScale;
        return v;
    }

    /// <summary>Frame idx (CHW bytes in the recording) as RGB24 under one augmentation, through the backbone.</summary>
    internal static float[] Embed(TeachBackbone bb, FramesDataset ds, int idx, string aug)
    {
        int w = ds.Width, h = ds.Height;
        var chw = new byte[ds.ImageBytes];
        ds.CopyImage(idx, chw);
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = chw[(c * h + y) * w + x];
        bool flip = aug == "flip" || aug.EndsWith("-flip");
        if (flip)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w / 2; x++)
                    for (int c = 0; c < 3; c++)
                        (rgb[(y * w + x) * 3 + c], rgb[(y * w + w - 1 - x) * 3 + c]) = (rgb[(y * w + w - 1 - x) * 3 + c], rgb[(y * w + x) * 3 + c]);
        if (aug is "dark" or "bright")
        {
            float s = aug == "dark" ? 0.75f : 1.25f;
            for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)Math.Min(255, (int)(rgb[i] * s + 0.5f));
        }
        int cw = w, ch = h, ox = 0, oy = 0;
        if (aug.StartsWith("crop-"))
        {
            cw = (int)(w * 0.85); ch = (int)(h * 0.85);
            ox = aug[6] == 'r' ? w - cw : 0; oy = aug[5] == 'b' ? h - ch : 0;
        }
        var e = new float[bb.Features.Length];
        int stride = w * 3, start = oy * stride + ox * 3;
        bb.Embed(rgb.AsSpan(start, (ch - 1) * stride + cw * 3), cw, ch, stride, PixelFormat.Rgb24, e);
        return e;
    }
}
