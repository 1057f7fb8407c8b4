using NUnit.Framework;
using ResNetRealtime.Demo.Render;
using ResNetRealtime.Demo.Text;

namespace ResNetRealtime.Tests.Demo;

public class TextTests
{
    [Test]
    public void FreeTypeRendersDejaVuGlyphs()
    {
        var atlas = GlyphAtlas.TryCreate(16, out var error);
        Assert.That(atlas, Is.Not.Null, error);
        Assert.That(atlas.FontPath, Does.EndWith(".ttf"));
        foreach (char c in "Ag%µ→")
        {
            Assert.That(atlas.Contains(c), Is.True, $"'{c}' missing from the atlas");
            var g = atlas.Get(c);
            Assert.That(g.Width, Is.GreaterThan(0), $"'{c}' has an empty bitmap");
            Assert.That(g.Height, Is.GreaterThan(0));
            long ink = 0;
            for (int y = 0; y < g.Height; y++) for (int x = 0; x < g.Width; x++) ink += atlas.Pixels[(g.Y + y) * atlas.Width + g.X + x];
            Assert.That(ink, Is.GreaterThan(255 * 5), $"'{c}' has almost no coverage");
        }
        // A descender goes below the baseline, a capital does not: the metrics are real, not placeholder boxes.
        Assert.That(atlas.Get('g').Height - atlas.Get('g').Top, Is.GreaterThan(0));
        Assert.That(atlas.Get('A').Height - atlas.Get('A').Top, Is.LessThanOrEqualTo(1));
        Assert.That(atlas.Get(' ').Advance, Is.GreaterThan(0));
        Assert.That(atlas.Measure("WW"), Is.GreaterThan(atlas.Measure("ii")));
    }

    [Test]
    public void MissingFontGivesOneClearLine()
    {
        var atlas = GlyphAtlas.TryCreate(16, out var error, "/nonexistent/font.ttf");
        Assert.That(atlas, Is.Null);
        Assert.That(error, Does.Contain("/nonexistent/font.ttf").And.Contain("fonts-dejavu-core"));
        Assert.That(error, Does.Not.Contain("\n"));
    }

    [Test]
    public void TextLineFormatsWithoutAllocating()
    {
        var line = new TextLine(64);
        line.Clear().Append("p50 ").Append(12.345, "F2").Append(" n=").Append(7);
        Assert.That(line.ToString(), Is.EqualTo("p50 12.35 n=7"));
        int i = 0;
        Assert.That(SteadyState.BytesPerWindow(() => { line.Clear().Append("x ").Append(i * 0.5, "F1").Append(i); i++; }), Is.EqualTo(0));
    }
}
