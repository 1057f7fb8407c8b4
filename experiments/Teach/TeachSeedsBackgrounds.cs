// The background half of the teach-seeds experiment (TeachSeedsMotion.cs has the motion half): each taught frame's
// object put on other backgrounds, so that a background is no class's alone (--rows backgrounds), and the taught
// frames' outer ring of cells taught as no class (--rows neutral). The object mask and painted-out background are
// TeachBackgrounds' own, which teach mode now runs; --fill fills the mask's holes for the causal row.
//   dotnet run --project experiments -c Release -- teach-seeds --rows backgrounds
// ~25 min of backbone passes the first time (cached beside the maps), a minute after that.
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Experiments.Teach;

public static partial class TeachSeedsExperiment
{
    static void RoundElevenBackgrounds(List<Seed> seeds, string root, TeachBackbone bb)
    {
        if (Opt.Rows == "backgrounds")
        {
            // each taught frame's object pasted onto the other classes' taught backgrounds: within a burst the background
            // is one class's alone, so the head can learn it as the class; swapped, it cannot
            Row(seeds, "centred gem+max | all 10 | lr", d => Score(d, "centred gem+max", Ten, false));
            var sw = seeds.Select((d, i) => SwapMaps(Path.Combine(root, $"live{i + 1}"), d, bb)).ToList();
            foreach (int n in new[] { 1, 3, 7 })
                Row(seeds.Select((d, i) => ScoreSwap(d, sw[i], n)).ToList(), $"centred gem+max | all 10 + the object on {n} other classes' backgrounds | lr");
            var swc = seeds.Select((d, i) => SwapMaps(Path.Combine(root, $"live{i + 1}"), d, bb, recolour: true)).ToList();
            foreach (int n in new[] { 3, 7 })
                Row(seeds.Select((d, i) => ScoreSwap(d, swc[i], n)).ToList(), $"centred gem+max | all 10 + the object on {n} other classes' backgrounds, recoloured | lr");
            var swv = seeds.Select((d, i) => SwapMaps(Path.Combine(root, $"live{i + 1}"), d, bb, variants: true)).ToList();
            foreach (var which in new[] { "all", "colour", "geometry", "both" })
                Row(seeds.Select((d, i) => ScoreSwapVariants(d, swv[i], which)).ToList(), $"centred gem+max | the frame + its 10 variants, {which} of them on other classes' backgrounds | lr");
            var swo = seeds.Select((d, i) => SwapMaps(Path.Combine(root, $"live{i + 1}"), d, bb, own: true)).ToList();
            Row(seeds.Select((d, i) => ScoreSwapVariants(d, swo[i], "all")).ToList(), $"centred gem+max | the frame + its 10 variants, each on its own background in other colours | lr");
            var swr = seeds.Select((d, i) => RuntimeSwapMaps(Path.Combine(root, $"live{i + 1}"), d, bb)).ToList();
            Row(seeds.Select((d, i) => ScoreSwapVariants(d, swr[i], "all")).ToList(), $"centred gem+max | the frame + its 10 variants through TeachBackgrounds, in teaching order (the first class not waiting) | lr");
            var swf = seeds.Select((d, i) => FirstClassLater(Path.Combine(root, $"live{i + 1}"), d, bb, swr[i])).ToList();
            Row(seeds.Select((d, i) => ScoreSwapVariants(d, swf[i], "all")).ToList(), $"centred gem+max | as TeachBackgrounds, the first class's variants on the second's background (teach mode: they wait) | lr");
            if (Opt.Fill) Fill = true;
            var swk = seeds.Select((d, i) => SwapMaps(Path.Combine(root, $"live{i + 1}"), d, bb, causal: true)).ToList();
            Row(seeds.Select((d, i) => ScoreSwapVariants(d, swk[i], "all")).ToList(), $"centred gem+max | the frame + its 10 variants, on the backgrounds of the classes taught before it | lr");
            return;
        }
        if (Opt.Rows == "neutral")
        {
            // the taught frames' outer ring of cells, pooled the same way, taught as "no class" (uniform target): the
            // background told the head nothing in the taught frames it may not learn from
            Row(seeds, "centred gem+max | all 10 | lr", d => Score(d, "centred gem+max", Ten, false));
            foreach (var ring in new[] { "ring", "surround" })
                foreach (float lam in new[] { 0.1f, 0.3f, 1f })
                    Row(seeds.Select(d => ScoreNeutral(d, ring, lam)).ToList(), $"centred gem+max | all 10 | lr + {ring} as no class, weight {lam}");
            return;
        }
    }

    /// <summary>TeachBackgrounds' object mask, or null when it is not clean; with <see cref="Fill"/> its holes filled
    /// (background = what the border reaches through non-object pixels) and the clean test made again.</summary>
    static bool[] ObjectMask(byte[] rgb, int w, int h)
    {
        var m = new bool[w * h];
        bool clean = TeachBackgrounds.ObjectMask(rgb, w, h, m, new bool[4096]);
        if (!Fill) return clean ? m : null;
        var reached = new bool[w * h];
        var stack = new Stack<int>();
        for (int x = 0; x < w; x++) { stack.Push(x); stack.Push((h - 1) * w + x); }
        for (int y = 0; y < h; y++) { stack.Push(y * w); stack.Push(y * w + w - 1); }
        while (stack.Count > 0)
        {
            int i = stack.Pop();
            if (reached[i] || m[i]) continue;
            reached[i] = true;
            int x = i % w, y = i / w;
            if (x > 0) stack.Push(i - 1); if (x < w - 1) stack.Push(i + 1);
            if (y > 0) stack.Push(i - w); if (y < h - 1) stack.Push(i + w);
        }
        int n = 0;
        for (int i = 0; i < w * h; i++) { m[i] = !reached[i]; if (m[i]) n++; }
        return n < w * h / 50 || n > w * h * 7 / 10 ? null : m;
    }

    static bool Fill;

    static byte[] Background(byte[] rgb, bool[] m, int w, int h)
    {
        var o = new byte[rgb.Length];
        TeachBackgrounds.PaintOut(rgb, m, w, h, o);
        return o;
    }

    /// <summary>Each taught frame's object on the backgrounds of the 7 other classes' first taught frames, class
    /// (k + 1) mod 8 first, through the backbone: [taught·7 + o − 1]; a frame with no clean mask repeats itself.</summary>
    static float[][] SwapMaps(string dir, Seed d, TeachBackbone bb, bool recolour = false, bool variants = false, bool own = false, bool causal = false)
    {
        string path = Path.Combine(dir, causal ? (Fill ? "taught-swap-causal-fill.f32" : "taught-swap-causal.f32") : own ? "taught-own-recoloured.f32" : variants ? "taught-swap-variants.f32" : recolour ? "taught-swap7c.f32" : "taught-swap7.f32");
        if (!File.Exists(path))
        {
            using var ds = FramesDataset.Open(dir);
            int w = ds.Width, h = ds.Height;
            byte[] Rgb(int i) => FrameRgb(ds, i);
            var taught = TaughtFrames(d.Labels).ToArray();
            var bgs = new byte[K][];
            for (int k = 0; k < K; k++)
            {
                var first = Rgb(taught.First(i => d.Labels[i] == k));
                var m = ObjectMask(first, w, h);
                bgs[k] = m == null ? first : Background(first, m, w, h);
            }
            var e = new float[bb.Features.Length];
            var img = new byte[w * h * 3];
            int clean = 0;
            var order = taught.Select(i => d.Labels[i]).Distinct().ToArray();
            using (var f = File.Create(path + ".tmp"))
                foreach (int i in taught)
                {
                    var rgb = Rgb(i);
                    var m = ObjectMask(rgb, w, h);
                    if (m != null) clean++;
                    byte[] ownBg = own && m != null ? Background(rgb, m, w, h) : rgb;
                    var tmp = new byte[w * h * 3];
                    for (int o = 1; o < (variants || own || causal ? Ten.Length : K); o++)
                    {
                        var bg = bgs[(d.Labels[i] + (variants ? 1 + (o - 1) % (K - 1) : o)) % K];
                        if (causal)
                        {
                            // the classes taught before this one, in the order they were first taught; none: its own
                            var before = order.TakeWhile(k => k != d.Labels[i]).ToArray();
                            bg = before.Length == 0 ? rgb : bgs[before[(o - 1) % before.Length]];
                        }
                        if (own) { TeachAugment.Apply(Array.IndexOf(TeachAugment.Names, Recolours[1 + (o - 1) % 6]), ownBg, w, h, tmp); bg = tmp; }
                        for (int j = 0; j < w * h; j++)
                        {
                            var src = m != null && !m[j] ? bg : rgb;
                            img[j * 3] = src[j * 3]; img[j * 3 + 1] = src[j * 3 + 1]; img[j * 3 + 2] = src[j * 3 + 2];
                        }
                        var map = new float[M];
                        var src2 = img;
                        if (recolour && o > 1) { src2 = new byte[img.Length]; TeachAugment.Apply(Array.IndexOf(TeachAugment.Names, Recolours[o - 1]), img, w, h, src2); }
                        if (variants || own || causal) { src2 = new byte[img.Length]; TeachAugment.Apply(o - 1, img, w, h, src2); }
                        bb.Embed(src2, w, h, w * 3, PixelFormat.Rgb24, e, map);
                        f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(map.AsSpan()));
                    }
                }
            File.Move(path + ".tmp", path, true);
            Console.WriteLine($"{dir}: {clean} of {taught.Length} taught frames masked cleanly");
        }
        return Read(path, M);
    }

    /// <summary>The ten variants of each taught frame as TeachAugmenter makes them with TeachBackgrounds (the frames
    /// in teaching order): [taught·10 + variant].</summary>
    static float[][] RuntimeSwapMaps(string dir, Seed d, TeachBackbone bb)
    {
        string path = Path.Combine(dir, "taught-swap-runtime.f32");
        if (!File.Exists(path))
        {
            using var ds = FramesDataset.Open(dir);
            int w = ds.Width, h = ds.Height;
            var bgs = new TeachBackgrounds();
            using (var f = File.Create(path + ".tmp"))
                foreach (int i in TaughtFrames(d.Labels))
                {
                    var rgb = FrameRgb(ds, i);
                    bgs.Observe(d.Labels[i], rgb, w, h);
                    WriteVariants(f, bgs, rgb, w, h, bb);
                }
            File.Move(path + ".tmp", path, true);
        }
        return Read(path, M);
    }

    /// <summary>The ten variants of the frame <paramref name="bgs"/> last observed, as TeachAugmenter makes them, through
    /// the backbone into <paramref name="f"/>.</summary>
    static void WriteVariants(Stream f, TeachBackgrounds bgs, byte[] rgb, int w, int h, TeachBackbone bb)
    {
        var composed = new byte[rgb.Length];
        var img = new byte[rgb.Length];
        var e = new float[bb.Features.Length];
        var map = new float[M];
        for (int v = 0; v < TeachAugment.Count; v++)
        {
            var (vw, vh) = TeachAugment.Size(v, w, h);
            TeachAugment.Apply(v, bgs.Compose(v, rgb, composed) ? composed : rgb, w, h, img);
            bb.Embed(img, vw, vh, vw * 3, PixelFormat.Rgb24, e, map);
            f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(map.AsSpan()));
        }
    }

    /// <summary><paramref name="runtime"/> with the first-taught class's variants redone on the second-taught class's
    /// background (the first class has no class before it; its variants can wait until one comes).</summary>
    static float[][] FirstClassLater(string dir, Seed d, TeachBackbone bb, float[][] runtime)
    {
        string path = Path.Combine(dir, "taught-swap-first.f32");
        var taught = TaughtFrames(d.Labels).ToArray();
        var order = taught.Select(i => d.Labels[i]).Distinct().ToArray();
        if (!File.Exists(path))
        {
            using var ds = FramesDataset.Open(dir);
            int w = ds.Width, h = ds.Height;
            byte[] Rgb(int i) => FrameRgb(ds, i);
            var bgs = new TeachBackgrounds();
            foreach (int i in taught.Where(i => d.Labels[i] == order[1])) { bgs.Observe(order[1], Rgb(i), w, h); if (bgs.Has(order[1])) break; }
            using (var f = File.Create(path + ".tmp"))
                foreach (int i in taught.Where(i => d.Labels[i] == order[0]))
                {
                    var rgb = Rgb(i);
                    bgs.Observe(order[0], rgb, w, h); // order: [second, first], so the first borrows from the second
                    WriteVariants(f, bgs, rgb, w, h, bb);
                }
            File.Move(path + ".tmp", path, true);
        }
        var redone = Read(path, M);
        var o = (float[][])runtime.Clone();
        int r = 0;
        for (int t = 0; t < taught.Length; t++)
            if (d.Labels[taught[t]] == order[0])
                for (int v = 0; v < TeachAugment.Count; v++) o[t * TeachAugment.Count + v] = redone[r++];
        return o;
    }

    /// <summary>Swap o's colours (recolour): as taught, then the five other channel orders, then grey, so that the
    /// swaps do not make the object's own colour more of the class than the ten variants leave it.</summary>
    static readonly string[] Recolours = ["id", "p120", "p201", "p021", "p210", "p102", "grey"];

    /// <summary>The ten variants with variant v's object on class (k + 1 + v mod 7)'s background instead of its own
    /// ("all"), or only the colour ones (channel orders, grey) or the geometric ones (turns, mirror) swapped.</summary>
    static (int Right, int Count) ScoreSwapVariants(Seed d, float[][] swv, string which)
    {
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        var samples = Enumerable.Range(0, K).Select(_ => new List<float[]>()).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
            for (int j = 0; j < Ten.Length; j++)
            {
                bool geo = Ten[j] is "r90" or "r180" or "r270" or "flip";
                bool swap = j > 0 && (which is "all" or "both" || (which == "geometry") == geo);
                var map = swap ? swv[t * TeachAugment.Count + j - 1] : d.Taught[t * Augs.Length + j];
                samples[d.Labels[taughtIdx[t]]].Add(Feat(map, null, "centred gem+max"));
                if (which == "both" && j > 0) samples[d.Labels[taughtIdx[t]]].Add(Feat(d.Taught[t * Augs.Length + j], null, "centred gem+max"));
            }
        return Scored(d, TrainLr(samples), taughtIdx[^1] + 1, i => Feat(d.Maps[i], null, "centred gem+max"));
    }

    static (int Right, int Count) ScoreSwap(Seed d, float[][] swaps, int n)
    {
        var (samples, end) = TaughtSamples(d, "centred gem+max", Ten, []);
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
            for (int o = 1; o <= n; o++) samples[d.Labels[taughtIdx[t]]].Add(Feat(swaps[t * (K - 1) + o - 1], null, "centred gem+max"));
        return Scored(d, TrainLr(samples), end, i => Feat(d.Maps[i], null, "centred gem+max"));
    }

    /// <summary>"ring": the outer ring of cells alone, GeM + max; "surround": every cell weighted by 1 − the centre
    /// weights (scaled to peak 1).</summary>
    static float[] BackgroundWeights(string how)
    {
        var c = TeachFeatures.CentreWeights(H, W);
        float mx = c.Max();
        var wt = new float[HW];
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
            wt[y * W + x] = how == "ring" ? (y == 0 || x == 0 || y == H - 1 || x == W - 1 ? 1 : 0) : 1 - c[y * W + x] / mx;
        float s = wt.Sum();
        for (int l = 0; l < HW; l++) wt[l] *= HW / s;
        return wt;
    }

    static (int Right, int Count) ScoreNeutral(Seed d, string how, float lam)
    {
        var (samples, end) = TaughtSamples(d, "centred gem+max", Ten, []);
        var bw = BackgroundWeights(how);
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        var neutral = new List<float[]>();
        for (int t = 0; t < taughtIdx.Length; t++)
            foreach (var a in Ten) neutral.Add(WeightedBy(d.Taught[t * Augs.Length + Array.IndexOf(Augs, a)], bw));
        var l = samples.Select(x => (IReadOnlyList<float[]>)x).ToArray();
        return Scored(d, TeachHead.Train(l, Enumerable.Range(0, K).ToArray(), l[0][0].Length, neutral: neutral, neutralWeight: lam), end, i => Feat(d.Maps[i], null, "centred gem+max"));
    }

}
