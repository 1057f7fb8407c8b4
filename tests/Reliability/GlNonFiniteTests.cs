using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Tests.Gl;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>Issue 12: gl printed "pyramid 78.1%" for an all-NaN input; it must refuse it as ORT does.</summary>
[TestFixture, Category("Gl")]
public class GlNonFiniteTests
{
    [Test]
    public void GlRejectsNanInputLikeOrt()
    {
        var m = TestModels.PlainCnn(size: 16, classes: 5, seed: 3);
        using var gl = GlBackendFactory.Create(m, new BackendOptions(), new GlBackendOptions { Context = GlTestContext.Get() });
        using var ort = BackendFactory.Create(Backend.OrtCpu, m);
        var x = new float[3 * 16 * 16];
        Array.Fill(x, float.NaN);
        var eg = Assert.Throws<ArgumentException>(() => gl.Run(x, 1, new float[5]));
        var eo = Assert.Throws<ArgumentException>(() => ort.Run(x, 1, new float[5]));
        Assert.That(eg.Message, Is.EqualTo(eo.Message).And.Contain("element 0 of 768 is NaN"));
    }
}
