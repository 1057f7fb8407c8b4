using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using NUnit.Framework;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Tests.Api;

/// <summary>The plugin's public surface as a host sees it: the types a compiler lets a host name, read from the built
/// runtime assembly's metadata (nested types included), against the type set that runtime/PublicAPI.*.txt declares.
/// The PublicAPI analyzer already fails the build when a member changes unrecorded; this test says what the surface is
/// in one number and one list, and catches the two drifting apart (a PublicAPI file edited by hand, a type made public
/// by a generator the analyzer does not see).</summary>
[TestFixture]
public class PublicSurfaceTests
{
    static string RuntimeAssembly => typeof(RealtimeClassifier).Assembly.Location;

    /// <summary>Full names (nested as Outer.Inner, generic arity kept as `N) of the types a host can name: public
    /// top-level types, and nested types that are public (or protected, which a host can reach by deriving) inside a
    /// visible type.</summary>
    internal static SortedSet<string> VisibleTypes(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var handle in md.TypeDefinitions)
            // Names with '<' are the compiler's (a fixed buffer's nested struct): no host can write them, and the
            // PublicAPI analyzer does not list them.
            if (Name(md, handle) is { } name && !name.Contains('<')) names.Add(name);
        return names;
    }

    /// <summary>The visible name of a type, or null when a host cannot see it.</summary>
    static string Name(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        var own = md.GetString(type.Name);
        if (!type.IsNested)
        {
            if (visibility != TypeAttributes.Public) return null;
            var ns = md.GetString(type.Namespace);
            return ns.Length == 0 ? own : ns + "." + own;
        }
        if (visibility is not (TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem))
            return null;
        var outer = Name(md, type.GetDeclaringType());
        return outer == null ? null : outer + "." + own;
    }

    /// <summary>The types the PublicAPI files declare: the lines that name a type have no "->" (every member line does).
    /// Generic types are written there as Name&lt;T&gt;; metadata writes Name`1.</summary>
    internal static SortedSet<string> DeclaredTypes()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
        {
            var path = Path.Combine(RepoPaths.Root, "runtime", file);
            Assert.That(File.Exists(path), Is.True, $"missing {path}");
            foreach (var raw in File.ReadAllLines(path))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#') || line.Contains("->")) continue;
                line = line.TrimStart('~');
                foreach (var modifier in new[] { "static ", "abstract ", "sealed ", "readonly ", "virtual " })
                    if (line.StartsWith(modifier, StringComparison.Ordinal)) line = line[modifier.Length..];
                names.Add(Arity(line));
            }
        }
        return names;
    }

    static string Arity(string name)
    {
        var open = name.IndexOf('<');
        if (open < 0) return name;
        var args = name[(open + 1)..name.LastIndexOf('>')].Split(',').Length;
        return name[..open] + "`" + args;
    }

    [Test]
    public void Public_types_are_the_ones_the_PublicAPI_files_declare()
    {
        var visible = VisibleTypes(RuntimeAssembly);
        TestContext.Progress.WriteLine($"{visible.Count} public types in {RuntimeAssembly}:");
        foreach (var name in visible) TestContext.Progress.WriteLine("  " + name);
        var declared = DeclaredTypes();
        Assert.Multiple(() =>
        {
            Assert.That(visible.Except(declared), Is.Empty, "public in the assembly, not in runtime/PublicAPI.*.txt");
            Assert.That(declared.Except(visible), Is.Empty, "in runtime/PublicAPI.*.txt, not public in the assembly");
        });
    }
}
