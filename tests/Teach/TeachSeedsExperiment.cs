// The teach-mode experiment over seeds (README "Why not 90%"): the live animation of scene seeds 1–8 (600 frames at
// 224², recorded with FrameRecording.Record(live: true), i.e. the frames `rr demo --seed S` shows), each frame's
// pretrained:resnet18 layer4 map dumped once; then --auto-teach's replay offline: the first N = 20 frames of each
// class taught, every frame after the last taught one scored, heads trained by TeachHead.Train as teach mode does.
// Compared: pooling (average; average + max; average + 2×2 grid; GeM p = 3 + max), centring (CL2N), and augmenting
// each taught frame through the backbone (5 other colour-channel orders, 3 quarter turns, flip, grey).
// Explicit: it needs the pretrained package, GL (llvmpipe) and ~15 min of CPU. Maps are cached in $RR_TEACH_SEEDS_DIR
// (default TMP/rr-teach-seeds).
//   dotnet test tests/ResNetRealtime.Tests.csproj -c Release --filter Name=Teach_seeds_table --logger "console;verbosity=detailed"
using System.Runtime.InteropServices;
using NUnit.Framework;
using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Models.Pretrained;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Tests.Teach;

[Explicit("needs pretrained:resnet18, GL and ~15 min of CPU; the experiment behind TeachSession.Pooling")]
public class TeachSeedsExperiment
{
    const int N = 20, K = 8, C = 512, H = 7, W = 7, HW = H * W, M = C * HW, Frames = 600;
    static readonly string[] Augs = ["id", "p120", "p201", "p021", "p210", "p102", "r90", "r180", "r270", "flip", "grey"];
    static readonly (string Name, string[] Augs)[] AugSets = [("none", ["id"]), ("10 per frame", Augs)];

    [Test]
    public void Teach_seeds_table()
    {
        string root = Environment.GetEnvironmentVariable("RR_TEACH_SEEDS_DIR") ?? Path.Combine(Path.GetTempPath(), "rr-teach-seeds");
        var model = LoadedModel.Load(ModelSource.Resolve(ModelSource.Prefix + "resnet18"));
        using var bb = new TeachBackbone(model, ["layer4"]);
        var seeds = Enumerable.Range(1, 8).Select(s => Prepare(Path.Combine(root, $"live{s}"), (ulong)s, bb)).ToList();
        foreach (var kind in new[] { "avg", "avg+max", "avg+2x2", "gem+max" })
            foreach (var (aname, augs) in AugSets)
                foreach (var centre in new[] { false, true })
                {
                    var acc = seeds.Select(d => Score(d, kind, augs, centre)).ToArray();
                    double mean = acc.Sum(a => a.Right) / (double)acc.Sum(a => a.Count);
                    TestContext.Out.WriteLine($"| {kind} | {aname} | {(centre ? "centred" : "raw")} | {100 * mean:F1}% | " +
                        string.Join(" ", acc.Select((a, i) => $"{i + 1}:{100.0 * a.Right / a.Count:F0}")) + " |");
                }
    }

    sealed record Seed(int[] Labels, float[][] Maps, float[][] Taught);

    /// <summary>Records seed <paramref name="seed"/>'s live frames and dumps the maps (all frames, and the taught ones under each augmentation).</summary>
    static Seed Prepare(string dir, ulong seed, TeachBackbone bb)
    {
        string maps = Path.Combine(dir, "maps.f32"), aug = Path.Combine(dir, "aug.f32");
        if (!File.Exists(Path.Combine(dir, "info.json")))
        {
            using var ctx = GlContext.CreateHeadless();
            FrameRecording.Record(ctx.Gl, dir, Frames, 224, seed, live: true);
        }
        using var ds = FramesDataset.Open(dir);
        var labels = Enumerable.Range(0, ds.Count).Select(ds.Label).ToArray();
        var taughtIdx = TaughtFrames(labels).ToArray();
        if (!File.Exists(aug))
        {
            using (var f = File.Create(maps + ".tmp"))
                for (int i = 0; i < ds.Count; i++) f.Write(MemoryMarshal.AsBytes(Map(bb, ds, i, "id").AsSpan()));
            using (var f = File.Create(aug + ".tmp"))
                foreach (var i in taughtIdx) foreach (var a in Augs) f.Write(MemoryMarshal.AsBytes(Map(bb, ds, i, a).AsSpan()));
            File.Move(maps + ".tmp", maps, true); File.Move(aug + ".tmp", aug, true);
        }
        return new Seed(labels, Read(maps), Read(aug));
    }

    static float[][] Read(string path)
    {
        var b = File.ReadAllBytes(path);
        return Enumerable.Range(0, b.Length / (M * 4)).Select(i => { var m = new float[M]; Buffer.BlockCopy(b, i * M * 4, m, 0, M * 4); return m; }).ToArray();
    }

    /// <summary>--auto-teach N's choice: a frame is taught while its class has fewer than N taught frames.</summary>
    static IEnumerable<int> TaughtFrames(int[] y)
    {
        var seen = new int[K];
        for (int i = 0; i < y.Length && seen.Min() < N; i++) if (seen[y[i]] < N) { seen[y[i]]++; yield return i; }
    }

    static (int Right, int Count) Score(Seed d, string kind, string[] augs, bool centre)
    {
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        int end = taughtIdx[^1] + 1;
        var samples = Enumerable.Range(0, K).Select(_ => new List<float[]>()).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
            for (int j = 0; j < Augs.Length; j++)
                if (augs.Contains(Augs[j])) samples[d.Labels[taughtIdx[t]]].Add(Feat(d.Taught[t * Augs.Length + j], kind));
        int dim = samples[0][0].Length;
        var mu = new float[dim];
        if (centre) { int c = 0; foreach (var l in samples) foreach (var x in l) { for (int j = 0; j < dim; j++) mu[j] += x[j]; c++; } for (int j = 0; j < dim; j++) mu[j] /= c; }
        float[] Centre(float[] x) { var z = new float[dim]; for (int j = 0; j < dim; j++) z[j] = x[j] - mu[j]; Norm(z); return z; }
        var head = TeachHead.Train(samples.Select(l => (IReadOnlyList<float[]>)l.Select(Centre).ToList()).ToArray(), Enumerable.Range(0, K).ToArray(), dim);
        var p = new float[K];
        int right = 0;
        for (int i = end; i < d.Labels.Length; i++) { head.Predict(Centre(Feat(d.Maps[i], kind)), p); if (Array.IndexOf(p, p.Max()) == d.Labels[i]) right++; }
        return (right, d.Labels.Length - end);
    }

    static void Norm(Span<float> v) { float n = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(v, v)); if (n > 0) for (int i = 0; i < v.Length; i++) v[i] /= n; }

    static readonly Dictionary<TeachPooling, TeachFeatures> Shipped = new()
    {
        [TeachPooling.Avg] = new(["layer4"], [C], TeachPooling.Avg), [TeachPooling.AvgMax] = new(["layer4"], [C], TeachPooling.AvgMax),
    };

    /// <summary>A [512,7,7] map pooled as <paramref name="kind"/>: "avg" and "avg+max" through TeachFeatures itself (what
    /// teach mode runs); the other candidates as blocks, each L2-normalised, concatenated, normalised.</summary>
    static float[] Feat(float[] m, string kind)
    {
        if (kind is "avg" or "avg+max")
        {
            var f = Shipped[kind == "avg" ? TeachPooling.Avg : TeachPooling.AvgMax];
            var e = new float[f.Length];
            f.Embed(0, m, e);
            return e;
        }
        var blocks = new List<float[]>();
        float[] Pool(Func<int, int, bool> inRegion, string op)
        {
            var v = new float[C];
            for (int c = 0; c < C; c++)
            {
                double s = 0; int n = 0; float mx = 0;
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                    if (inRegion(y, x)) { float a = m[c * HW + y * W + x]; s += op == "gem" ? Math.Pow(Math.Max(a, 0), 3) : a; mx = Math.Max(mx, a); n++; }
                v[c] = op == "max" ? mx : op == "gem" ? (float)Math.Pow(s / n, 1 / 3.0) : (float)(s / n);
            }
            Norm(v); return v;
        }
        blocks.Add(Pool((_, _) => true, kind.StartsWith("gem") ? "gem" : "avg"));
        if (kind.Contains("max")) blocks.Add(Pool((_, _) => true, "max"));
        if (kind.Contains("2x2")) // four overlapping 4×4 quadrants of the 7×7 map (row/column 3 shared)
            foreach (var (y0, x0) in new[] { (0, 0), (0, 3), (3, 0), (3, 3) })
                blocks.Add(Pool((y, x) => y >= y0 && y < y0 + 4 && x >= x0 && x < x0 + 4, "avg"));
        var v = blocks.SelectMany(b => b).ToArray();
        Norm(v);
        return v;
    }

    /// <summary>Frame <paramref name="idx"/> under one augmentation through the backbone: its layer4 map.</summary>
    static float[] Map(TeachBackbone bb, FramesDataset ds, int idx, string a)
    {
        int w = ds.Width, h = ds.Height;
        var chw = new byte[ds.ImageBytes];
        ds.CopyImage(idx, chw);
        var o = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int sx = x, sy = y;
                if (a == "r90") (sx, sy) = (y, w - 1 - x); else if (a == "r180") (sx, sy) = (w - 1 - x, h - 1 - y);
                else if (a == "r270") (sx, sy) = (h - 1 - y, x); else if (a == "flip") sx = w - 1 - x;
                byte Src(int c) => chw[(c * h + sy) * w + sx];
                int d = (y * w + x) * 3;
                if (a[0] == 'p') for (int c = 0; c < 3; c++) o[d + c] = Src(a[1 + c] - '0');
                else if (a == "grey") o[d] = o[d + 1] = o[d + 2] = (byte)((Src(0) * 77 + Src(1) * 150 + Src(2) * 29) >> 8);
                else for (int c = 0; c < 3; c++) o[d + c] = Src(c);
            }
        var e = new float[bb.Features.Length];
        var map = new float[M];
        bb.Embed(o, w, h, w * 3, PixelFormat.Rgb24, e, map);
        return map;
    }
}
