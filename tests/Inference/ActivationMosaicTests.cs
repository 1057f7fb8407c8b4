using NUnit.Framework;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Tests.Inference;

public class ActivationMosaicTests
{
    [Test]
    public void GridIsSquareIshOverTheShownChannels()
    {
        Assert.That(ActivationMosaic.Grid(64, 16), Is.EqualTo((16, 4, 4)));
        Assert.That(ActivationMosaic.Grid(3, 16), Is.EqualTo((3, 2, 2)));
        Assert.That(ActivationMosaic.Grid(7, 0), Is.EqualTo((7, 3, 3)));
        Assert.That(ActivationMosaic.Grid(1, 16), Is.EqualTo((1, 1, 1)));
        Assert.That(Assert.Throws<ArgumentException>(() => ActivationMosaic.Grid(0, 16)).Message, Does.Contain("got 0"));
    }

    [Test]
    public void EachChannelIsScaledToItsOwnRangeAndEmptyTilesAreZero()
    {
        // 3 channels of 2x3: a ramp, a flat channel (→ 0) and a negative one; grid 2x2, last tile empty.
        float[] f = { 0, 1, 2, 3, 4, 5,   7, 7, 7, 7, 7, 7,   -2, -1, -2, -1, -2, 0 };
        var img = new float[6 * 4];
        Assert.That(ActivationMosaic.Render(f, 3, 2, 3, 0, img), Is.EqualTo((6, 4)));
        float[] expect =
        {
            0.0f, 0.2f, 0.4f,   0, 0, 0,
            0.6f, 0.8f, 1.0f,   0, 0, 0,
            0, 0.5f, 0,         0, 0, 0,
            0.5f, 0, 1,         0, 0, 0,
        };
        Assert.That(img, Is.EqualTo(expect).Within(1e-6f));
        var ex = Assert.Throws<ArgumentException>(() => ActivationMosaic.Render(f, 3, 2, 3, 0, new float[10]));
        Assert.That(ex.Message, Does.Contain("10 floats").And.Contain("6x4"));
        ex = Assert.Throws<ArgumentException>(() => ActivationMosaic.Render(f.AsSpan(0, 12), 3, 2, 3, 0, img));
        Assert.That(ex.Message, Does.Contain("12 floats").And.Contain("[3, 2, 3]"));
    }
}
