using System.CommandLine;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr VERB [options]`. Each verb is one file in cli/Verbs/ exposing <c>Command Create()</c>; adding one
/// (rr eval, rr quantize) is that file plus one line in <see cref="Verbs"/>. Errors that reach here are
/// printed as one line (no stack trace) with a non-zero exit: 2 for bad usage, 1 otherwise; RR_DEBUG=1
/// prints the exception with its stack trace and still exits 1 (the same on Windows, where an unhandled exception would
/// reach the crash handler). Output is UTF-8 on every platform.
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
        BenchHostVerb.Create,
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
        // Windows consoles default to the OEM/ANSI code page: "—" arrived as byte 0x97. UTF-8 output (code page 65001),
        // as Linux and macOS already have. Redirected output (tests) keeps its writer.
        if (OperatingSystem.IsWindows()) Console.OutputEncoding = new System.Text.UTF8Encoding(false);
        // An exception on another thread would end the process through the OS's crash path (Wine: its debugger, exit 0
        // or a hang): print it like any error and exit 1.
        if (Interlocked.Exchange(ref _crashHandler, 1) == 0) AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            Console.Error.WriteLine(Debug ? $"rr: error: {e.ExceptionObject}" : $"rr: error: {Describe(e.ExceptionObject as Exception ?? new Exception(e.ExceptionObject?.ToString()))}");
            Console.Error.Flush();
            Environment.Exit(1);
        };
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
        catch (Exception e)
        {
            // RR_DEBUG=1: the whole exception with its stack trace, printed here rather than left unhandled (which on
            // Windows and Wine goes to the crash handler or debugger instead of stderr and a non-zero exit).
            Console.Error.WriteLine(Debug ? $"{prefix}: error: {e}" : $"{prefix}: error: {Describe(e)}");
            return 1;
        }
    }

    static int _crashHandler;

    static bool Debug => Environment.GetEnvironmentVariable("RR_DEBUG") == "1";

    /// <summary>Rewrites a flag-named verb (see <see cref="FlagVerbs"/>) to its own verb.</summary>
    internal static string[] Route(string[] args)
    {
        if (args.Length == 0) return args;
        foreach (var (verb, flag, target) in FlagVerbs)
            if (args[0] == verb && args.Skip(1).Any(a => a == flag || a.StartsWith(flag + "=", StringComparison.Ordinal)))
                return args.Skip(1).Prepend(target).ToArray();
        return args;
    }

    /// <summary>The plugin's messages advise a host developer in API terms ("Backend = Backend.OrtCpu"); an rr user gets
    /// the flag beside it ("Backend = Backend.OrtCpu [--backend ort-cpu]").</summary>
    internal static string WithFlags(string msg) =>
        System.Text.RegularExpressions.Regex.Replace(msg, @"\b(Backend|Precision)\.(\w+)\b",
            m => $"{m.Value} [--{m.Groups[1].Value.ToLowerInvariant()} {Kebab(m.Groups[2].Value)}]");

    /// <summary>OrtCpu → ort-cpu, Gl → gl, Fp32 → fp32: the enum member's command-line name.</summary>
    static string Kebab(string member) =>
        System.Text.RegularExpressions.Regex.Replace(member, "(?<=[a-z0-9])([A-Z])", "-$1").ToLowerInvariant();

    /// <summary>One line: the innermost meaningful message (type initialisers and aggregates unwrapped).</summary>
    public static string Describe(Exception e)
    {
        while (e is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException && e.InnerException != null)
            e = e.InnerException;
        var msg = WithFlags(e.Message.ReplaceLineEndings(" ").Trim());
        return e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or NotSupportedException or InvalidOperationException
            ? msg : $"{msg} ({e.GetType().Name})";
    }
}
