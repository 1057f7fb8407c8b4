using NUnit.Framework;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Tools.Imaging;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>Windows-facing error text, checked on any platform: ORT's DirectML failures keep their HRESULT whole, a
/// missing or wrong DirectML.dll is one line naming the file and version, ffmpeg's start failures say where it was looked
/// for. (The same texts under Wine: tests/wine/check-selfcheck.sh.)</summary>
[TestFixture]
public class WindowsTextTests
{
    // What ONNX Runtime 1.30.0's DirectML EP threw under Wine without a display (recorded 2026-12-06).
    const string DxgiFailure = @"[ErrorCode:RuntimeException] N:\_work\1\s\onnxruntime\core\providers\dml\dml_provider_factory.cc(512)\onnxruntime.dll!0000000020FBCBD0: (caller: 0000000020FBCF0A) Exception(1) tid(24) 887A0004 ";

    [Test]
    public void A_directml_failure_keeps_its_hresult_whole_and_named()
    {
        string s = OrtLog.Short(DxgiFailure);
        Assert.That(s, Does.StartWith("HRESULT 0x887A0004 (DXGI_ERROR_UNSUPPORTED"), s);
        Assert.That(s, Does.Contain("at dml_provider_factory.cc(512)"), s);
        Assert.That(s.All(c => c < 128 || c == '…' || c == '—'), Is.True, s);
        string withText = OrtLog.Short(DxgiFailure + "The parameter is incorrect.");
        Assert.That(withText, Does.EndWith(": The parameter is incorrect."), withText);
    }

    [Test]
    public void A_long_message_is_cut_between_words_never_inside_a_code()
    {
        string code = "0x887A0004";
        string msg = string.Join(" ", Enumerable.Repeat("word", 47)) + " " + code + " " + string.Join(" ", Enumerable.Repeat("tail", 40));
        for (int shift = 0; shift < 12; shift++)
        {
            string m = new string('x', shift) + " " + msg;
            string s = OrtLog.Short(m);
            Assert.That(s, Does.Contain(code).Or.Not.Contain("0x887"), s);   // whole, or not at all
            Assert.That(s, Does.Contain("RR_DEBUG=1"));
        }
    }

    [Test]
    public void A_missing_or_foreign_directml_dll_is_one_line_naming_file_and_version()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "dml-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            Assert.That(OrtProviders.DirectMLProblem(dir, out var missing), Is.True);
            Assert.That(missing, Does.Contain("DirectML.dll is missing").And.Contain(dir).And.Contain("1.15.4"), missing);
            File.WriteAllText(Path.Combine(dir, "DirectML.dll"), "not a PE file");
            Assert.That(OrtProviders.DirectMLProblem(dir, out var foreign), Is.True);
            Assert.That(foreign, Does.Contain("of no version").And.Contain("needs 1.15.x"), foreign);
            Assert.That(missing + foreign, Does.Not.Contain("\n"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Ffmpeg_is_looked_for_beside_the_app_then_on_path_and_a_failed_start_says_so()
    {
        Assert.That(FfmpegLocator.Find("no-such-tool-rr"), Is.EqualTo("no-such-tool-rr"), "not beside the app: the bare name, for PATH");
        var notFound = new System.ComponentModel.Win32Exception(2);
        Assert.That(FfmpegLocator.StartFailure("ffmpeg", notFound), Does.Contain("'ffmpeg' was not found beside").And.Contain("or on PATH"));
        Assert.That(FfmpegLocator.StartFailure("/x/ffmpeg", notFound), Does.Contain("'/x/ffmpeg' was not found;"));
        var denied = new System.ComponentModel.Win32Exception(13);
        Assert.That(FfmpegLocator.StartFailure("/x/ffmpeg", denied), Does.Contain("could not be started").And.Contain("error 13"));
        Assert.That(FfmpegLocator.InstallHint, OperatingSystem.IsWindows() ? Does.Contain("ffmpeg.exe beside rr.exe") : Does.Not.Contain(".exe"));
    }
}

/// <summary>A camera that is not there: ffmpeg's cause leads, not its "I/O error" consequence (what dshow printed under
/// Wine and what it prints for a wrong name on Windows).</summary>
[TestFixture]
public class FfmpegStderrTests
{
    [Test]
    public void The_cause_leads_and_the_device_prefix_goes()
    {
        string wine = ResNetRealtime.Demo.Sources.FfmpegSource.DescribeStderr(new[]
            { "[dshow @ 0000000000cb3500] Could not enumerate video devices (or none found).", "video=No Such Camera: I/O error" }, webcam: true);
        Assert.That(wine, Does.StartWith("Could not enumerate video devices (or none found). (video=No Such Camera: I/O error)"), wine);
        string windows = ResNetRealtime.Demo.Sources.FfmpegSource.DescribeStderr(new[]
            { "[dshow @ 000001] Could not find video device with name [Nope] among source devices of type video.", "video=Nope: I/O error" }, webcam: true);
        Assert.That(windows, Does.StartWith("Could not find video device with name [Nope]"), windows);
        if (OperatingSystem.IsWindows()) Assert.That(windows, Does.Contain("-list_devices true -f dshow"));
        Assert.That(ResNetRealtime.Demo.Sources.FfmpegSource.DescribeStderr(new[] { "[png @ 0x1] Invalid PNG signature" }, webcam: false),
                    Is.EqualTo("Invalid PNG signature"));
        Assert.That(ResNetRealtime.Demo.Sources.FfmpegSource.DescribeStderr(Array.Empty<string>(), webcam: true), Is.Null);
    }
}
