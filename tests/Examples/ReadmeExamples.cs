using System.Text.RegularExpressions;

namespace ResNetRealtime.Tests.Examples;

/// <summary>The ```csharp blocks of README.md: complete programs start with "// example: NAME"; snippets have other markers.</summary>
public static class ReadmeExamples
{
    public static IEnumerable<string> CsharpBlocks() =>
        Regex.Matches(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")), "```csharp[ \\t]*\\n(.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value);

    /// <summary>name → program text of every block whose first line is "// example: NAME".</summary>
    public static Dictionary<string, string> Programs() =>
        CsharpBlocks().Select(b => (m: Regex.Match(b, @"\A// example: (\S+)[ \t]*\n"), b))
            .Where(x => x.m.Success)
            .ToDictionary(x => x.m.Groups[1].Value, x => x.b);

    /// <summary>Lines dedented by their common indent, trailing blanks trimmed, joined with '\n'.</summary>
    public static string Normalise(IEnumerable<string> lines)
    {
        var l = lines.ToList();
        int indent = l.Where(s => s.Trim().Length > 0).Min(s => s.Length - s.TrimStart().Length);
        return string.Join("\n", l.Select(s => s.Length >= indent ? s[indent..].TrimEnd() : s.Trim())).Trim();
    }
}
