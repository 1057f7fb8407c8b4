// The teach-mode experiment over seeds (docs/experiments.md): the live animation of scene seeds 1–8 (600 frames at
// 224², recorded with FrameRecording.Record(live: true), i.e. the frames `rr demo --seed S` shows), each frame's
// pretrained:resnet18 layer4 map dumped once; then --auto-teach's replay offline: the first N = 20 frames of each
// class taught, every frame after the last taught one scored, heads trained by TeachHead.Train as teach mode does.
// Compared: pooling (average; average + max; average + 2×2 grid; GeM p = 3 + max), centring (CL2N), and augmenting
// each taught frame through the backbone (TeachAugment: 5 other colour-channel orders, 3 quarter turns, flip, grey).
// --rows picks one set of rows (RowSets below; `--rows help` lists them): the pooling × variants × centring table
// by default; power transform, layer3 blocks, the head's settings and smoothing over frames; which variants carry
// the gain; crops; the GeM exponent; a discriminant-analysis head; test-time variants; more photometric taught
// variants (Photo); a compact bilinear block (Cbp); the poses a burst misses (TeachSeedsPoses.cs: in-plane rotations,
// a nearest-neighbour cache, centre weights, blur, self-training); motion and the background (TeachSeedsMotion.cs,
// TeachSeedsBackgrounds.cs).
// It needs the pretrained package, GL (llvmpipe) and ~15 min of CPU. Maps are cached in --dir (default
// TMP/rr-teach-seeds).
//   dotnet run --project experiments -c Release -- teach-seeds [--rows NAME] [--dir DIR]
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Tools.Pretrained;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Experiments.Teach;

/// <summary>The experiment behind TeachSession.Pooling and the taught variants.</summary>
public static partial class TeachSeedsExperiment
{
    const int N = 20, K = 8, C = 512, H = 7, W = 7, HW = H * W, M = C * HW, Frames = 600;
    static readonly string[] Ten = ["id", .. TeachAugment.Names];
    /// <summary>Crops: c = centre, tl/tr/bl/br = corners, of 80% of each side, resized back up by the backbone's own preprocessing.</summary>
    static readonly string[] Crops = ["c80", "tl80", "tr80", "bl80", "br80"];
    static readonly string[] Augs = [.. Ten, .. Crops];
    static readonly (string Name, string[] Augs)[] AugSets = [("none", ["id"]), ("10 per frame", Ten)];

    /// <summary>The row sets --rows chooses from, each with what it compares.</summary>
    static readonly (string Name, string What)[] RowSets =
    [
        ("pooling", "pooling (avg; avg+max; avg+2x2; GeM+max) x taught variants (none; the ten) x centring"),
        ("power", "power transform, layer3 blocks, the head's settings, the probabilities smoothed over frames"),
        ("variant-subsets", "which of the ten taught variants carry the gain (no new backbone passes)"),
        ("crops", "crops of 80% of each side (centre, corners) as taught variants"),
        ("gem", "the GeM exponent, and GeM beside the average"),
        ("head", "discriminant analysis against softmax regression and the class means"),
        ("test-time", "test-time variants: probabilities averaged over the frame and its flip/grey"),
        ("photometric", "more photometric taught variants (negative, dark, gamma, low contrast, desaturated, smaller)"),
        ("bilinear", "a compact bilinear block beside GeM + max"),
        ("poses", "rotations taught, a nearest-neighbour cache, centre weights, blur, self-training [--centre-weights: only the centre weights' sigma]"),
        ("motion", "frame differences weighting the object's cells [--first-sweep] [--still GREY] [--clamp RATIO]"),
        ("motion-crop", "the frame cropped to the square round its moving pixels [--with-variants]"),
        ("zoom", "the frame's and its middle's embeddings side by side [--with-variants]"),
        ("backgrounds", "the taught object on other classes' backgrounds (what teach mode runs) [--fill]"),
        ("neutral", "the taught frames' outer ring taught as no class"),
    ];

    /// <summary>The run's options (set once by <see cref="Run"/>; the row code reads them).</summary>
    sealed record Options(string Rows, bool CentreWeights, bool FirstSweep, float Still, float Clamp, bool WithVariants, bool Fill);
    static Options Opt;

    static string Root(ExperimentArgs args) => args.Get("dir", Path.Combine(Path.GetTempPath(), "rr-teach-seeds"));

    public static void Run(ExperimentArgs args)
    {
        string root = Root(args);
        string only = args.Get("rows", "pooling");
        Opt = new Options(only, args.Flag("centre-weights"), args.Flag("first-sweep"), args.Float("still", 0.5f),
            args.Float("clamp", 1e9f), args.Flag("with-variants"), args.Flag("fill"));
        args.Done();
        if (only == "help")
        {
            foreach (var (name, what) in RowSets) Console.WriteLine($"  {name,-16} {what}");
            return;
        }
        if (!RowSets.Any(r => r.Name == only))
            throw new UsageException($"no row set '{only}'; one of {string.Join(", ", RowSets.Select(r => r.Name))}");
        var model = LoadedModel.Load(ModelSource.Resolve(ModelSource.Prefix + "resnet18"));
        using var bb = new TeachBackbone(model, ["layer3", "layer4"], pooling: TeachPooling.AvgMax);
        var seeds = Enumerable.Range(1, 8).Select(s => Prepare(Path.Combine(root, $"live{s}"), (ulong)s, bb)).ToList();
        if (only == "pooling")
        {
            foreach (var kind in new[] { "avg", "avg+max", "avg+2x2", "gem+max" })
                foreach (var (aname, augs) in AugSets)
                    foreach (var centre in new[] { false, true })
                        Row(seeds, $"{kind} | {aname} | {(centre ? "centred" : "raw")}", d => Score(d, kind, augs, centre));
            return;
        }
        if (only == "crops") // crops: 80% of each side, at the centre and the corners
        {
            foreach (var (aname, augs) in new (string, string[])[] {
                ("all 10", Ten), ("5 crops", ["id", .. Crops]), ("centre crop", ["id", "c80"]),
                ("all 10 + 5 crops", Augs), ("all 10 + centre crop", [.. Ten, "c80"]) })
                foreach (var kind in new[] { "avg+max", "gem+max" })
                    Row(seeds, $"{kind} | {aname} | lr", d => Score(d, kind, augs, false));
            return;
        }
        if (only == "gem") // the GeM exponent, and GeM beside the average
        {
            foreach (var (aname, augs) in new (string, string[])[] { ("all 10", Ten) })
                foreach (var kind in new[] { "gem2+max", "gem+max", "gem4+max", "gem6+max", "avg+gem+max", "gem" })
                    Row(seeds, $"{kind} | {aname} | lr", d => Score(d, kind, augs, false));
            return;
        }
        if (only == "head") // the head: discriminant analysis (shared covariance, shrunk) against softmax regression
        {
            foreach (var (aname, augs) in new (string, string[])[] { ("none", ["id"]), ("all 10", Ten) })
                foreach (var head in new[] { "lr", "lda 0.1", "lda 0.3", "lda 0.6", "means", "lr l2=1e-4", "lr l2=3e-3", "lr 100 steps", "lr 1000 steps" })
                    Row(seeds.Select(d => ScoreEmas(d, "gem+max", augs, false, head, [0f])[0]).ToList(), $"gem+max | {aname} | {head}");
            return;
        }
        if (only == "test-time") // test-time augmentation: the probabilities averaged over the frame and its variants
        {
            var tta = new[] { "flip", "grey" };
            var seen = seeds.Select((d, i) => tta.ToDictionary(a => a, a => TestMaps(Path.Combine(root, $"live{i + 1}"), d, a, bb))).ToList();
            foreach (var set in new[] { new string[0], ["flip"], ["grey"], ["flip", "grey"] })
                Row(seeds.Select((d, i) => ScoreTta(d, Ten, set.Select(a => seen[i][a]).ToArray(), [])).ToList(),
                    $"gem+max | all 10 | lr | test: id{string.Concat(set.Select(a => " + " + a))}");
            return;
        }
        if (only == "poses") { Poses(seeds, root, bb); return; }
        if (only is "motion" or "motion-crop" or "zoom" or "backgrounds" or "neutral") { MotionAndBackground(seeds, root, bb); return; }
        if (only == "bilinear") // second-order pooling: compact bilinear (random Maclaurin, Gao et al. 2016) beside GeM + max
        {
            foreach (var kind in new[] { "gem+max", "gem+max+cbp", "cbp" })
                Row(seeds, $"{kind} | all 10 | lr", d => Score(d, kind, Ten, false));
            return;
        }
        if (only == "photometric") // photometric variants beyond the ten: what changes from one segment to the next is the
        {                 // object's colour and brightness and the background's, not the shape
            var extra = PhotoNames;
            var got = seeds.Select((d, i) => extra.ToDictionary(a => a, a => TaughtMaps(Path.Combine(root, $"live{i + 1}"), d, a, bb))).ToList();
            foreach (var set in new[] { new string[0], ["inv"], ["dark"], ["gamma"], ["lowc"], ["desat"], ["small"], ["dark", "gamma"], ["dark", "gamma", "lowc", "desat"], extra })
                Row(seeds.Select((d, i) => ScoreTta(d, Ten, [], set.Select(a => got[i][a]).ToArray())).ToList(),
                    $"gem+max | all 10{string.Concat(set.Select(a => " + " + a))} | lr");
            return;
        }
        if (only == "variant-subsets") // which augmentations carry the gain (no new backbone passes: subsets of the cached ones)
        {
            foreach (var (aname, augs) in new (string, string[])[] {
                ("colour: 5 channel orders + grey", ["id", "p120", "p201", "p021", "p210", "p102", "grey"]),
                ("geometry: 3 turns + flip", ["id", "r90", "r180", "r270", "flip"]),
                ("2 rotations of the channels + grey", ["id", "p120", "p201", "grey"]),
                ("5 channel orders", ["id", "p120", "p201", "p021", "p210", "p102"]),
                ("all 10", Ten) })
                foreach (var kind in new[] { "avg+max", "gem+max" })
                    Row(seeds, $"{kind} | {aname} | lr", d => Score(d, kind, augs, false));
            return;
        }
        // "power": power transform (√ of each pooled value before normalising, Hu et al. 2021), layer3 blocks,
        // the head's settings, and smoothing the probabilities over frames (an exponential moving average).
        foreach (var (aname, augs) in AugSets)
            foreach (var kind in new[] { "avg+max", "sqrt avg+max", "avg+max+l3", "sqrt avg+max+l3" })
                foreach (var head in new[] { "lr", "means", "lr l2=1e-2" })
                {
                    float[] emas = [0f, 0.5f, 0.8f];
                    var all = seeds.Select(d => ScoreEmas(d, kind, augs, false, head, emas)).ToArray();
                    for (int e = 0; e < emas.Length; e++)
                    {
                        var col = all.Select(a => a[e]).ToList();
                        Row(col, $"{kind} | {aname} | {head} | ema {emas[e]}");
                    }
                }
    }

    static void Row(List<Seed> seeds, string name, Func<Seed, (int Right, int Count)> score) => Row(seeds.Select(score).ToList(), name);

    static void Row(List<(int Right, int Count)> acc, string name)
    {
        double mean = acc.Sum(a => a.Right) / (double)acc.Sum(a => a.Count);
        double no3 = acc.Where((_, i) => i != 2).Sum(a => a.Right) / (double)acc.Where((_, i) => i != 2).Sum(a => a.Count);
        Console.WriteLine($"| {name} | {100 * mean:F1}% | {100 * no3:F1}% | " +
            string.Join(" ", acc.Select((a, i) => $"{i + 1}:{100.0 * a.Right / a.Count:F0}")) + " |");
    }

    sealed record Seed(int[] Labels, float[][] Maps, float[][] Taught, float[][] L3, float[][] L3Taught);

    /// <summary>Records seed <paramref name="seed"/>'s live frames and dumps the maps (all frames, and the taught ones under each augmentation).</summary>
    static Seed Prepare(string dir, ulong seed, TeachBackbone bb)
    {
        string maps = Path.Combine(dir, "maps.f32"), aug = Path.Combine(dir, "aug.f32");
        string l3 = Path.Combine(dir, "l3.f32"), l3aug = Path.Combine(dir, "l3aug.f32");
        if (!File.Exists(Path.Combine(dir, "info.json")))
        {
            using var ctx = GlContext.CreateHeadless();
            FrameRecording.Record(ctx.Gl, dir, Frames, 224, seed, live: true);
        }
        using var ds = FramesDataset.Open(dir);
        var labels = Enumerable.Range(0, ds.Count).Select(ds.Label).ToArray();
        var taughtIdx = TaughtFrames(labels).ToArray();
        if (!File.Exists(l3aug))
        {
            void Dump(string path, string l3path, IEnumerable<(int Idx, string Aug)> which)
            {
                using var f = File.Create(path + ".tmp");
                using var g = File.Create(l3path + ".tmp");
                foreach (var (i, a) in which)
                {
                    var (m, e) = Map(bb, ds, i, a);
                    f.Write(MemoryMarshal.AsBytes(m.AsSpan()));
                    g.Write(MemoryMarshal.AsBytes(e.AsSpan(0, L3)));
                }
            }
            Dump(maps, l3, Enumerable.Range(0, ds.Count).Select(i => (i, "id")));
            Dump(aug, l3aug, taughtIdx.SelectMany(i => Augs.Select(a => (i, a))));
            foreach (var p in new[] { maps, aug, l3, l3aug }) File.Move(p + ".tmp", p, true);
        }
        return new Seed(labels, Read(maps, M), Read(aug, M), Read(l3, L3), Read(l3aug, L3));
    }

    /// <summary>layer3's avg and max blocks (256 + 256) as the backbone's AvgMax layout writes them.</summary>
    const int L3 = 512;

    static float[][] Read(string path, int n)
    {
        var b = File.ReadAllBytes(path);
        return Enumerable.Range(0, b.Length / (n * 4)).Select(i => { var m = new float[n]; Buffer.BlockCopy(b, i * n * 4, m, 0, n * 4); return m; }).ToArray();
    }

    /// <summary>--auto-teach N's choice: a frame is taught while its class has fewer than N taught frames.</summary>
    static IEnumerable<int> TaughtFrames(int[] y)
    {
        var seen = new int[K];
        for (int i = 0; i < y.Length && seen.Min() < N; i++) if (seen[y[i]] < N) { seen[y[i]]++; yield return i; }
    }

    /// <summary>Frames <paramref name="frames"/> of the recording in <paramref name="dir"/> under variant
    /// <paramref name="aug"/> through the backbone, cached in <paramref name="file"/> there.</summary>
    static float[][] CachedMaps(string dir, string file, IEnumerable<int> frames, string aug, TeachBackbone bb)
    {
        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            using var ds = FramesDataset.Open(dir);
            using (var f = File.Create(path + ".tmp"))
                foreach (int i in frames) f.Write(MemoryMarshal.AsBytes(Map(bb, ds, i, aug).Map.AsSpan()));
            File.Move(path + ".tmp", path, true);
        }
        return Read(path, M);
    }

    /// <summary>Every frame of the recording under variant <paramref name="aug"/> (the test-time variants).</summary>
    static float[][] TestMaps(string dir, Seed d, string aug, TeachBackbone bb) =>
        CachedMaps(dir, $"test-{aug}.f32", Enumerable.Range(0, d.Labels.Length), aug, bb);

    /// <summary>The taught frames under Photo's variant <paramref name="aug"/>.</summary>
    static float[][] TaughtMaps(string dir, Seed d, string aug, TeachBackbone bb) =>
        CachedMaps(dir, $"taught-{aug}.f32", TaughtFrames(d.Labels), aug, bb);

    /// <summary>The photometric candidate variants of an RGB24 frame (same size): inv = negative, dark = half the
    /// brightness, gamma = √ (brighter shadows), lowc = half the contrast about mid-grey, desat = half-way to grey,
    /// small = the frame shrunk to 70% in the middle of its own edge colour (a farther object).</summary>
    static readonly string[] PhotoNames = ["inv", "dark", "gamma", "lowc", "desat", "small"];

    static byte[] Photo(string a, byte[] rgb, int w, int h)
    {
        var o = new byte[rgb.Length];
        if (a == "small")
        {
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++)
            {
                int sx = Math.Clamp((int)((x - w * 0.15f) / 0.7f), 0, w - 1), sy = Math.Clamp((int)((y - h * 0.15f) / 0.7f), 0, h - 1);
                for (int c = 0; c < 3; c++) o[(y * w + x) * 3 + c] = rgb[(sy * w + sx) * 3 + c];
            }
            return o;
        }
        for (int i = 0; i < rgb.Length; i += 3)
        {
            int luma = (rgb[i] * 77 + rgb[i + 1] * 150 + rgb[i + 2] * 29) >> 8;
            for (int c = 0; c < 3; c++)
            {
                int v = rgb[i + c];
                o[i + c] = (byte)(a switch
                {
                    "inv" => 255 - v,
                    "dark" => v / 2,
                    "gamma" => (int)(255 * MathF.Sqrt(v / 255f)),
                    "lowc" => 128 + (v - 128) / 2,
                    _ => (v + luma) / 2, // desat
                });
            }
        }
        return o;
    }

    /// <summary>As Score (GeM + max, softmax regression), each scored frame's probabilities averaged with those of its
    /// variants' maps <paramref name="tta"/> (indexed by frame).</summary>
    static (int Right, int Count) ScoreTta(Seed d, string[] augs, float[][][] tta, float[][][] extraTaught)
    {
        var (samples, end) = TaughtSamples(d, "gem+max", augs, extraTaught);
        var head = TeachHead.Train(samples.Select(l => (IReadOnlyList<float[]>)l).ToArray(), Enumerable.Range(0, K).ToArray(), samples[0][0].Length);
        var p = new float[K];
        var sum = new float[K];
        int right = 0;
        for (int i = end; i < d.Labels.Length; i++)
        {
            head.Predict(Feat(d.Maps[i], null, "gem+max"), sum);
            foreach (var t in tta) { head.Predict(Feat(t[i], null, "gem+max"), p); for (int k = 0; k < K; k++) sum[k] += p[k]; }
            if (Array.IndexOf(sum, sum.Max()) == d.Labels[i]) right++;
        }
        return (right, d.Labels.Length - end);
    }

    /// <summary>The taught frames' features per class (each under <paramref name="augs"/>, then each extra variant's
    /// map), and the first frame scored.</summary>
    static (List<float[]>[] Samples, int End) TaughtSamples(Seed d, string kind, string[] augs, float[][][] extraTaught)
    {
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        var samples = Enumerable.Range(0, K).Select(_ => new List<float[]>()).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
        {
            var into = samples[d.Labels[taughtIdx[t]]];
            for (int j = 0; j < Augs.Length; j++)
                if (augs.Contains(Augs[j])) into.Add(Feat(d.Taught[t * Augs.Length + j], d.L3Taught[t * Augs.Length + j], kind));
            foreach (var x in extraTaught) into.Add(Feat(x[t], null, kind));
        }
        return (samples, taughtIdx[^1] + 1);
    }

    static (int Right, int Count) Score(Seed d, string kind, string[] augs, bool centre) => ScoreEmas(d, kind, augs, centre, "lr", [0f])[0];

    static (int Right, int Count)[] ScoreEmas(Seed d, string kind, string[] augs, bool centre, string headKind, float[] emas)
    {
        var (samples, end) = TaughtSamples(d, kind, augs, []);
        int dim = samples[0][0].Length;
        var mu = new float[dim];
        if (centre) { int c = 0; foreach (var l in samples) foreach (var x in l) { for (int j = 0; j < dim; j++) mu[j] += x[j]; c++; } for (int j = 0; j < dim; j++) mu[j] /= c; }
        float[] Centre(float[] x) { var z = new float[dim]; for (int j = 0; j < dim; j++) z[j] = x[j] - mu[j]; Norm(z); return z; }
        var lists = samples.Select(l => (IReadOnlyList<float[]>)l.Select(Centre).ToList()).ToArray();
        var ids = Enumerable.Range(0, K).ToArray();
        var head = headKind switch
        {
            "means" => TeachHead.FromMeans(lists, ids, dim),
            "lr l2=1e-2" => TeachHead.Train(lists, ids, dim, l2: 1e-2f),
            "lr l2=1e-4" => TeachHead.Train(lists, ids, dim, l2: 1e-4f),
            "lr l2=3e-3" => TeachHead.Train(lists, ids, dim, l2: 3e-3f),
            "lr 100 steps" => TeachHead.Train(lists, ids, dim, steps: 100),
            "lr 1000 steps" => TeachHead.Train(lists, ids, dim, steps: 1000),
            _ when headKind.StartsWith("lda ") => Lda(lists, ids, dim, float.Parse(headKind[4..], System.Globalization.CultureInfo.InvariantCulture)),
            _ => TeachHead.Train(lists, ids, dim),
        };
        var p = new float[K];
        var s = emas.Select(_ => new float[K]).ToArray();
        var right = new int[emas.Length];
        for (int i = end; i < d.Labels.Length; i++)
        {
            head.Predict(Centre(Feat(d.Maps[i], d.L3[i], kind)), p);
            for (int e = 0; e < emas.Length; e++)
            {
                for (int k = 0; k < K; k++) s[e][k] = i == end ? p[k] : emas[e] * s[e][k] + (1 - emas[e]) * p[k];
                if (Array.IndexOf(s[e], s[e].Max()) == d.Labels[i]) right[e]++;
            }
        }
        return right.Select(r => (r, d.Labels.Length - end)).ToArray();
    }

    static void Norm(Span<float> v) { float n = MathF.Sqrt(TensorPrimitives.Dot(v, v)); if (n > 0) for (int i = 0; i < v.Length; i++) v[i] /= n; }

    static readonly Dictionary<TeachPooling, TeachFeatures> Shipped = new()
    {
        [TeachPooling.Avg] = new(["layer4"], [C], TeachPooling.Avg), [TeachPooling.AvgMax] = new(["layer4"], [C], TeachPooling.AvgMax),
        [TeachPooling.CentredGemMax] = new(["layer4"], [C], TeachPooling.CentredGemMax, [(H, W)]),
    };

    /// <summary>A [512,7,7] map pooled as <paramref name="kind"/>: "avg", "avg+max" and "centred gem+max" through
    /// TeachFeatures itself (what teach mode runs); the other candidates as blocks, each L2-normalised, concatenated, normalised.</summary>
    static float[] Feat(float[] m, float[] l3, string kind)
    {
        if (kind.StartsWith("sqrt") || kind.EndsWith("+l3"))
        {
            var f = Shipped[TeachPooling.AvgMax];
            var e = new float[f.Length];
            f.Embed(0, m, e);
            var parts = new List<float[]> { e[..C], e[C..] };
            if (kind.EndsWith("+l3")) { parts.Add(l3[..256]); parts.Add(l3[256..]); }
            foreach (var b in parts)
            {
                if (kind.StartsWith("sqrt")) for (int i = 0; i < b.Length; i++) b[i] = MathF.Sqrt(Math.Max(b[i], 0));
                Norm(b);
            }
            var cat = parts.SelectMany(b => b).ToArray();
            Norm(cat);
            return cat;
        }
        if (kind is "avg" or "avg+max" or "centred gem+max")
        {
            var f = Shipped[kind == "avg" ? TeachPooling.Avg : kind == "avg+max" ? TeachPooling.AvgMax : TeachPooling.CentredGemMax];
            var e = new float[f.Length];
            f.Embed(0, m, e);
            return e;
        }
        if (kind.StartsWith("w:")) return Weighted(m, kind[2..]);
        var blocks = new List<float[]>();
        double gp = kind.StartsWith("gem") && kind.Length > 3 && char.IsDigit(kind[3]) ? kind[3] - '0' : 3; // "gem4+max": p = 4
        float[] Pool(Func<int, int, bool> inRegion, string op)
        {
            var v = new float[C];
            for (int c = 0; c < C; c++)
            {
                double s = 0; int n = 0; float mx = 0;
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                    if (inRegion(y, x)) { float a = m[c * HW + y * W + x]; s += op == "gem" ? Math.Pow(Math.Max(a, 0), gp) : a; mx = Math.Max(mx, a); n++; }
                v[c] = op == "max" ? mx : op == "gem" ? (float)Math.Pow(s / n, 1 / gp) : (float)(s / n);
            }
            Norm(v); return v;
        }
        blocks.Add(Pool((_, _) => true, kind.StartsWith("gem") ? "gem" : "avg"));
        if (kind == "cbp") blocks.Clear();
        if (kind.Contains("+gem")) blocks.Add(Pool((_, _) => true, "gem"));
        if (kind.Contains("max")) blocks.Add(Pool((_, _) => true, "max"));
        if (kind.Contains("2x2")) // four overlapping 4×4 quadrants of the 7×7 map (row/column 3 shared)
            foreach (var (y0, x0) in new[] { (0, 0), (0, 3), (3, 0), (3, 3) })
                blocks.Add(Pool((y, x) => y >= y0 && y < y0 + 4 && x >= x0 && x < x0 + 4, "avg"));
        if (kind.Contains("cbp")) blocks.Add(Cbp(m));
        var v = blocks.SelectMany(b => b).ToArray();
        Norm(v);
        return v;
    }

    const int CbpDim = 1024;
    /// <summary>Two fixed random ±1 projections [CbpDim, C] (seeded: the same for every frame and run).</summary>
    static readonly float[][] CbpR = Enumerable.Range(0, 2).Select(r =>
    {
        var rng = new Random(17 + r);
        return Enumerable.Range(0, CbpDim * C).Select(_ => rng.Next(2) == 0 ? -1f : 1f).ToArray();
    }).ToArray();

    /// <summary>Random Maclaurin compact bilinear pooling of a [C,7,7] map: f_j = mean over locations of
    /// (r1_j·z)(r2_j·z), z the location's C values, E[f·f'] ∝ (z·z')²; then signed √ and L2 (Lin et al.'s bilinear CNN).</summary>
    static float[] Cbp(float[] m)
    {
        var z = new float[HW * C]; // location-major
        for (int c = 0; c < C; c++) for (int l = 0; l < HW; l++) z[l * C + c] = m[c * HW + l];
        var f = new float[CbpDim];
        for (int j = 0; j < CbpDim; j++)
        {
            var r1 = CbpR[0].AsSpan(j * C, C); var r2 = CbpR[1].AsSpan(j * C, C);
            double s = 0;
            for (int l = 0; l < HW; l++) { var zl = z.AsSpan(l * C, C); s += TensorPrimitives.Dot(r1, zl) * (double)TensorPrimitives.Dot(r2, zl); }
            double v = s / HW;
            f[j] = (float)(Math.Sign(v) * Math.Sqrt(Math.Abs(v)));
        }
        Norm(f);
        return f;
    }

    /// <summary>Frame <paramref name="idx"/> under one augmentation (TeachAugment's, as teach mode makes them) through the backbone.</summary>
    static (float[] Map, float[] Embedding) Map(TeachBackbone bb, FramesDataset ds, int idx, string a)
    {
        int w = ds.Width, h = ds.Height;
        var chw = new byte[ds.ImageBytes];
        ds.CopyImage(idx, chw);
        var rgb = new byte[w * h * 3];
        for (int c = 0; c < 3; c++) for (int i = 0; i < w * h; i++) rgb[i * 3 + c] = chw[c * w * h + i];
        var o = rgb;
        int stride = w * 3;
        if (Crops.Contains(a)) // a sub-rectangle of the frame, passed with the frame's stride: no copy, no resampling here
        {
            int cw = w * 4 / 5, ch = h * 4 / 5;
            int x0 = a[0] == 'c' ? (w - cw) / 2 : a[1] == 'l' ? 0 : w - cw;
            int y0 = a[0] == 'c' ? (h - ch) / 2 : a[0] == 't' ? 0 : h - ch;
            var e2 = new float[bb.Features.Length];
            var map2 = new float[M];
            bb.Embed(rgb.AsSpan(y0 * stride + x0 * 3), cw, ch, stride, PixelFormat.Rgb24, e2, map2);
            return (map2, e2);
        }
        if (PhotoNames.Contains(a)) o = Photo(a, rgb, w, h);
        else if (a == "blur") o = Blur(rgb, w, h);
        else if (a.StartsWith("rot")) o = Rotate(rgb, w, h, float.Parse(a[3..], System.Globalization.CultureInfo.InvariantCulture));
        else if (a != "id")
        {
            int v = Array.IndexOf(TeachAugment.Names, a);
            (w, h) = TeachAugment.Size(v, w, h);
            o = new byte[rgb.Length];
            TeachAugment.Apply(v, rgb, ds.Width, ds.Height, o);
        }
        var e = new float[bb.Features.Length];
        var map = new float[M];
        bb.Embed(o, w, h, w * 3, PixelFormat.Rgb24, e, map);
        return (map, e);
    }

    // A candidate head (it lost to softmax regression, so teach mode does not ship it).
    /// <summary>
    /// Linear discriminant analysis: Gaussian classes sharing one covariance, Σ = pooled within-class scatter (classes
    /// weighted equally), shrunk towards its mean variance, Σα = (1−α)Σ + α·(tr Σ / d)·I (a few hundred samples cannot
    /// estimate d² entries; α = 1 gives back the class means). logits_k = μkᵀΣα⁻¹x − ½μkᵀΣα⁻¹μk: still a linear head,
    /// so it saves and draws its CAM like the others. The taught variants spread a class along what the backbone
    /// should ignore; Σα⁻¹ discounts those directions, which the class means cannot.
    /// </summary>
    static TeachHead Lda(IReadOnlyList<float[]>[] samples, int[] classIds, int features, float shrinkage = 0.3f)
    {
        if (!(shrinkage > 0 && shrinkage <= 1)) throw new ArgumentException($"shrinkage must be in (0, 1], got {shrinkage}");
        int K = classIds.Length, d = features;
        var mu = new float[K * d];
        for (int k = 0; k < K; k++)
        {
            var m = mu.AsSpan(k * d, d);
            foreach (var s in samples[k]) TensorPrimitives.Add(m, s, m);
            TensorPrimitives.Multiply(m, 1f / samples[k].Count, m);
        }
        var cov = new float[d * d]; // row-major, full (rank-one updates are one SIMD pass per row)
        var c = new float[d];
        for (int k = 0; k < K; k++)
        {
            float wk = 1f / (K * samples[k].Count);
            foreach (var s in samples[k])
            {
                TensorPrimitives.Subtract(s, mu.AsSpan(k * d, d), c);
                for (int i = 0; i < d; i++)
                    if (c[i] != 0) TensorPrimitives.MultiplyAdd(c, c[i] * wk, cov.AsSpan(i * d, d), cov.AsSpan(i * d, d));
            }
        }
        double trace = 0;
        for (int i = 0; i < d; i++) trace += cov[i * d + i];
        float ridge = (float)(shrinkage * trace / d);
        if (!(ridge > 0)) ridge = shrinkage * 1e-3f; // every class a single point: no scatter, Σα is a multiple of I
        TensorPrimitives.Multiply(cov, 1 - shrinkage, cov);
        for (int i = 0; i < d; i++) cov[i * d + i] += ridge;
        Cholesky(cov, d);
        var w = new float[K * d];
        var b = new float[K];
        for (int k = 0; k < K; k++)
        {
            var row = w.AsSpan(k * d, d);
            mu.AsSpan(k * d, d).CopyTo(row);
            CholeskySolve(cov, d, row);
            b[k] = -0.5f * TensorPrimitives.Dot(row, mu.AsSpan(k * d, d));
        }
        return new TeachHead(w, b, (int[])classIds.Clone(), features, "discriminant analysis");
    }

    /// <summary>In place: the lower triangle of <paramref name="a"/> (d×d, symmetric positive definite) becomes L, a = L·Lᵀ.</summary>
    static void Cholesky(float[] a, int d)
    {
        for (int j = 0; j < d; j++)
        {
            var lj = a.AsSpan(j * d, j);
            double diag = a[j * d + j] - TensorPrimitives.Dot(lj, lj);
            if (!(diag > 0)) throw new ArithmeticException($"covariance is not positive definite at pivot {j} ({diag})");
            float l = (float)Math.Sqrt(diag);
            a[j * d + j] = l;
            for (int i = j + 1; i < d; i++) a[i * d + j] = (a[i * d + j] - TensorPrimitives.Dot(a.AsSpan(i * d, j), lj)) / l;
        }
    }

    /// <summary>Solves L·Lᵀ·x = v in place, L from <see cref="Cholesky"/>.</summary>
    static void CholeskySolve(float[] l, int d, Span<float> v)
    {
        for (int i = 0; i < d; i++) v[i] = (v[i] - TensorPrimitives.Dot(l.AsSpan(i * d, i), v[..i])) / l[i * d + i];
        for (int i = d - 1; i >= 0; i--)
        {
            float s = v[i];
            for (int j = i + 1; j < d; j++) s -= l[j * d + i] * v[j];
            v[i] = s / l[i * d + i];
        }
    }
}
