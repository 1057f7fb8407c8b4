using System.Text.RegularExpressions;
using NUnit.Framework;

namespace ResNetRealtime.Tests.Examples;

/// <summary>The documentation stays true to the code it describes: the README's verb table lists exactly the verbs
/// `rr --help` registers (plus the launcher's own `test`), and every relative link of README.md and docs/*.md reaches
/// a file, and a heading when it names one.</summary>
[TestFixture, Category("Readme")]
public class DocsTests
{
    [Test]
    public void Readme_verb_table_lists_every_verb_of_rr_help()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var inTable = Regex.Matches(readme, @"^\| `rr ([a-z-]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var registered = ResNetRealtime.Cli.Program.Root().Subcommands.Select(c => c.Name).Append("test").ToList();
        Assert.That(inTable, Is.Unique, "README verb table: a verb twice");
        Assert.That(inTable, Is.EquivalentTo(registered),
            $"README verb table has [{string.Join(", ", inTable)}]; rr --help and ./rr register [{string.Join(", ", registered)}]");
    }

    [Test]
    public void Every_relative_link_of_the_docs_resolves()
    {
        var broken = new List<string>();
        foreach (var file in ReadmeExamples.DocFiles())
        {
            // Code blocks hold commands and programs, not links.
            var text = Regex.Replace(File.ReadAllText(file), "```.*?```", "", RegexOptions.Singleline);
            foreach (Match m in Regex.Matches(text, @"\]\(([^)\s]+)\)"))
            {
                string url = m.Groups[1].Value;
                if (Regex.IsMatch(url, "^[a-z]+:", RegexOptions.IgnoreCase)) continue; // http(s), mailto
                int hash = url.IndexOf('#');
                string path = hash < 0 ? url : url[..hash], anchor = hash < 0 ? null : url[(hash + 1)..];
                string target = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file), path));
                string where = $"{Path.GetRelativePath(RepoPaths.Root, file)}: ({url})";
                if (!File.Exists(target) && !Directory.Exists(target)) broken.Add($"{where} → no {Path.GetRelativePath(RepoPaths.Root, target)}");
                else if (anchor != null && target.EndsWith(".md", StringComparison.Ordinal) && !Anchors(target).Contains(anchor))
                    broken.Add($"{where} → no heading #{anchor} in {Path.GetRelativePath(RepoPaths.Root, target)}");
            }
        }
        Assert.That(broken, Is.Empty, string.Join("\n", broken));
    }

    /// <summary>The anchors GitHub gives a Markdown file's headings: lower case, punctuation other than '-' and '_'
    /// dropped, spaces to '-'.</summary>
    static HashSet<string> Anchors(string path) =>
        File.ReadLines(path).Select(l => Regex.Match(l, @"^#+\s+(.*)$")).Where(m => m.Success)
            .Select(m => Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), @"[^\w\- ]", "").Replace(' ', '-'))
            .ToHashSet();
}
