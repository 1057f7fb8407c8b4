using System.Text.RegularExpressions;
using NUnit.Framework;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Examples;

public class EmbeddingExampleTests
{
    /// <summary>The example's body: from the marker line to the end of the method, dedented.</summary>
    static string ExampleBody()
    {
        var src = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "Examples", "EmbeddingExample.cs"));
        int start = Array.FindIndex(src, l => l.Trim() == "// embedding example");
        int end = Array.FindIndex(src, start, l => l == "    }");
        return Normalise(src[start..end]);
    }

    internal static string Normalise(IEnumerable<string> lines)
    {
        var l = lines.ToList();
        int indent = l.Where(s => s.Trim().Length > 0).Min(s => s.Length - s.TrimStart().Length);
        return string.Join("\n", l.Select(s => s.Length >= indent ? s[indent..].TrimEnd() : s.Trim())).Trim();
    }

    [Test]
    public void Example_runs_against_a_small_model()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "embedding");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "tiny.onnx");
        var m = TestModels.PlainCnn(size: 32, classes: 6);
        m.SetMetadata("rr.labels", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]");
        m.Save(path);
        var output = new StringWriter();
        var old = Console.Out;
        Console.SetOut(output);
        try { EmbeddingExample.Run(path, TestModels.Frame(640, 480, 1), 640, 480); }
        finally { Console.SetOut(old); }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(6));
        Assert.That(lines[0], Does.Match(@"^[a-f]: \d"));
        Assert.That(lines[5], Does.StartWith("latency: preprocess"));
        Assert.That(ExampleBody().Split('\n'), Has.Length.LessThanOrEqualTo(15));
    }

    [Test, Category("Readme")]
    public void Readme_block_equals_the_example()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var blocks = Regex.Matches(readme, "```csharp\\s*\\n(.*?)```", RegexOptions.Singleline);
        var block = blocks.Select(b => b.Groups[1].Value).FirstOrDefault(b => b.TrimStart().StartsWith("// embedding example"));
        Assert.That(block, Is.Not.Null, "README.md has no ```csharp block starting with '// embedding example'");
        Assert.That(Normalise(block.Split('\n')), Is.EqualTo(ExampleBody()));
    }
}
