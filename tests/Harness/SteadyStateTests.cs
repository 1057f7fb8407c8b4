using NUnit.Framework;

namespace ResNetRealtime.Tests.Harness;

/// <summary>The allocation meter the hot-path tests rely on must see an allocation that is rarer than one per window.</summary>
public class SteadyStateTests
{
    [Test]
    public void An_allocation_every_25th_call_is_seen()
    {
        // With 20 calls a window, a minimum over windows found a window without the 25th call and reported 0.
        int i = 0;
        object keep = null;
        long bytes = SteadyState.BytesPerWindow(() => { if (++i % 25 == 0) keep = new byte[100]; });
        GC.KeepAlive(keep);
        Assert.That(bytes, Is.GreaterThan(0));
    }

    [Test]
    public void A_path_that_allocates_nothing_measures_zero()
    {
        var buf = new int[16];
        int i = 0;
        Assert.That(SteadyState.BytesPerWindow(() => buf[i++ % 16]++), Is.EqualTo(0));
    }
}
