using System.CommandLine;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr VERB [options]`. Each verb is one file in cli/Verbs/ exposing <c>Command Create()</c>; adding one
/// (rr eval, rr quantize) is that file plus one line in <see cref="Verbs"/>. Errors that reach here are
/// printed as one line (no stack trace) with a non-zero exit: 2 for bad usage, 1 otherwise; RR_DEBUG=1
/// shows the trace.
/// </summary>
public static class Program
{
    static readonly Func<Command>[] Verbs =
    {
        DemoVerb.Create,
        InferVerb.Create,
        CompareVerb.Create,
        BenchVerb.Create,
        BenchOpsVerb.Create,
        BenchTrainVerb.Create,
        TrainVerb.Create,
        QuantizeVerb.Create,
        EvalVerb.Create,
    };

    /// <summary>
    /// Old spellings that name a verb through another verb's flag: `rr infer --compare A,B …` is `rr compare
    /// --compare A,B …` and `rr bench --train …` is `rr bench-train --train …` (the target verbs accept the flag).
    /// </summary>
    static readonly (string Verb, string Flag, string Target)[] FlagVerbs =
    {
        ("infer", "--compare", "compare"),
        ("bench", "--train", "bench-train"),
    };

    /// <summary>Each flag-named verb and its parent are siblings: an option of one given to the other is named as such.</summary>
    static readonly Dictionary<string, (string Verb, string How)> Siblings = FlagVerbs
        .SelectMany(f => new[] { (f.Verb, (f.Target, $"rr {f.Target} (rr {f.Verb} {f.Flag})")), (f.Target, (f.Verb, $"rr {f.Verb} without {f.Flag}")) })
        .ToDictionary(p => p.Item1, p => p.Item2);

    public static Command Root() => Cli.Root(Verbs.Select(v => v()));

    public static int Main(string[] args)
    {
        var root = Root();
        string prefix = args.Length > 0 && root.Subcommands.Any(c => c.Name == args[0]) ? $"rr {args[0]}" : "rr";
        try
        {
            return Cli.Invoke(root, Route(args), Siblings);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"{prefix}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("RR_DEBUG") != "1")
        {
            Console.Error.WriteLine($"{prefix}: error: {Describe(e)}");
            return 1;
        }
    }

    /// <summary>Rewrites a flag-named verb (see <see cref="FlagVerbs"/>) to its own verb.</summary>
    internal static string[] Route(string[] args)
    {
        if (args.Length == 0) return args;
        foreach (var (verb, flag, target) in FlagVerbs)
            if (args[0] == verb && args.Skip(1).Any(a => a == flag || a.StartsWith(flag + "=", StringComparison.Ordinal)))
                return args.Skip(1).Prepend(target).ToArray();
        return args;
    }

    /// <summary>One line: the innermost meaningful message (type initialisers and aggregates unwrapped).</summary>
    public static string Describe(Exception e)
    {
        while (e is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException && e.InnerException != null)
            e = e.InnerException;
        var msg = e.Message.ReplaceLineEndings(" ").Trim();
        return e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or NotSupportedException or InvalidOperationException
            ? msg : $"{msg} ({e.GetType().Name})";
    }
}
