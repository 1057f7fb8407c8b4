using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Demo.Sources;

namespace ResNetRealtime.Tests.Demo;

/// <summary>The camera path with ffmpeg's testsrc2 as the camera: aspect ratio kept, capture times from ffmpeg.</summary>
public class CameraPathTests
{
    [TestCase(1280, 720, 640, 480, 640, 360)]   // a 16:9 webcam in the demo's box: letterbox-free 16:9, not 4:3
    [TestCase(320, 180, 640, 480, 320, 180)]    // smaller than the box: native size, never scaled up
    [TestCase(160, 120, 64, 48, 64, 48)]        // 4:3 into 4:3
    [TestCase(480, 640, 640, 480, 360, 480)]    // portrait
    public void Frames_keep_the_source_aspect_ratio(int sw, int sh, int bw, int bh, int ew, int eh)
    {
        using var src = FfmpegSource.Start(new SourceSpec(SourceKind.Lavfi, $"testsrc2=size={sw}x{sh}:rate=30"), bw, bh);
        Assert.That(src.WaitFrame(5000, out var f), Is.True);
        Assert.That((f.Width, f.Height, src.Width, src.Height), Is.EqualTo((ew, eh, ew, eh)), src.CommandLine);
        Assert.That(f.Pixels.Distinct().Count(), Is.GreaterThan(20), "a real picture, not a zeroed buffer");
    }

    [Test]
    public void Fit_uses_the_display_aspect_of_non_square_pixels()
    {
        // 720x576 PAL with 16:15 pixels displays at 768x576 (4:3).
        Assert.That(FfmpegProbe.Fit(720, 576, 16.0 / 15, 640, 480), Is.EqualTo((640, 480)));
        Assert.That(FfmpegProbe.Parse("1280,720,1:1\n"), Is.EqualTo((1280, 720, 1.0)));
        Assert.That(FfmpegProbe.Parse("640,480,N/A"), Is.EqualTo((640, 480, 1.0)));
        Assert.That(FfmpegProbe.Parse(""), Is.Null);
    }

    [Test]
    public void Showinfo_lines_parse_and_others_do_not()
    {
        Assert.That(FfmpegTimestamps.TryParse("[Parsed_showinfo_3 @ 0x55b3fe76af40] n:  12 pts:1796188956311937 pts_time:1.79619e+09 pos: -1", out long n, out long us), Is.True);
        Assert.That((n, us), Is.EqualTo((12L, 1796188956311937L)));
        Assert.That(FfmpegTimestamps.TryParse("[Parsed_showinfo_3 @ 0x5] config in time_base: 1/10", out _, out _), Is.False);
        Assert.That(FfmpegTimestamps.TryParse("Stream #0:0: Video: rawvideo", out _, out _), Is.False);
    }

    [Test]
    public void Capture_time_is_ffmpegs_stamp_not_our_pipe_read()
    {
        // 1280x720 RGB = 2.7 MB a frame, at 10 fps: ffmpeg stamps each frame when it is produced, 100 ms apart.
        using var src = FfmpegSource.Start(new SourceSpec(SourceKind.Lavfi, "testsrc2=size=1280x720:rate=10"), 1280, 720);
        Assert.That(src.TimestampSource, Does.Contain("RTCTIME"));
        var stamps = new List<long>();
        var ages = new List<double>();
        var seqs = new List<long>();
        long lastSeq = -1;
        while (stamps.Count < 12)
        {
            Assert.That(src.WaitFrame(5000, out var f), Is.True);
            if (f.Sequence == lastSeq) continue;
            lastSeq = f.Sequence;
            stamps.Add(f.CaptureTimestamp);
            ages.Add(f.CaptureMs);
            seqs.Add(f.Sequence);
        }
        Assert.That(src.UnstampedFrames, Is.EqualTo(0), "every frame had ffmpeg's timestamp");
        Assert.That(src.StampedFrames, Is.GreaterThanOrEqualTo(12));
        // Produced → in our buffer takes time (scale + 2.7 MB through the pipe): the stamp is before the read ended.
        Assert.That(ages, Has.All.GreaterThan(0.0), "a stamp at the read's end would give 0");
        var gaps = stamps.Zip(stamps.Skip(1), (a, b) => (b - a) * 1000.0 / Stopwatch.Frequency).ToList();
        TestContext.Out.WriteLine($"frame gaps ms: {string.Join(" ", gaps.Select(g => g.ToString("F1")))}; produced→read ms: {string.Join(" ", ages.Select(a => a.ToString("F1")))}");
        Assert.That(gaps, Has.All.GreaterThan(0.0), "ffmpeg's stamps increase frame by frame");
        Assert.That(FramePeriodsAgree(stamps, ages, seqs, out string why), Is.True, why);
    }

    /// <summary>
    /// ffmpeg's stamps must tick at the rate the frames really arrive, whatever the machine's speed: the period between
    /// the first and last frame by ffmpeg's stamps against the same period by our own reads (stamp + produced→read age,
    /// both on this machine's clock). A loaded machine stretches both alike; the reads' period differs from the stamps'
    /// only by the change in age over the run (tens of ms over 11 frames of 100 ms at most), so the two agree within a
    /// factor of 1.5. A stamp in the wrong unit or from another clock is off by orders of magnitude.
    /// (This replaces a fixed 70–130 ms window for the median gap, which a slow enough machine fails.)
    /// </summary>
    internal static bool FramePeriodsAgree(IReadOnlyList<long> stampTicks, IReadOnlyList<double> agesMs, IReadOnlyList<long> sequences, out string why)
    {
        int last = stampTicks.Count - 1;
        double frames = sequences[last] - sequences[0];
        double byStamps = (stampTicks[last] - stampTicks[0]) * 1000.0 / Stopwatch.Frequency / frames;
        double byReads = byStamps + (agesMs[last] - agesMs[0]) / frames;
        double ratio = byStamps / byReads;
        why = $"frame period by ffmpeg's stamps {byStamps:F1} ms, by our reads {byReads:F1} ms (ratio {ratio:F2}, allowed 1/1.5..1.5)";
        return ratio >= 1 / 1.5 && ratio <= 1.5;
    }

    [Test]
    public void A_stamp_in_the_wrong_unit_is_caught_at_any_speed()
    {
        // 11 frames 100 ms apart (fast machine) and 400 ms apart (slow one), reads 5–30 ms after production: both pass.
        long Ms(double ms) => (long)(ms * Stopwatch.Frequency / 1000);
        var seqs = Enumerable.Range(0, 12).Select(i => (long)i).ToList();
        var ages = Enumerable.Range(0, 12).Select(i => 5.0 + i * 25 / 11.0).ToList();
        foreach (double period in new[] { 100.0, 400.0 })
        {
            var stamps = seqs.Select(i => Ms(i * period)).ToList();
            Assert.That(FramePeriodsAgree(stamps, ages, seqs, out var why), Is.True, why);
            // Stamps in microseconds taken for milliseconds' ticks: the reads still see the real period.
            var wrong = stamps.Select(t => t / 1000).ToList();
            var readsAt = seqs.Select(i => i * period + ages[(int)i]).ToList();
            var wrongAges = wrong.Select((t, i) => readsAt[i] - t * 1000.0 / Stopwatch.Frequency).ToList();
            Assert.That(FramePeriodsAgree(wrong, wrongAges, seqs, out why), Is.False, why);
        }
    }
}
