// Motion and the background (teach-seeds --rows motion|motion-crop|zoom|backgrounds|neutral; TeachSeedsExperiment.cs
// has the replay and the criterion), against the centred GeM + max with the ten variants (74.8% / 73.0% / 88%), after
// the background that seed 3's errors show (docs/experiments.md has the table). Within a segment the scene's
// background stands still and the object tumbles and drifts, as a hand-held object does in front of a webcam on a
// desk. This file has the motion half:
//   motion       |frame t − frame t−1| pooled into the map's cells weights the object's cells more in both pools
//                (a still frame keeps the centre weights; --still sets "still" in grey levels, --clamp caps a
//                cell's ratio; --first-sweep adds the first sweep); from the pixels, averaged over frames, or from
//                the layer4 map's own change. No new backbone passes.
//   motion-crop  the frame cropped to the square round its moving pixels (new passes; --with-variants: the ten too)
//   zoom         the frame's and its middle's embeddings side by side (two scales; new passes)
// TeachSeedsBackgrounds.cs has the background half (backgrounds, neutral), which gave what teach mode now runs.
//   dotnet run --project experiments -c Release -- teach-seeds --rows motion
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Teach;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Experiments.Teach;

public static partial class TeachSeedsExperiment
{
    /// <summary>Each frame's mean absolute difference from the frame before, per cell of the 7×7 map: [frames][HW],
    /// and the same for the taught frames under each of the ten variants: [taught·10 + variant][HW].</summary>
    sealed record Motion(float[][] Frames, float[][] Taught);

    static void MotionAndBackground(List<Seed> seeds, string root, TeachBackbone bb)
    {
        if (Opt.Rows is "backgrounds" or "neutral")
        {
            RoundElevenBackgrounds(seeds, root, bb); // TeachSeedsBackgrounds.cs
            return;
        }
        if (Opt.Rows == "zoom")
        {
            // two scales: the frame and its middle (a zoom), each pooled, the two embeddings concatenated
            string[] augs = Opt.WithVariants ? Ten : ["id"];
            Row(seeds, $"centred gem+max | {augs.Length} | lr", d => Score(d, "centred gem+max", augs, false));
            foreach (float frac in new[] { 0.8f, 0.6f })
            {
                var z = seeds.Select((d, i) => ZoomMaps(Path.Combine(root, $"live{i + 1}"), d, augs, frac, bb)).ToList();
                Row(seeds.Select((d, i) => ScoreZoom(d, z[i], augs, false)).ToList(), $"centred gem+max of the frame + of its middle {frac} | {augs.Length} | lr");
                Row(seeds.Select((d, i) => ScoreZoom(d, z[i], augs, true)).ToList(), $"centred gem+max of its middle {frac} alone | {augs.Length} | lr");
            }
            return;
        }
        if (Opt.Rows == "motion-crop")
        {
            string[] augs = Opt.WithVariants ? Ten : ["id"];
            Row(seeds, $"centred gem+max | {augs.Length} | lr", d => Score(d, "centred gem+max", augs, false));
            var crops = seeds.Select((d, i) => MotionCrops(Path.Combine(root, $"live{i + 1}"), d, augs, bb)).ToList();
            Row(seeds.Select((d, i) => ScoreCrops(d, crops[i], augs)).ToList(), $"centred gem+max, cropped to the motion | {augs.Length} | lr");
            return;
        }
        var motion = seeds.Select((d, i) => Motions(Path.Combine(root, $"live{i + 1}"), d)).ToList();
        Row(seeds, "centred gem+max | all 10 | lr", d => Score(d, "centred gem+max", Ten, false));
        if (Opt.FirstSweep)
            foreach (var how in new[] { "motion 1", "motion 0.5", "centre×motion 1", "centre×motion 0.5", "centre×(0.25+motion)", "centre×(1+motion)" })
                Row(seeds.Select((d, i) => ScoreMotion(d, motion[i], how)).ToList(), $"w:{how} | all 10 | lr");
        foreach (var how in new[] { "centre×(0.5+motion)", "centre×(1+motion)", "centre×(2+motion)", "centre×(4+motion)" })
            Row(seeds.Select((d, i) => ScoreMotion(d, motion[i], how)).ToList(), $"w:{how} | all 10 | lr");
        // the variants' weights turned and mirrored from the frame's own (what the runtime can do without the frame before)
        var turned = seeds.Select((d, i) => new Motion(motion[i].Frames, TurnedTaught(d, motion[i].Frames))).ToList();
        foreach (var how in new[] { "centre×(1+motion)", "centre×(2+motion)" })
            Row(seeds.Select((d, i) => ScoreMotion(d, turned[i], how)).ToList(), $"w:{how}, variants' weights turned | all 10 | lr");
        // an exponential average of the cell motion over frames (a_t = ½a_t−1 + ½m_t): more of a tumbling object's cells
        var ema = seeds.Select((d, i) => { var f = Ema(motion[i].Frames, 0.5f); return new Motion(f, TurnedTaught(d, f)); }).ToList();
        foreach (var how in new[] { "centre×(1+motion)", "centre×(2+motion)" })
            Row(seeds.Select((d, i) => ScoreMotion(d, ema[i], how)).ToList(), $"w:{how}, motion averaged ½ | all 10 | lr");
        // the layer4 map's own change per location, Σc |m_t − m_t−1| (every backend has the map; not all have the pixels)
        var maps = seeds.Select(d => { var f = MapMotion(d.Maps); return new Motion(f, TurnedTaught(d, f)); }).ToList();
        var means = maps.SelectMany(mo => mo.Frames.Select(f => f.Average())).Order().ToArray();
        Console.WriteLine($"map motion per frame: median {means[means.Length / 2]:G3}, 5% {means[means.Length / 20]:G3}; pixel motion median {motion.SelectMany(mo => mo.Frames.Select(f => f.Average())).Order().ElementAt(means.Length / 2):G3}");
        foreach (var how in new[] { "centre×(1+motion)", "centre×(2+motion)", "centre×motion 1" })
            Row(seeds.Select((d, i) => ScoreMotion(d, maps[i], how)).ToList(), $"w:{how}, from the map | all 10 | lr");
    }

    /// <summary>The square around the pixels that changed by more than 8 grey levels since the frame before (2nd to
    /// 98th percentile of their rows and columns, 15% margin, at least half the frame's short side, inside the frame),
    /// or the whole frame when under 0.5% of its pixels changed.</summary>
    static (int X, int Y, int Side) MotionBox(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int w, int h)
    {
        var xs = new List<int>(); var ys = new List<int>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = (y * w + x) * 3;
                if (Math.Abs(a[p] - b[p]) + Math.Abs(a[p + 1] - b[p + 1]) + Math.Abs(a[p + 2] - b[p + 2]) > 24) { xs.Add(x); ys.Add(y); }
            }
        int side0 = Math.Min(w, h);
        if (xs.Count < w * h / 200) return (0, 0, side0);
        xs.Sort(); ys.Sort();
        int x0 = xs[xs.Count / 50], x1 = xs[xs.Count * 49 / 50], y0 = ys[ys.Count / 50], y1 = ys[ys.Count * 49 / 50];
        int side = (int)(Math.Max(x1 - x0, y1 - y0) * 1.3);
        side = Math.Clamp(side, side0 / 2, side0);
        int cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        return (Math.Clamp(cx - side / 2, 0, w - side), Math.Clamp(cy - side / 2, 0, h - side), side);
    }

    /// <summary>Every frame's map (or a taught frame's under each of <paramref name="augs"/>) of the square around its
    /// motion, resized by the backbone, cached: [frame] then [taught·augs + variant].</summary>
    static (float[][] Frames, float[][] Taught) MotionCrops(string dir, Seed d, string[] augs, TeachBackbone bb)
    {
        string pf = Path.Combine(dir, "crop-motion.f32"), pt = Path.Combine(dir, $"crop-motion-taught{augs.Length}.f32");
        using var ds = FramesDataset.Open(dir);
        int w = ds.Width, h = ds.Height;
        byte[] Rgb(int i) => FrameRgb(ds, i);
        var e = new float[bb.Features.Length];
        float[] Run(byte[] rgb, (int X, int Y, int Side) box, int variant)
        {
            var crop = new byte[box.Side * box.Side * 3];
            for (int y = 0; y < box.Side; y++) rgb.AsSpan(((box.Y + y) * w + box.X) * 3, box.Side * 3).CopyTo(crop.AsSpan(y * box.Side * 3));
            var img = crop;
            if (variant >= 0) { img = new byte[crop.Length]; TeachAugment.Apply(variant, crop, box.Side, box.Side, img); }
            var map = new float[M];
            bb.Embed(img, box.Side, box.Side, box.Side * 3, PixelFormat.Rgb24, e, map);
            return map;
        }
        int end = TaughtFrames(d.Labels).Last() + 1;
        int full = 0;
        if (!File.Exists(pf))
        {
            using (var f = File.Create(pf + ".tmp"))
            {
                byte[] prev = Rgb(Math.Max(end - 1, 0));
                for (int i = end; i < d.Labels.Length; i++)
                {
                    var cur = Rgb(i);
                    var box = MotionBox(cur, prev, w, h);
                    if (box.Side == Math.Min(w, h)) full++;
                    f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Run(cur, box, -1).AsSpan()));
                    prev = cur;
                }
            }
            File.Move(pf + ".tmp", pf, true);
            Console.WriteLine($"{dir}: {full} of {d.Labels.Length - end} scored frames uncropped");
        }
        if (!File.Exists(pt))
        {
            using (var f = File.Create(pt + ".tmp"))
                foreach (int i in TaughtFrames(d.Labels))
                {
                    var cur = Rgb(i);
                    var box = MotionBox(cur, i > 0 ? Rgb(i - 1) : cur, w, h);
                    foreach (var a in augs)
                        f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Run(cur, box, a == "id" ? -1 : Array.IndexOf(TeachAugment.Names, a)).AsSpan()));
                }
            File.Move(pt + ".tmp", pt, true);
        }
        var frames = new float[d.Labels.Length][];
        var read = Read(pf, M);
        for (int i = end; i < d.Labels.Length; i++) frames[i] = read[i - end];
        return (frames, Read(pt, M));
    }

    /// <summary>The middle <paramref name="frac"/> of each side of every scored frame, and of each taught frame under
    /// each of <paramref name="augs"/> (the variant of the middle), through the backbone; cached.</summary>
    static (float[][] Frames, float[][] Taught) ZoomMaps(string dir, Seed d, string[] augs, float frac, TeachBackbone bb)
    {
        using var ds = FramesDataset.Open(dir);
        int w = ds.Width, h = ds.Height, side = (int)(Math.Min(w, h) * frac), x0 = (w - side) / 2, y0 = (h - side) / 2;
        var crop = new byte[side * side * 3];
        var img = new byte[side * side * 3];
        var e = new float[bb.Features.Length];
        float[] Run(int i, string a)
        {
            var rgb = FrameRgb(ds, i);
            for (int y = 0; y < side; y++) rgb.AsSpan(((y0 + y) * w + x0) * 3, side * 3).CopyTo(crop.AsSpan(y * side * 3));
            var src = crop;
            if (a != "id") { TeachAugment.Apply(Array.IndexOf(TeachAugment.Names, a), crop, side, side, img); src = img; }
            var map = new float[M];
            bb.Embed(src, side, side, side * 3, PixelFormat.Rgb24, e, map);
            return map;
        }
        int end = TaughtFrames(d.Labels).Last() + 1;
        string tag = $"{(int)(frac * 100)}", pf = Path.Combine(dir, $"zoom{tag}.f32"), pt = Path.Combine(dir, $"zoom{tag}-taught{augs.Length}.f32");
        void Dump(string path, IEnumerable<(int, string)> which)
        {
            if (File.Exists(path)) return;
            using (var f = File.Create(path + ".tmp")) foreach (var (i, a) in which) f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Run(i, a).AsSpan()));
            File.Move(path + ".tmp", path, true);
        }
        Dump(pf, Enumerable.Range(end, d.Labels.Length - end).Select(i => (i, "id")));
        Dump(pt, TaughtFrames(d.Labels).SelectMany(i => augs.Select(a => (i, a))));
        var frames = new float[d.Labels.Length][];
        var read = Read(pf, M);
        for (int i = end; i < d.Labels.Length; i++) frames[i] = read[i - end];
        return (frames, Read(pt, M));
    }

    static (int Right, int Count) ScoreZoom(Seed d, (float[][] Frames, float[][] Taught) z, string[] augs, bool alone)
    {
        float[] Cat(float[] full, float[] mid)
        {
            var b = Feat(mid, null, "centred gem+max");
            if (alone) return b;
            float[] v = [.. Feat(full, null, "centred gem+max"), .. b];
            Norm(v);
            return v;
        }
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        var samples = Enumerable.Range(0, K).Select(_ => new List<float[]>()).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
            for (int j = 0; j < augs.Length; j++)
                samples[d.Labels[taughtIdx[t]]].Add(Cat(d.Taught[t * Augs.Length + Array.IndexOf(Augs, augs[j])], z.Taught[t * augs.Length + j]));
        return Scored(d, TrainLr(samples), taughtIdx[^1] + 1, i => Cat(d.Maps[i], z.Frames[i]));
    }

    static (int Right, int Count) ScoreCrops(Seed d, (float[][] Frames, float[][] Taught) crops, string[] augs)
    {
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        var samples = Enumerable.Range(0, K).Select(_ => new List<float[]>()).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
            for (int j = 0; j < augs.Length; j++)
                samples[d.Labels[taughtIdx[t]]].Add(Feat(crops.Taught[t * augs.Length + j], null, "centred gem+max"));
        return Scored(d, TrainLr(samples), taughtIdx[^1] + 1, i => Feat(crops.Frames[i], null, "centred gem+max"));
    }

    /// <summary>The frames after teaching (from <paramref name="end"/>) that <paramref name="head"/> calls right, each
    /// frame's features from <paramref name="features"/>.</summary>
    static (int Right, int Count) Scored(Seed d, TeachHead head, int end, Func<int, float[]> features)
    {
        var p = new float[K];
        int right = 0;
        for (int i = end; i < d.Labels.Length; i++)
        {
            head.Predict(features(i), p);
            if (Array.IndexOf(p, p.Max()) == d.Labels[i]) right++;
        }
        return (right, d.Labels.Length - end);
    }

    /// <summary>Frame <paramref name="i"/> of a recording as RGB24, tight rows (the dataset stores it planar).</summary>
    static byte[] FrameRgb(FramesDataset ds, int i)
    {
        int n = ds.Width * ds.Height;
        var chw = new byte[ds.ImageBytes];
        var rgb = new byte[n * 3];
        ds.CopyImage(i, chw);
        for (int c = 0; c < 3; c++) for (int j = 0; j < n; j++) rgb[j * 3 + c] = chw[c * n + j];
        return rgb;
    }

    /// <summary>Cell (y, x) of the 7×7 map sees the source pixels that land in its 32×32 of the model input (teach mode
    /// resizes the whole frame, crop ratio 1, as TeachBackbone does by default).</summary>
    static float[] CellMotion(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int w, int h)
    {
        var g = CropGeometry.Compute(w, h, 224, 224, 1.0);
        var m = new float[HW];
        var n = new int[HW];
        for (int y = 0; y < h; y++)
        {
            // the model-input row this source row lands on, then its cell; rows outside the crop are skipped
            int my = (int)Math.Floor((y + 0.5) / g.ScaleY - 0.5 - g.Top);
            if (my < 0 || my >= 224) continue;
            for (int x = 0; x < w; x++)
            {
                int mx = (int)Math.Floor((x + 0.5) / g.ScaleX - 0.5 - g.Left);
                if (mx < 0 || mx >= 224) continue;
                int cell = my / 32 * W + mx / 32, p = (y * w + x) * 3;
                m[cell] += (Math.Abs(a[p] - b[p]) + Math.Abs(a[p + 1] - b[p + 1]) + Math.Abs(a[p + 2] - b[p + 2])) / 3f;
                n[cell]++;
            }
        }
        for (int l = 0; l < HW; l++) m[l] = n[l] > 0 ? m[l] / n[l] : 0;
        return m;
    }

    static Motion Motions(string dir, Seed d)
    {
        using var ds = FramesDataset.Open(dir);
        int w = ds.Width, h = ds.Height;
        byte[] Rgb(int i) => FrameRgb(ds, i);
        var frames = new float[d.Labels.Length][];
        byte[] prev = null;
        for (int i = 0; i < d.Labels.Length; i++)
        {
            var cur = Rgb(i);
            frames[i] = prev == null ? new float[HW] : CellMotion(cur, prev, w, h);
            prev = cur;
        }
        var taught = new List<float[]>();
        var va = new byte[w * h * 3];
        var vb = new byte[w * h * 3];
        foreach (int i in TaughtFrames(d.Labels))
        {
            var cur = Rgb(i);
            var before = i > 0 ? Rgb(i - 1) : cur;
            foreach (var a in Ten)
            {
                if (a == "id") { taught.Add(frames[i]); continue; }
                int v = Array.IndexOf(TeachAugment.Names, a);
                var (vw, vh) = TeachAugment.Size(v, w, h);
                TeachAugment.Apply(v, cur, w, h, va);
                TeachAugment.Apply(v, before, w, h, vb);
                taught.Add(i > 0 ? CellMotion(va, vb, vw, vh) : new float[HW]);
            }
        }
        return new Motion(frames, taught.ToArray());
    }

    /// <summary>The taught frames' weights under each variant, turned and mirrored like its pixels from the frame's own.</summary>
    static float[][] TurnedTaught(Seed d, float[][] frames)
    {
        var o = new List<float[]>();
        foreach (int i in TaughtFrames(d.Labels))
            foreach (var a in Ten)
            {
                var m = frames[i];
                var t = new float[HW];
                for (int y = 0; y < H; y++) for (int x = 0; x < W; x++)
                {
                    var (sx, sy) = a switch { "r90" => (y, H - 1 - x), "r180" => (W - 1 - x, H - 1 - y), "r270" => (W - 1 - y, x), "flip" => (W - 1 - x, y), _ => (x, y) };
                    t[y * W + x] = m[sy * W + sx];
                }
                o.Add(t);
            }
        return o.ToArray();
    }

    static float[][] Ema(float[][] m, float keep)
    {
        var o = new float[m.Length][];
        for (int i = 0; i < m.Length; i++)
        {
            o[i] = new float[HW];
            for (int l = 0; l < HW; l++) o[i][l] = i == 0 ? m[i][l] : keep * o[i - 1][l] + (1 - keep) * m[i][l];
        }
        return o;
    }

    /// <summary>Σc |m_t − m_t−1| per location, scaled so a typical frame's mean is in grey levels' range (×100).</summary>
    static float[][] MapMotion(float[][] maps)
    {
        var o = new float[maps.Length][];
        for (int i = 0; i < maps.Length; i++)
        {
            o[i] = new float[HW];
            if (i == 0) continue;
            for (int c = 0; c < C; c++) for (int l = 0; l < HW; l++) o[i][l] += Math.Abs(maps[i][c * HW + l] - maps[i - 1][c * HW + l]);
            for (int l = 0; l < HW; l++) o[i][l] *= 100f / C;
        }
        return o;
    }

    /// <summary>Location weights of mean 1 from one frame's cell motion: "motion γ" = (m/mean m)^γ; "centre×motion γ"
    /// = the centre Gaussian times that; "centre×(ε+motion)" = the Gaussian times ε + m/mean m. Under a mean motion of
    /// 0.5 grey levels (a still frame, or camera noise alone) the motion says nothing: centre weights alone.</summary>
    static float Clamp => Opt.Clamp;
    static float Still => Opt.Still;
    static float[] MotionWeights(float[] m, string how)
    {
        var centre = TeachFeatures.CentreWeights(H, W);
        float mean = m.Average();
        var wt = new float[HW];
        if (mean < Still) return centre;
        for (int l = 0; l < HW; l++)
        {
            float r = Math.Min(m[l] / mean, Clamp);
            wt[l] = how switch
            {
                "motion 1" => r,
                "motion 0.5" => MathF.Sqrt(r),
                "centre×motion 1" => centre[l] * r,
                "centre×motion 0.5" => centre[l] * MathF.Sqrt(r),
                _ when how.StartsWith("centre×(") => centre[l] * (float.Parse(how[8..how.IndexOf('+')], System.Globalization.CultureInfo.InvariantCulture) + r),
                _ => throw new ArgumentException($"unknown motion weighting '{how}'"),
            };
        }
        float s = wt.Sum();
        if (!(s > 0)) return centre;
        for (int l = 0; l < HW; l++) wt[l] *= HW / s;
        return wt;
    }

    /// <summary>GeM (p = 3) + max of a [C,7,7] map with the given location weights (mean 1), as CentredGemMax pools.</summary>
    static float[] WeightedBy(float[] m, float[] wt)
    {
        var g = new float[C];
        var mx = new float[C];
        for (int c = 0; c < C; c++)
        {
            double s = 0;
            for (int l = 0; l < HW; l++) { float a = Math.Max(m[c * HW + l], 0); s += wt[l] * a * a * a; mx[c] = Math.Max(mx[c], wt[l] * a); }
            g[c] = (float)Math.Cbrt(s / HW);
        }
        Norm(g); Norm(mx);
        float[] v = [.. g, .. mx];
        Norm(v);
        return v;
    }

    static (int Right, int Count) ScoreMotion(Seed d, Motion mo, string how)
    {
        var taughtIdx = TaughtFrames(d.Labels).ToArray();
        var samples = Enumerable.Range(0, K).Select(_ => new List<float[]>()).ToArray();
        for (int t = 0; t < taughtIdx.Length; t++)
            for (int j = 0; j < Ten.Length; j++)
                samples[d.Labels[taughtIdx[t]]].Add(WeightedBy(d.Taught[t * Augs.Length + Array.IndexOf(Augs, Ten[j])], MotionWeights(mo.Taught[t * Ten.Length + j], how)));
        return Scored(d, TrainLr(samples), taughtIdx[^1] + 1, i => WeightedBy(d.Maps[i], MotionWeights(mo.Frames[i], how)));
    }
}
