namespace ResNetRealtime.Demo.Text;

/// <summary>One rasterised glyph: its rectangle in the atlas and its placement relative to the pen (pixels, y down).</summary>
public readonly record struct Glyph(int X, int Y, int Width, int Height, int Left, int Top, float Advance);

/// <summary>
/// A single-channel (coverage) atlas of printable ASCII plus a few symbols (µ ± · ×), rasterised
/// once with FreeType from DejaVu Sans. Text drawing is then textured quads sampling this atlas.
/// Rows are packed left to right with a 1-pixel gutter so linear sampling never bleeds.
/// Built on the CPU so it is testable without GL; <see cref="Pixels"/> is uploaded as an R8 texture.
/// </summary>
public sealed unsafe class GlyphAtlas
{
    public const string DefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    static readonly string[] FallbackFonts =
    {
        "/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/Library/Fonts/DejaVuSans.ttf", @"C:\Windows\Fonts\DejaVuSans.ttf",
    };
    const string Extra = "µ±·×—→…";

    readonly Dictionary<char, Glyph> _glyphs = new();
    readonly Glyph[] _ascii = new Glyph[128];
    readonly bool[] _hasAscii = new bool[128];

    public int Width { get; }
    public int Height { get; }
    /// <summary>Coverage 0..255, row-major, Width×Height.</summary>
    public byte[] Pixels { get; }
    public int PixelSize { get; }
    /// <summary>Distance from the top of a line to its baseline, and the line advance, in pixels.</summary>
    public int Ascender { get; }
    public int LineHeight { get; }
    public string FontPath { get; }

    GlyphAtlas(int w, int h, byte[] pixels, int px, int asc, int line, string font)
    {
        Width = w; Height = h; Pixels = pixels; PixelSize = px; Ascender = asc; LineHeight = line; FontPath = font;
    }

    /// <summary>Font to use: $RR_FONT, DejaVu Sans at the Debian path, then a few other usual places; null when none exists.</summary>
    public static string FindFont()
    {
        var env = Environment.GetEnvironmentVariable("RR_FONT");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        if (File.Exists(DefaultFont)) return DefaultFont;
        return FallbackFonts.FirstOrDefault(File.Exists);
    }

    /// <summary>Builds the atlas, or returns null with one clear line in <paramref name="error"/> (no font, no FreeType).</summary>
    public static GlyphAtlas TryCreate(int pixelSize, out string error, string fontPath = null)
    {
        if (pixelSize < 4 || pixelSize > 128) throw new ArgumentOutOfRangeException(nameof(pixelSize), pixelSize, "pixel size must be in [4, 128]");
        fontPath ??= FindFont();
        if (fontPath == null || !File.Exists(fontPath))
        {
            error = $"no font for overlay text: {fontPath ?? DefaultFont} is missing (Debian: apt-get install fonts-dejavu-core, or set RR_FONT=path.ttf); text is not drawn";
            return null;
        }
        if (!FreeType.TryLoad(out error)) { error += "; overlay text is not drawn"; return null; }
        try { error = null; return Build(pixelSize, fontPath); }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException)
        {
            error = e.Message + "; overlay text is not drawn";
            return null;
        }
    }

    static GlyphAtlas Build(int px, string fontPath)
    {
        nint lib = FreeType.InitLibrary();
        FreeType.FaceRec* face = null;
        try
        {
            face = FreeType.NewFace(lib, fontPath);
            FreeType.SetPixelSizes(face, px);
            var size = face->Size;
            int asc = (int)((size->Ascender.Value + 63) >> 6);
            int line = (int)((size->Height.Value + 63) >> 6);
            var chars = Enumerable.Range(32, 95).Select(c => (char)c).Concat(Extra).ToArray();

            // Rasterise every glyph into its own buffer first, then pack (width fixed, height grows).
            var bitmaps = new List<(char C, byte[] Data, int W, int H, int Left, int Top, float Adv)>();
            foreach (char c in chars)
            {
                if (FreeType.LoadChar(face, c, FreeType.LOAD_RENDER | FreeType.LOAD_TARGET_LIGHT) != 0) continue;
                var g = face->Glyph;
                var bm = g->Bitmap;
                int w = (int)bm.Width, h = (int)bm.Rows;
                var data = new byte[w * h];
                if (bm.PixelMode == FreeType.PIXEL_MODE_GRAY)
                    for (int r = 0; r < h; r++)
                        new ReadOnlySpan<byte>(bm.Buffer + (long)r * bm.Pitch, w).CopyTo(data.AsSpan(r * w, w));
                bitmaps.Add((c, data, w, h, g->BitmapLeft, g->BitmapTop, g->AdvanceX.Value / 64f));
            }

            const int atlasW = 512;
            int x = 1, y = 1, rowH = 0;
            var places = new (int X, int Y)[bitmaps.Count];
            for (int i = 0; i < bitmaps.Count; i++)
            {
                var b = bitmaps[i];
                if (x + b.W + 1 > atlasW) { x = 1; y += rowH + 1; rowH = 0; }
                places[i] = (x, y);
                x += b.W + 1;
                rowH = Math.Max(rowH, b.H);
            }
            int atlasH = 1;
            while (atlasH < y + rowH + 1) atlasH *= 2;
            var pixels = new byte[atlasW * atlasH];
            var atlas = new GlyphAtlas(atlasW, atlasH, pixels, px, asc, line, fontPath);
            for (int i = 0; i < bitmaps.Count; i++)
            {
                var b = bitmaps[i];
                var (gx, gy) = places[i];
                for (int r = 0; r < b.H; r++) b.Data.AsSpan(r * b.W, b.W).CopyTo(pixels.AsSpan((gy + r) * atlasW + gx, b.W));
                var glyph = new Glyph(gx, gy, b.W, b.H, b.Left, b.Top, b.Adv);
                atlas._glyphs[b.C] = glyph;
                if (b.C < 128) { atlas._ascii[b.C] = glyph; atlas._hasAscii[b.C] = true; }
            }
            return atlas;
        }
        finally
        {
            FreeType.DoneFace(face);
            FreeType.DoneLibrary(lib);
        }
    }

    /// <summary>The glyph for <paramref name="c"/>; '?' for characters not in the atlas. No allocation.</summary>
    public Glyph Get(char c)
    {
        if (c < 128 && _hasAscii[c]) return _ascii[c];
        return _glyphs.TryGetValue(c, out var g) ? g : _ascii['?'];
    }

    public bool Contains(char c) => c < 128 ? _hasAscii[c] : _glyphs.ContainsKey(c);

    /// <summary>Advance width of a string in pixels.</summary>
    public float Measure(ReadOnlySpan<char> text)
    {
        float w = 0;
        foreach (char c in text) w += Get(c).Advance;
        return w;
    }
}
