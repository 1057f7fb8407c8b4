// TeachBackgrounds: puts a taught frame's object on the backgrounds of the classes taught before it, for its variants.
// Why: a burst shows one class on one background, so a head can learn the background as the class; the next
// segment (or the user's next room) then shows the object on a background that belongs to another class. With
// each variant's object on another class's background, no background is one class's alone. Measured over the live
// runs of 8 scene seeds (docs/experiments.md; experiments: teach-seeds --rows backgrounds): 73.0% → 74.9% of
// the frames after teaching right on the mean without seed 3, with TeachAugmenter's wait for the first class; the
// frame's own background recoloured gave no gain.
// The object is what the frame's border does not have: the user centres the object, so the border is background.
// A pixel whose colour (4 bits a channel, ±1 step each way) is among the border's is background, the rest object.
// On a plain or striped wall that is the object's silhouette; on a cluttered room the object is under 2% or over 70%
// of the frame and there is no mask, so the variants keep their own background (what teach mode did before).
// One class's background is its first cleanly masked taught frame with the object painted out along each row.
// Used only by TeachAugmenter's worker thread; scratch is reused, allocation happens per frame size and class.
namespace ResNetRealtime.Runtime.Teach;

internal sealed class TeachBackgrounds
{
    const int Band = 6, Bins = 16;
    readonly bool[] _seen = new bool[Bins * Bins * Bins];
    readonly byte[][] _background = new byte[TeachLearner.MaxClasses][];
    readonly (int Width, int Height)[] _size = new (int, int)[TeachLearner.MaxClasses];
    readonly List<int> _order = new(TeachLearner.MaxClasses); // classes in the order their first frame came
    readonly int[] _before = new int[TeachLearner.MaxClasses];
    bool[] _mask = [];
    int _beforeCount;
    bool _masked;

    /// <summary>Whether the last observed frame had a clean mask.</summary>
    public bool Masked => _masked;
    /// <summary>Whether class <paramref name="classId"/> has a background to lend.</summary>
    public bool Has(int classId) => _background[classId] != null;

    /// <summary>
    /// Writes the object mask of <paramref name="rgb"/> (RGB24, tight rows) into <paramref name="mask"/> (true = object)
    /// with <paramref name="seen"/> (4096 values) as scratch; false when the mask is not clean (under 2% or over 70% of
    /// the frame is object), and the mask is then not to be used.
    /// </summary>
    public static bool ObjectMask(ReadOnlySpan<byte> rgb, int width, int height, Span<bool> mask, Span<bool> seen)
    {
        Check(rgb, width, height);
        if (mask.Length < width * height) throw new ArgumentException($"mask has {mask.Length} values, a {width}x{height} frame needs {width * height}");
        if (seen.Length < Bins * Bins * Bins) throw new ArgumentException($"seen has {seen.Length} values, needs {Bins * Bins * Bins}");
        seen.Clear();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (x >= Band && y >= Band && x < width - Band && y < height - Band) { x = width - Band - 1; continue; } // the inside: skip to the right band
                int p = (y * width + x) * 3, r = rgb[p] >> 4, g = rgb[p + 1] >> 4, b = rgb[p + 2] >> 4;
                for (int dr = Math.Max(r - 1, 0); dr <= Math.Min(r + 1, Bins - 1); dr++)
                    for (int dg = Math.Max(g - 1, 0); dg <= Math.Min(g + 1, Bins - 1); dg++)
                        for (int db = Math.Max(b - 1, 0); db <= Math.Min(b + 1, Bins - 1); db++)
                            seen[(dr * Bins + dg) * Bins + db] = true;
            }
        int n = 0;
        for (int i = 0; i < width * height; i++)
        {
            int p = i * 3;
            n += (mask[i] = !seen[((rgb[p] >> 4) * Bins + (rgb[p + 1] >> 4)) * Bins + (rgb[p + 2] >> 4)]) ? 1 : 0;
        }
        return n >= width * height / 50 && n <= width * height * 7 / 10;
    }

    /// <summary>
    /// <paramref name="rgb"/> with its object (<paramref name="mask"/>) painted out into <paramref name="dst"/>: each
    /// object pixel linearly between the nearest background pixels left and right of it on its row, or the nearer one
    /// at a frame edge (gradients and stripes carry on); a row that is all object keeps its pixels.
    /// </summary>
    public static void PaintOut(ReadOnlySpan<byte> rgb, ReadOnlySpan<bool> mask, int width, int height, Span<byte> dst)
    {
        Check(rgb, width, height);
        if (mask.Length < width * height || dst.Length < width * height * 3)
            throw new ArgumentException($"a {width}x{height} frame needs a mask of {width * height} and dst of {width * height * 3}, got {mask.Length} and {dst.Length}");
        rgb[..(width * height * 3)].CopyTo(dst);
        for (int y = 0; y < height; y++)
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                if (!mask[row + x]) continue;
                int r = x;
                while (r < width && mask[row + r]) r++;
                int l = x - 1; // the run of object pixels is [x, r); its background neighbours are l and r
                if (l < 0 && r >= width) break;
                for (int i = x; i < r; i++)
                {
                    float t = l < 0 || r >= width ? 0 : (i - l) / (float)(r - l);
                    int a = (row + (l < 0 ? r : l)) * 3, b = (row + (r >= width ? l : r)) * 3;
                    for (int c = 0; c < 3; c++) dst[(row + i) * 3 + c] = (byte)MathF.Round(rgb[a + c] + t * (rgb[b + c] - rgb[a + c]));
                }
                x = r;
            }
        }
    }

    /// <summary>
    /// Takes in one taught frame of class <paramref name="classId"/> before its variants are made: masks it, notes the
    /// class's place in the teaching order (its first frame), and keeps its background if the class has none yet
    /// and the mask is clean.
    /// </summary>
    public void Observe(int classId, ReadOnlySpan<byte> rgb, int width, int height)
    {
        if ((uint)classId >= TeachLearner.MaxClasses) throw new ArgumentOutOfRangeException(nameof(classId), $"class slot {classId} is not 0..{TeachLearner.MaxClasses - 1}");
        Check(rgb, width, height);
        if (_mask.Length != width * height) _mask = new bool[width * height];
        _masked = ObjectMask(rgb, width, height, _mask, _seen);
        if (!_order.Contains(classId)) _order.Add(classId);
        GotBackground = _masked && _background[classId] == null;
        if (GotBackground)
        {
            _background[classId] = new byte[width * height * 3];
            _size[classId] = (width, height);
            PaintOut(rgb, _mask, width, height, _background[classId]);
        }
        // the classes that lend backgrounds to this one: those taught before it that have one of this frame's size;
        // the first class taught has none, so it borrows from the next one that has (TeachAugmenter holds its
        // frames back until one does)
        _beforeCount = 0;
        int self = _order.IndexOf(classId);
        for (int j = 0; j < self; j++) Lend(_order[j], width, height);
        for (int j = self + 1; j < _order.Count && _beforeCount == 0; j++) Lend(_order[j], width, height);
    }

    void Lend(int k, int width, int height)
    {
        if (_background[k] != null && _size[k] == (width, height)) _before[_beforeCount++] = k;
    }

    /// <summary>Classes seen so far (in the teaching order).</summary>
    public int Classes => _order.Count;

    /// <summary>Whether the last observed frame gave its class its background (a new lender).</summary>
    public bool GotBackground { get; private set; }

    /// <summary>How many classes lend the last observed frame their backgrounds (0: its variants keep its own).</summary>
    public int Lenders => _masked ? _beforeCount : 0;

    /// <summary>
    /// Variant <paramref name="variant"/>'s source image of the frame last observed: its object on the background of
    /// the classes taught before its class, the (variant mod their count)-th, into <paramref name="dst"/>. False
    /// (dst untouched) when the frame had no clean mask or no class before it has a background of its size: the
    /// variant then uses the frame as it is.
    /// </summary>
    public bool Compose(int variant, ReadOnlySpan<byte> rgb, Span<byte> dst)
    {
        if (!_masked || _beforeCount == 0) return false;
        var bg = _background[_before[variant % _beforeCount]];
        int n = _mask.Length;
        if (rgb.Length < n * 3 || dst.Length < n * 3) throw new ArgumentException($"the observed frame has {n} pixels; got {rgb.Length} and {dst.Length} bytes");
        for (int i = 0; i < n; i++)
        {
            var src = _mask[i] ? rgb : bg;
            dst[i * 3] = src[i * 3]; dst[i * 3 + 1] = src[i * 3 + 1]; dst[i * 3 + 2] = src[i * 3 + 2];
        }
        return true;
    }

    /// <summary>Forgets class <paramref name="classId"/>'s background and place in the order (taught again, it comes last).</summary>
    public void Clear(int classId)
    {
        _background[classId] = null;
        _order.Remove(classId);
    }

    static void Check(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (width < 1 || height < 1 || rgb.Length < width * height * 3)
            throw new ArgumentException($"a {width}x{height} RGB24 frame needs {width * height * 3} bytes, got {rgb.Length}");
    }
}
