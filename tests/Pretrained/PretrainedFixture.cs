using NUnit.Framework;
using ResNetRealtime.Tools.Pretrained;
using ResNetRealtime.Runtime.Onnx;

namespace ResNetRealtime.Tests.Pretrained;

/// <summary>
/// The real package, restored on first use (63 MB; the tests need it), converted once per test run into a
/// private cache folder. Tests that need it call <see cref="Require"/>: offline it skips with the
/// one-line reason the user would see; any other failure fails.
/// </summary>
static class PretrainedFixture
{
    /// <summary>The run's private cache folder (RR_PRETRAINED_CACHE for CLI tests); removed after the run.</summary>
    public static readonly string CacheDir = Path.Combine(Path.GetTempPath(), $"rr-pretrained-tests-{Environment.ProcessId}");

    static readonly Lazy<(PretrainedFiles files, string converted, string error)> State = new(() =>
    {
        try
        {
            var files = new PretrainedPackage().Locate();
            string converted = new PretrainedCache(CacheDir).Get();
            return (files, converted, null);
        }
        catch (PretrainedUnavailableException e) { return (null, null, e.Message); }
    });

    public static (PretrainedFiles files, string converted) Require()
    {
        var s = State.Value;
        if (s.error != null) Assert.Ignore($"offline: {s.error}");
        return (s.files, s.converted);
    }

    /// <summary>
    /// The original pipeline as ML.NET runs it: ResNetPreprocess.onnx (RGB 0..255 → BGR − mean image)
    /// chained in front of ResNet18.onnx, one graph with input "OriginalInput" and output [1,512,1,1].
    /// </summary>
    public static OnnxModel OriginalChain(PretrainedFiles files)
    {
        var prep = OnnxModel.Load(files.Preprocess);
        var net = OnnxModel.Load(files.Network);
        string netIn = net.Graph.RealInputs()[0].Name, prepOut = prep.Graph.Outputs[0].Name;
        foreach (var n in net.Graph.Nodes)
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == netIn) n.Inputs[i] = prepOut;
        var g = net.Graph;
        g.Nodes.InsertRange(0, prep.Graph.Nodes);
        g.Initializers.AddRange(prep.Graph.Initializers);
        // IR 3 lists weights as inputs too; the chain declares only the image input (IR 7 allows that).
        g.Inputs = [prep.Graph.RealInputs()[0]];
        net.IrVersion = 7;
        return net;
    }

    /// <summary>A 224×224 RGB24 test picture: smooth gradients, a few discs and a little noise (seeded), so
    /// every stage of the network sees edges and texture, not a constant.</summary>
    public static byte[] Picture(int seed)
    {
        const int s = 224;
        var rng = new Random(seed);
        var discs = Enumerable.Range(0, 6).Select(_ => (x: rng.Next(s), y: rng.Next(s), r: 10 + rng.Next(50), c: new[] { rng.Next(256), rng.Next(256), rng.Next(256) })).ToArray();
        var px = new byte[s * s * 3];
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                int[] v = [x * 255 / s, y * 255 / s, (x + y) * 127 / s];
                foreach (var d in discs)
                    if ((x - d.x) * (x - d.x) + (y - d.y) * (y - d.y) < d.r * d.r) v = [.. d.c];
                for (int c = 0; c < 3; c++) px[(y * s + x) * 3 + c] = (byte)Math.Clamp(v[c] + rng.Next(-12, 13), 0, 255);
            }
        return px;
    }
}

/// <summary>Removes the run's converted model (45 MB) when the namespace's tests are done.</summary>
[SetUpFixture]
public class PretrainedCleanup
{
    [OneTimeTearDown]
    public void RemoveCache()
    {
        try { if (Directory.Exists(PretrainedFixture.CacheDir)) Directory.Delete(PretrainedFixture.CacheDir, recursive: true); }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
