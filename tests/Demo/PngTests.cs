using NUnit.Framework;
using ResNetRealtime.Demo.Imaging;

namespace ResNetRealtime.Tests.Demo;

public class PngTests
{
    [Test]
    public void Crc32MatchesTheStandardCheckValue() =>
        Assert.That(Crc32.Compute(0, "123456789"u8), Is.EqualTo(0xCBF43926u)); // the CRC-32/ISO-HDLC check value

    static byte[] Pattern(int w, int h, int ch, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[w * h * ch];
        // Half smooth gradient, half noise: exercises both the Sub and the None filter choice.
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < ch; c++)
                    px[(y * w + x) * ch + c] = y < h / 2 ? (byte)(x * 3 + y * 5 + c * 40) : (byte)rng.Next(256);
        return px;
    }

    [TestCase(1, 1, 3)]
    [TestCase(7, 13, 3)]
    [TestCase(127, 5, 3)]
    [TestCase(13, 7, 4)]
    public void RoundTripsThroughFfmpegAndOwnDecoder(int w, int h, int ch)
    {
        var dir = DemoTestUtil.TempDir($"png-{w}x{h}x{ch}");
        var px = Pattern(w, h, ch, w * 31 + h);
        var path = Path.Combine(dir, "p.png");
        Png.WriteFile(path, px, w, h, ch);

        var own = Png.ReadFile(path);
        Assert.That((own.Width, own.Height, own.Channels), Is.EqualTo((w, h, ch)));
        Assert.That(own.Pixels, Is.EqualTo(px));

        var rgb = DemoTestUtil.FfmpegDecodeRgb(path, w, h);
        for (int i = 0; i < w * h; i++)
            for (int c = 0; c < 3; c++)
                if (rgb[i * 3 + c] != px[i * ch + c]) Assert.Fail($"pixel {i} channel {c}: ffmpeg decoded {rgb[i * 3 + c]}, wrote {px[i * ch + c]}");
    }

    [Test]
    public void BottomUpRowsAreFlipped()
    {
        var px = new byte[] { 1, 2, 3, 4, 5, 6 }; // 1x2 RGB: bottom row first
        var ms = new MemoryStream();
        Png.Write(ms, px, 1, 2, 3, bottomUp: true);
        ms.Position = 0;
        Assert.That(Png.Read(ms).Pixels, Is.EqualTo(new byte[] { 4, 5, 6, 1, 2, 3 }));
    }

    [Test]
    public void RejectsBadArgumentsAndCorruptFiles()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.Write(new MemoryStream(), new byte[5], 2, 1, 3));
        Assert.That(e.Message, Does.Contain("5 bytes"));
        Assert.Throws<ArgumentException>(() => Png.Write(new MemoryStream(), new byte[8], 2, 1, 2));
        var ms = new MemoryStream();
        Png.Write(ms, new byte[12], 2, 2, 3);
        var bytes = ms.ToArray();
        bytes[20] ^= 0xFF; // inside IHDR: its CRC no longer matches
        var ex = Assert.Throws<InvalidDataException>(() => Png.Read(new MemoryStream(bytes)));
        Assert.That(ex.Message, Does.Contain("CRC"));
    }
}
