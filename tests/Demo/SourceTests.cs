using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Demo.Sources;

namespace ResNetRealtime.Tests.Demo;

public class SourceTests
{
    [Test]
    public void LatestSlotKeepsTheNewestAndCountsDrops()
    {
        var slot = new LatestFrameSlot(2, 1);
        for (int i = 0; i < 5; i++) { slot.WriteFrame.Sequence = i; slot.Publish(); }
        Assert.That(slot.TryTake(0, out var f), Is.True);
        Assert.That(f.Sequence, Is.EqualTo(4));
        Assert.That(slot.Dropped, Is.EqualTo(4));
        Assert.That(slot.TryTake(0, out _), Is.False, "nothing new since the last take");
        slot.WriteFrame.Sequence = 5; slot.Publish();
        Assert.That(slot.TryTake(0, out f) && f.Sequence == 5, Is.True);
        Assert.That(slot.Dropped, Is.EqualTo(4));
    }

    [Test]
    public void CompleteWakesAWaitingConsumer()
    {
        var slot = new LatestFrameSlot(1, 1);
        var sw = Stopwatch.StartNew();
        ThreadPool.QueueUserWorkItem(_ => { Thread.Sleep(50); slot.Complete("boom"); });
        Assert.That(slot.TryTake(10_000, out _), Is.False);
        Assert.That(sw.ElapsedMilliseconds, Is.LessThan(5000));
        Assert.That(slot.Error, Is.EqualTo("boom"));
    }

    [TestCase("scene", SourceKind.Scene, null)]
    [TestCase("webcam", SourceKind.Webcam, null)]
    [TestCase("webcam:/dev/video2", SourceKind.Webcam, "/dev/video2")]
    [TestCase("video:a.mp4", SourceKind.Video, "a.mp4")]
    [TestCase("image:C:/x.png", SourceKind.Image, "C:/x.png")]
    public void ParsesSourceSpecs(string s, SourceKind kind, string arg)
    {
        var spec = SourceSpec.Parse(s);
        Assert.That((spec.Kind, spec.Argument), Is.EqualTo((kind, arg)));
    }

    [Test]
    public void RejectsUnknownSource() =>
        Assert.That(Assert.Throws<ArgumentException>(() => SourceSpec.Parse("camera")).Message, Does.Contain("'camera'"));

    [Test]
    public void FfmpegTestPatternStandsInForACamera()
    {
        using var src = FfmpegSource.Start(new SourceSpec(SourceKind.Lavfi, "testsrc2=size=160x120:rate=30"), 64, 48);
        var seen = new List<long>();
        for (int i = 0; i < 5; i++)
        {
            Assert.That(src.WaitFrame(5000, out var f), Is.True);
            Assert.That((f.Width, f.Height), Is.EqualTo((64, 48)));
            seen.Add(f.Sequence);
            // testsrc2 is colourful: a real picture has many distinct byte values, a zeroed buffer has one.
            Assert.That(f.Pixels.Distinct().Count(), Is.GreaterThan(20));
            Assert.That(CapturedFrame.MsSince(f.CaptureTimestamp), Is.GreaterThanOrEqualTo(0));
        }
        Assert.That(seen, Is.Ordered.Ascending);
        Assert.That(seen.Distinct().Count(), Is.EqualTo(5));
    }

    [Test]
    public void DyingFfmpegIsReportedNotHung()
    {
        // A graph that ends after ~3 frames: the source must end with ffmpeg's own status, not block.
        using var src = FfmpegSource.Start(new SourceSpec(SourceKind.Lavfi, "testsrc2=size=64x48:rate=30:duration=0.1"), 32, 24);
        int frames = 0;
        var sw = Stopwatch.StartNew();
        try { while (src.WaitFrame(3000, out _)) frames++; }
        catch (InvalidOperationException e) { Assert.That(e.Message, Does.StartWith("source lavfi:")); }
        Assert.That(src.Slot.Completed, Is.True);
        Assert.That(sw.Elapsed.TotalSeconds, Is.LessThan(20));
    }

    [Test]
    public void BadGraphGivesOneClearLine()
    {
        using var src = FfmpegSource.Start(new SourceSpec(SourceKind.Lavfi, "nosuchfilter=foo"), 32, 24);
        var e = Assert.Throws<InvalidOperationException>(() => src.WaitFrame(3000, out _));
        Assert.That(e.Message, Does.StartWith("source lavfi:nosuchfilter=foo: ffmpeg produced no frame"));
        Assert.That(e.Message, Does.Contain("exit code"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void MissingCameraAndMissingFfmpegAreClearErrors()
    {
        if (OperatingSystem.IsLinux())
        {
            var e = Assert.Throws<InvalidOperationException>(() => FfmpegSource.Start(SourceSpec.Parse("webcam:/dev/video97"), 64, 48));
            Assert.That(e.Message, Does.Contain("/dev/video97").And.Contain("no camera"));
        }
        var f = Assert.Throws<FileNotFoundException>(() => FfmpegSource.Start(SourceSpec.Parse("video:/nonexistent.mp4"), 64, 48));
        Assert.That(f.Message, Does.Contain("/nonexistent.mp4"));
        var m = Assert.Throws<InvalidOperationException>(() => FfmpegSource.Start(SourceSpec.Parse("lavfi:testsrc2"), 64, 48, "/nonexistent/ffmpeg"));
        Assert.That(m.Message, Does.Contain("/nonexistent/ffmpeg").And.Contain("install ffmpeg"));
    }
}
