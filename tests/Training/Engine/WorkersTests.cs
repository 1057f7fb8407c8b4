using NUnit.Framework;
using ResNetRealtime.Training.Kernels;

namespace ResNetRealtime.Tests.Training;

[TestFixture]
public class WorkersTests
{
    /// <summary>Ops alternate between few and many parts; a worker woken late for one op must never run a
    /// part of the next one twice (or skip one). 2000 ops with part counts 1..37, every part counted.</summary>
    [Test]
    public void EveryPartRunsExactlyOnceAcrossVaryingPartCounts([Values(2, 3)] int threads)
    {
        int saved = Workers.Threads;
        Workers.Threads = threads;
        try
        {
            var rng = new Random(threads);
            for (int op = 0; op < 2000; op++)
            {
                int parts = 1 + rng.Next(37);
                var hits = new int[parts];
                Workers.For(parts, p => Interlocked.Increment(ref hits[p]));
                for (int p = 0; p < parts; p++)
                    Assert.That(hits[p], Is.EqualTo(1), $"op {op}: part {p} of {parts} ran {hits[p]} times");
            }
        }
        finally { Workers.Threads = saved; }
    }

    [Test]
    public void ExceptionInAPartReachesTheCallerAndThePoolKeepsWorking()
    {
        int saved = Workers.Threads;
        Workers.Threads = 2;
        try
        {
            var e = Assert.Throws<AggregateException>(() => Workers.For(8, p => { if (p == 5) throw new InvalidOperationException("part 5"); }));
            Assert.That(e.InnerException.Message, Is.EqualTo("part 5"));
            int sum = 0;
            Workers.For(8, p => Interlocked.Add(ref sum, p));
            Assert.That(sum, Is.EqualTo(28));
        }
        finally { Workers.Threads = saved; }
    }

    [Test]
    public void PartsIsOnePerThreadCountAndBoundedByItems()
    {
        int saved = Workers.Threads;
        try
        {
            Workers.Threads = 1;
            Assert.That(Workers.Parts(100), Is.EqualTo(1));
            Workers.Threads = 2;
            Assert.That(Workers.Parts(100), Is.EqualTo(8));
            Assert.That(Workers.Parts(3), Is.EqualTo(3));
            Assert.That(Workers.Parts(100, 2), Is.EqualTo(4));
            Assert.That(Workers.Parts(0), Is.EqualTo(1));
        }
        finally { Workers.Threads = saved; }
    }
}
