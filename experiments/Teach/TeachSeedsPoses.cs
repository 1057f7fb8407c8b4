// The poses a taught burst does not show (teach-seeds --rows poses; TeachSeedsExperiment.cs has the replay, the
// cached maps and the criterion: the mean without seed 3), against the unweighted GeM + max with the ten variants
// (docs/experiments.md has the table):
//   rotations   the taught frames turned in-plane by ±20° / ±40° as well (the errors left are poses the burst did
//               not show; quarter turns helped, so finer turns might too). New backbone passes on taught frames only.
//   cache       a nearest-neighbour term beside the head (Zhang et al.'s Tip-Adapter): score_k = log p_k +
//               α·mean over class k's taught samples of exp(−β(1 − x·s)), which can follow a class made of several
//               poses where one linear boundary cannot.
//   centre      each location weighted by a Gaussian about the map's centre before pooling (Weighted; "centred
//               gem+max" is TeachFeatures' own CentredGemMax, which teach mode now ships); CroW's weights and a
//               centre-surround difference beside it.
//   blur        a blurred copy taught and/or averaged in at test time (seed 3's cube segment has a striped background).
//   self-train  the head retrained every 30 frames (about a retrain's time at 30 fps) on the taught samples plus
//               every live frame it had called with p ≥ τ, under the label it gave: causal, it uses past frames only.
// --centre-weights runs only the centre weights' σ and block choices.
// SeedErrors (teach-seed-errors [--seed S], default 3) prints one seed's scored frames: index, label, call, p(call), p(label).
using System.Numerics.Tensors;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tools.Pretrained;
using ResNetRealtime.Runtime.Teach;

namespace ResNetRealtime.Experiments.Teach;

public static partial class TeachSeedsExperiment
{
    static readonly string[] Rotations = ["rot-20", "rot20", "rot-40", "rot40"];

    static void Poses(List<Seed> seeds, string root, TeachBackbone bb)
    {
        if (Opt.CentreWeights)
        {
            foreach (var kind in new[] { "centred gem+max", "w:centre 1000", "w:centre 1", "w:centre 1.5", "w:centre 1.5 plainmax", "w:centre 2 plainmax", "w:centre 1.5 gemonly", "w:surround 0.5", "w:surround 1" })
                Row(seeds, $"{kind} | all 10 | lr", d => Score(d, kind, Ten, false));
            return;
        }
        var rot = seeds.Select((d, i) => Rotations.ToDictionary(a => a, a => TaughtMaps(Path.Combine(root, $"live{i + 1}"), d, a, bb))).ToList();
        foreach (var set in new[] { new string[0], ["rot-20", "rot20"], ["rot-40", "rot40"], Rotations })
            Row(seeds.Select((d, i) => ScoreTta(d, Ten, [], set.Select(a => rot[i][a]).ToArray())).ToList(),
                $"gem+max | all 10{string.Concat(set.Select(a => " + " + a))} | lr");
        foreach (var (alpha, beta) in new[] { (2f, 5.5f), (8f, 5.5f) })
            Row(seeds.Select(d => ScoreCache(d, alpha, beta)).ToList(), $"gem+max | all 10 | lr + cache α={alpha} β={beta}");
        foreach (var kind in new[] { "w:centre 1.5", "w:centre 2.5", "w:centre 4", "w:crow" })
            Row(seeds, $"{kind} | all 10 | lr", d => Score(d, kind, Ten, false));
        var blurTaught = seeds.Select((d, i) => TaughtMaps(Path.Combine(root, $"live{i + 1}"), d, "blur", bb)).ToList();
        var blurTest = seeds.Select((d, i) => TestMaps(Path.Combine(root, $"live{i + 1}"), d, "blur", bb)).ToList();
        Row(seeds.Select((d, i) => ScoreTta(d, Ten, [], [blurTaught[i]])).ToList(), "gem+max | all 10 + blur | lr");
        Row(seeds.Select((d, i) => ScoreTta(d, Ten, [blurTest[i]], [])).ToList(), "gem+max | all 10 | lr | test: id + blur");
        Row(seeds.Select((d, i) => ScoreTta(d, Ten, [blurTest[i]], [blurTaught[i]])).ToList(), "gem+max | all 10 + blur | lr | test: id + blur");
        foreach (float tau in new[] { 0.9f, 0.5f })
            Row(seeds.Select(d => ScoreSelfTrain(d, tau, 30)).ToList(), $"gem+max | all 10 | lr, self-trained on p ≥ {tau} every 30 frames");
    }

    /// <summary>An RGB24 frame turned by <paramref name="degrees"/> (clockwise) about its centre, bilinear, the edge
    /// colour carried out into the corners the turn uncovers (as Photo's "small" does).</summary>
    static byte[] Rotate(byte[] rgb, int w, int h, float degrees)
    {
        var o = new byte[rgb.Length];
        float c = MathF.Cos(degrees * MathF.PI / 180), s = MathF.Sin(degrees * MathF.PI / 180);
        float cx = (w - 1) / 2f, cy = (h - 1) / 2f;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // the source point that lands on (x, y): the inverse turn
                float dx = x - cx, dy = y - cy;
                float sx = Math.Clamp(cx + c * dx + s * dy, 0, w - 1), sy = Math.Clamp(cy - s * dx + c * dy, 0, h - 1);
                int x0 = Math.Min((int)sx, w - 2), y0 = Math.Min((int)sy, h - 2);
                float fx = sx - x0, fy = sy - y0;
                for (int ch = 0; ch < 3; ch++)
                {
                    float v00 = rgb[(y0 * w + x0) * 3 + ch], v01 = rgb[(y0 * w + x0 + 1) * 3 + ch];
                    float v10 = rgb[((y0 + 1) * w + x0) * 3 + ch], v11 = rgb[((y0 + 1) * w + x0 + 1) * 3 + ch];
                    float v = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
                    o[(y * w + x) * 3 + ch] = (byte)Math.Clamp(MathF.Round(v), 0, 255);
                }
            }
        return o;
    }

    /// <summary>A Gaussian blur, σ = 2 px, separable 13 taps, edges clamped: takes away fine background texture
    /// (stripes, checks) that flat-shaded objects do not have.</summary>
    static byte[] Blur(byte[] rgb, int w, int h)
    {
        var k = Enumerable.Range(-6, 13).Select(i => MathF.Exp(-i * i / 8f)).ToArray();
        float ks = k.Sum();
        var t = new float[rgb.Length];
        var o = new byte[rgb.Length];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++)
        {
            float s = 0; for (int i = 0; i < 13; i++) s += k[i] * rgb[(y * w + Math.Clamp(x + i - 6, 0, w - 1)) * 3 + c];
            t[(y * w + x) * 3 + c] = s / ks;
        }
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++)
        {
            float s = 0; for (int i = 0; i < 13; i++) s += k[i] * t[(Math.Clamp(y + i - 6, 0, h - 1) * w + x) * 3 + c];
            o[(y * w + x) * 3 + c] = (byte)Math.Clamp(MathF.Round(s / ks), 0, 255);
        }
        return o;
    }

    /// <summary>GeM (p = 3) + max of a [C,7,7] map with each location weighted: "centre σ" = a Gaussian about the
    /// middle cell, σ in cells (the camera points at the object); "crow" = Kalantidis et al.'s spatial weights, the
    /// location's summed activation over the map's L2 norm of those sums, square-rooted.</summary>
    static float[] Weighted(float[] m, string how)
    {
        var wt = new float[HW];
        if (how.StartsWith("surround")) // "surround λ": the centre-weighted GeM minus λ × the GeM of the outer ring of
        {                                // cells, so that a background seen in both cancels (centre-surround); the max block as centre 1.5
            float lam = float.Parse(how.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            var ct = TeachFeatures.CentreWeights(H, W);
            var gs = new float[C];
            for (int c = 0; c < C; c++)
            {
                double sc = 0, sb = 0; int nb = 0;
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                {
                    float a = Math.Max(m[c * HW + y * W + x], 0);
                    sc += ct[y * W + x] * a * a * a;
                    if (y == 0 || x == 0 || y == H - 1 || x == W - 1) { sb += a * a * a; nb++; }
                }
                gs[c] = (float)(Math.Cbrt(sc / HW) - lam * Math.Cbrt(sb / nb));
            }
            Norm(gs);
            var ms = Weighted(m, "centre 1.5")[C..];
            Norm(ms); // it was half of a unit vector: a unit block again, like gs
            float[] r = [.. gs, .. ms];
            Norm(r);
            return r;
        }
        if (how == "crow")
        {
            for (int l = 0; l < HW; l++) for (int c = 0; c < C; c++) wt[l] += Math.Max(m[c * HW + l], 0);
            float n = MathF.Sqrt(TensorPrimitives.Dot(wt, wt));
            for (int l = 0; l < HW; l++) wt[l] = n > 0 ? MathF.Sqrt(wt[l] / n) : 1;
        }
        else
        {
            float sg = float.Parse(how[7..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) wt[y * W + x] = MathF.Exp(-((y - 3) * (y - 3) + (x - 3) * (x - 3)) / (2 * sg * sg));
        }
        float ws = wt.Sum();
        var g = new float[C];
        var mx = new float[C];
        for (int c = 0; c < C; c++)
        {
            double s = 0;
            for (int l = 0; l < HW; l++) { float a = Math.Max(m[c * HW + l], 0); s += wt[l] * a * a * a; mx[c] = Math.Max(mx[c], how.EndsWith("plainmax") ? a : wt[l] * a); }
            g[c] = (float)Math.Cbrt(s / ws);
        }
        Norm(g); Norm(mx);
        float[] v = how.EndsWith("gemonly") ? g : [.. g, .. mx];
        Norm(v);
        return v;
    }

    static TeachHead TrainLr(IEnumerable<List<float[]>> lists)
    {
        var l = lists.Select(x => (IReadOnlyList<float[]>)x).ToArray();
        return TeachHead.Train(l, Enumerable.Range(0, K).ToArray(), l[0][0].Length);
    }

    static (int Right, int Count) ScoreCache(Seed d, float alpha, float beta)
    {
        var (samples, end) = TaughtSamples(d, "gem+max", Ten, []);
        var head = TrainLr(samples);
        var p = new float[K];
        var score = new double[K];
        int right = 0;
        for (int i = end; i < d.Labels.Length; i++)
        {
            var x = Feat(d.Maps[i], null, "gem+max");
            head.Predict(x, p);
            for (int k = 0; k < K; k++)
            {
                double a = 0;
                foreach (var s in samples[k]) a += Math.Exp(-beta * (1 - TensorPrimitives.Dot(x, s)));
                score[k] = Math.Log(Math.Max(p[k], 1e-30)) + alpha * a / samples[k].Count;
            }
            if (Array.IndexOf(score, score.Max()) == d.Labels[i]) right++;
        }
        return (right, d.Labels.Length - end);
    }

    static (int Right, int Count) ScoreSelfTrain(Seed d, float tau, int every)
    {
        var (samples, end) = TaughtSamples(d, "gem+max", Ten, []);
        var head = TrainLr(samples);
        var p = new float[K];
        int right = 0;
        for (int i = end; i < d.Labels.Length; i++)
        {
            var x = Feat(d.Maps[i], null, "gem+max");
            head.Predict(x, p);
            int got = Array.IndexOf(p, p.Max());
            if (got == d.Labels[i]) right++;
            if (p[got] >= tau) samples[got].Add(x);
            if ((i - end + 1) % every == 0) head = TrainLr(samples);
        }
        return (right, d.Labels.Length - end);
    }
}
public static partial class TeachSeedsExperiment
{
    /// <summary>Diagnostic: one seed's frames after teaching, right and wrong.</summary>
    public static void SeedErrors(ExperimentArgs args)
    {
        string root = Root(args);
        int s = args.Int("seed", 3);
        args.Done();
        if (s < 1 || s > 8) throw new UsageException($"--seed must be one of the 8 scene seeds 1..8, got {s}");
        var model = LoadedModel.Load(ModelSource.Resolve(ModelSource.Prefix + "resnet18"));
        using var bb = new TeachBackbone(model, ["layer3", "layer4"], pooling: TeachPooling.AvgMax);
        var d = Prepare(Path.Combine(root, $"live{s}"), (ulong)s, bb);
        var (samples, end) = TaughtSamples(d, "gem+max", Ten, []);
        var head = TrainLr(samples);
        var p = new float[K];
        for (int i = end; i < d.Labels.Length; i++)
        {
            head.Predict(Feat(d.Maps[i], null, "gem+max"), p);
            int got = Array.IndexOf(p, p.Max());
            Console.WriteLine($"{i} {d.Labels[i]} {got} {p[got]:F2} {p[d.Labels[i]]:F2}{(got != d.Labels[i] ? " X" : "")}");
        }
    }
}
