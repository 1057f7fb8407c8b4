using System.Diagnostics;
using NUnit.Framework;
using ResNetRealtime.Runtime.Realtime;
using ResNetRealtime.Runtime.Inference;
using ResNetRealtime.Tools.Pretrained;
using ResNetRealtime.Tests.Cli;

namespace ResNetRealtime.Tests.Pretrained;

/// <summary>`pretrained:resnet18` where a model path goes: rr infer, rr bench --models, the API; offline, one line.</summary>
public class PretrainedCliTests
{
    /// <summary>Runs with the environment variables set (the fixture's cache, or an offline setup), then restores them.</summary>
    static T WithEnv<T>(Dictionary<string, string> env, Func<T> f)
    {
        var old = env.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try { foreach (var (k, v) in env) Environment.SetEnvironmentVariable(k, v); return f(); }
        finally { foreach (var (k, v) in old) Environment.SetEnvironmentVariable(k, v); }
    }

    static Dictionary<string, string> FixtureCache() => new() { [PretrainedCache.CacheEnv] = PretrainedFixture.CacheDir };

    static string TestPng()
    {
        string png = Path.Combine(Path.GetTempPath(), $"rr-pretrained-{Environment.ProcessId}.png");
        if (File.Exists(png)) return png;
        var r = ChildProcess.Run("ffmpeg", new[] { "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", png }, TimeSpan.FromSeconds(20));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(File.Exists(png), "ffmpeg made the test picture");
        return png;
    }

    [Test]
    public void Infer_and_the_api_take_the_name()
    {
        PretrainedFixture.Require();
        var (code, stdout, stderr) = WithEnv(FixtureCache(), () => CliRunner.Run("infer", "--model", "pretrained:resnet18", "--input", TestPng(), "--topk", "2"));
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("blocks [2,2,2,3]").And.Contain("512 features"));
        // The plugin takes paths only (it restores no package in a host's process); a tool resolves the name first.
        string path = WithEnv(FixtureCache(), () => ModelSource.Resolve("pretrained:resnet18"));
        using var clf = Classifier.Create(path);
        Assert.That(clf.IsFeatureExtractor, Is.True);
        using var rt = RealtimeClassifier.Create(path, new RealtimeOptions { Backend = Backend.OrtCpu, Threads = 1 });
        Assert.That(rt.Backend, Is.EqualTo(Backend.OrtCpu));
    }

    [Test]
    public void Bench_takes_the_name_for_depth_18_only()
    {
        PretrainedFixture.Require();
        var (code, _, stderr) = WithEnv(FixtureCache(), () => CliRunner.Run("bench", "--models", "pretrained:resnet18", "--depths", "18,34", "--frames", "1"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("pass --depths 18 (got 18,34)"));
    }

    [Test]
    public void Offline_the_cli_says_what_to_fetch_in_one_line()
    {
        string empty = Path.Combine(Path.GetTempPath(), $"rr-pretrained-offline-{Environment.ProcessId}");
        Directory.CreateDirectory(empty);
        try
        {
            var env = new Dictionary<string, string>
            {
                [PretrainedCache.CacheEnv] = Path.Combine(empty, "cache"), ["NUGET_PACKAGES"] = Path.Combine(empty, "nuget"),
                [PretrainedPackage.NoRestoreEnv] = "1", [PretrainedPackage.PackageEnv] = null,
            };
            var (code, _, stderr) = WithEnv(env, () => CliRunner.Run("infer", "--model", "pretrained:resnet18", "--input", TestPng()));
            Assert.That(code, Is.Not.EqualTo(0));
            var lines = stderr.Trim().Split('\n');
            Assert.That(lines.Last(), Does.Contain(PretrainedPackage.PackageId).And.Contain(PretrainedPackage.PackageEnv), stderr);
            Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        }
        finally { Directory.Delete(empty, recursive: true); }
    }
}
