using System.Text.RegularExpressions;

namespace ResNetRealtime.Tests.Examples;

/// <summary>The ```csharp blocks of the documentation (README.md, then docs/*.md): complete programs start with
/// "// example: NAME"; snippets have other markers.</summary>
public static class ReadmeExamples
{
    /// <summary>README.md and every docs/*.md, in a fixed order: the files whose examples are checked.</summary>
    public static IEnumerable<string> DocFiles() =>
        new[] { Path.Combine(RepoPaths.Root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Order(StringComparer.Ordinal));

    public static IEnumerable<(string File, string Block)> CsharpBlocksWithFile() =>
        DocFiles().SelectMany(f => Regex.Matches(File.ReadAllText(f), "```csharp[ \\t]*\\n(.*?)```", RegexOptions.Singleline)
            .Select(m => (Path.GetRelativePath(RepoPaths.Root, f), m.Groups[1].Value)));

    public static IEnumerable<string> CsharpBlocks() => CsharpBlocksWithFile().Select(x => x.Block);

    /// <summary>name → program text of every block whose first line is "// example: NAME". A name used twice is an
    /// error naming both files: the test would otherwise run one copy and let the other rot.</summary>
    public static Dictionary<string, string> Programs()
    {
        var programs = new Dictionary<string, string>();
        var where = new Dictionary<string, string>();
        foreach (var (file, block) in CsharpBlocksWithFile())
        {
            var m = Regex.Match(block, @"\A// example: (\S+)[ \t]*\n");
            if (!m.Success) continue;
            string name = m.Groups[1].Value;
            if (!where.TryAdd(name, file))
                throw new InvalidDataException($"'// example: {name}' is in {where[name]} and again in {file}");
            programs[name] = block;
        }
        return programs;
    }

    /// <summary>Lines dedented by their common indent, trailing blanks trimmed, joined with '\n'.</summary>
    public static string Normalise(IEnumerable<string> lines)
    {
        var l = lines.ToList();
        int indent = l.Where(s => s.Trim().Length > 0).Min(s => s.Length - s.TrimStart().Length);
        return string.Join("\n", l.Select(s => s.Length >= indent ? s[indent..].TrimEnd() : s.Trim())).Trim();
    }
}
