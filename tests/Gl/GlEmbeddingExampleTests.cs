using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Tests.Examples;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>The documentation's gl embedding snippets (README.md or docs/*.md): they equal
/// <see cref="GlEmbeddingExamples"/>, and both hand-over paths run the frame loop in a context that stands in for the host's (our EGL one) and print the classes a synchronous run gives.</summary>
[TestFixture, Category("Gl")]
public unsafe class GlEmbeddingExampleTests
{
    const string Marker = "// gl example:";

    /// <summary>Each example block of the file: from its marker line to the next blank line or the method's end, dedented.</summary>
    static List<string> FileBlocks()
    {
        var src = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "Gl", "GlEmbeddingExamples.cs"));
        var blocks = new List<string>();
        for (int i = 0; i < src.Length; i++)
        {
            if (!src[i].TrimStart().StartsWith(Marker, StringComparison.Ordinal)) continue;
            int end = Array.FindIndex(src, i, l => l.Trim().Length == 0 || l == "    }");
            blocks.Add(ReadmeExamples.Normalise(src[i..end]));
        }
        return blocks;
    }

    [Test, Category("Readme")]
    public void ReadmeBlocksEqualTheExamples()
    {
        var inReadme = ReadmeExamples.CsharpBlocks().Where(b => b.TrimStart().StartsWith(Marker, StringComparison.Ordinal))
            .Select(b => ReadmeExamples.Normalise(b.Split('\n'))).ToList();
        var inFile = FileBlocks();
        Assert.That(inFile, Has.Count.EqualTo(3), "GlEmbeddingExamples.cs: the two hand-overs and the frame loop");
        Assert.That(inReadme, Is.EqualTo(inFile));
    }

    [Test]
    public void BothHandOversRunTheFrameLoopAndPrintTheSynchronousClass()
    {
        var ctx = GlTestContext.Get();
        var gl = ctx.Gl;
        var model = GlTestModels.ResNet(new[] { 1, 1 }, false, 24, classes: 10, cifar: true, stem: 8, seed: 5);
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "gl-embedding.onnx");
        model.Save(path);
        const int w = 13, h = 7; // odd size: the GPU preprocess resizes it to 24×24
        var px = new byte[w * h * 4];
        new Random(3).NextBytes(px);
        uint tex = GlTestContext.RgbaTexture(gl, px, w, h);
        try
        {

            string expect;
            using (var be = GlBackendFactory.Create(model, new BackendOptions(), new GlBackendOptions { Context = ctx }))
            {
                be.RunFromTexture(tex, w, h, new float[be.Classes]);
                expect = $"class {(int)be.TopK[0]}: {be.TopK[1]:P1}";
            }

            using var hostGl = GL.GetApi(name => Egl.GetProcAddress(name)); // what GL.GetApi(window) gives a Silk host
            var silk = Capture(next => GlEmbeddingExamples.SilkHost(hostGl, path, tex, w, h, next));
            var other = Capture(next => GlEmbeddingExamples.OtherHost(name => Egl.GetProcAddress(name), path, tex, w, h, next));
            Assert.That(silk, Has.Count.GreaterThanOrEqualTo(3).And.All.EqualTo(expect), "Silk.NET host");
            Assert.That(other, Has.Count.GreaterThanOrEqualTo(3).And.All.EqualTo(expect), "getProcAddress host");
            Assert.That(hostGl.GetError(), Is.EqualTo(GLEnum.NoError), "the host's GL is left clean");
        }
        finally { gl.DeleteTexture(tex); }
    }

    /// <summary>Runs an example with a frame loop that paces like a host (1 ms per frame) until it printed 3 results
    /// or 20 s passed; returns the printed lines.</summary>
    static List<string> Capture(Action<Func<bool>> example)
    {
        var output = new StringWriter();
        var old = Console.Out;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Console.SetOut(output);
        try
        {
            example(() =>
            {
                Thread.Sleep(1);
                return DateTime.UtcNow < deadline && output.ToString().Count(c => c == '\n') < 3;
            });
        }
        finally { Console.SetOut(old); }
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
    }
}
