using ResNetRealtime.Runtime;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ResNetRealtime.Cli;

/// <summary>Thrown for bad command-line input; Program prints its message as one line and exits 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}

/// <summary>
/// The verbs' shared System.CommandLine plumbing: option factories whose help shows every default and whose
/// parse errors name the option and the value, one-line parse errors with "did you mean" suggestions,
/// and the "does not apply" check for options given in a mode that ignores them.
/// A verb is one file in cli/Verbs/ with <c>public static Command Create()</c>, registered in Program.Verbs.
/// </summary>
public static class Cli
{
    static readonly ParserConfiguration Parser = new() { ResponseFileTokenReplacer = null };   // "@x" is a plain value, as before

    /// <summary>A root "rr" command over <paramref name="verbs"/>, with -h/--help on every verb.</summary>
    public static Command Root(IEnumerable<Command> verbs)
    {
        var root = new Command("rr", "ResNetRealtime: real-time ResNet inference, benchmarks, demo and training.") { new HelpOption() };
        foreach (var v in verbs) root.Add(v);
        return root;
    }

    /// <summary>
    /// Parses and runs one command line against <paramref name="root"/>. Parse errors throw a UsageException
    /// (one line, with a suggestion for a misspelt option or verb); errors inside a verb propagate unchanged.
    /// <paramref name="siblings"/>: verb name → (sibling verb, how to reach it), so that an option of the sibling
    /// given to the verb is named as such (--steps is bench-train's, not bench's).
    /// </summary>
    public static int Invoke(Command root, IReadOnlyList<string> args, IReadOnlyDictionary<string, (string Verb, string How)> siblings = null)
    {
        var pr = Parse(root, args, siblings);
        return pr.Invoke(new InvocationConfiguration
        {
            Output = Console.Out, Error = Console.Error,
            EnableDefaultExceptionHandler = false,   // Program owns the one-line error format and RR_DEBUG
            ProcessTerminationTimeout = null,        // train installs its own Ctrl-C handler (save, then exit 130)
        });
    }

    static ParseResult Parse(Command root, IReadOnlyList<string> args, IReadOnlyDictionary<string, (string Verb, string How)> siblings = null)
    {
        var pr = root.Parse(args, Parser);
        if (pr.Action is ParseErrorAction) throw new UsageException(FirstError(pr, siblings));
        return pr;
    }

    /// <summary>Parses <paramref name="args"/> (without the verb's name) for one verb without running it (tests).</summary>
    public static ParseResult ParseOnly(Command verb, string[] args) => Parse(Root(new[] { verb }), args.Prepend(verb.Name).ToArray());

    /// <summary>Runs one verb alone (tests call verbs this way): parse errors and verb errors throw.</summary>
    public static int Run(Command verb, string[] args) => Invoke(Root(new[] { verb }), args.Prepend(verb.Name).ToArray());

    static string FirstError(ParseResult pr, IReadOnlyDictionary<string, (string Verb, string How)> siblings)
    {
        var cmd = pr.CommandResult.Command;
        var unknown = pr.UnmatchedTokens.FirstOrDefault();
        if (!cmd.Parents.Any())   // the root: the verb itself is missing or wrong
        {
            var verbs = string.Join(", ", cmd.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
            return unknown == null ? $"missing verb; one of: {verbs}"
                : $"unknown verb '{unknown}'{Suggest(unknown, cmd.Subcommands.Select(c => c.Name))} (verbs: {verbs})";
        }
        if (unknown != null)
        {
            if (!unknown.StartsWith('-'))
                return $"unexpected argument '{unknown}' (options are --name value)";
            string name = unknown.Split('=', ':')[0];
            if (siblings != null && siblings.TryGetValue(cmd.Name, out var sib) && cmd.Parents.OfType<Command>().FirstOrDefault()?.Subcommands.FirstOrDefault(c => c.Name == sib.Verb) is { } other
                && OptionNames(other).Contains(name))
                return $"unknown option {name}: it is an option of {sib.How}";
            return $"unknown option {name}{Suggest(name, OptionNames(cmd))}";
        }
        foreach (var e in pr.Errors)
            if (e.SymbolResult is OptionResult { Tokens.Count: 0, Implicit: false } missing && missing.Option.Arity.MinimumNumberOfValues > 0)
                return $"{missing.Option.Name} needs a value";
        foreach (var o in cmd.Options)
            if (o.Required && !pr.Given(o)) return $"{o.Name} is required";
        return pr.Errors[0].Message.ReplaceLineEndings(" ").Trim();
    }

    static List<string> OptionNames(Command cmd) =>
        cmd.Options.Where(o => !o.Hidden && o is not HelpOption).SelectMany(o => o.Aliases.Prepend(o.Name)).ToList();

    /// <summary>"; did you mean --frames?" for the closest candidate (prefix or small edit distance), else "".</summary>
    internal static string Suggest(string given, IEnumerable<string> candidates)
    {
        string best = null;
        int bestScore = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = c.StartsWith(given, StringComparison.Ordinal) ? 1 : Distance(given, c);   // --head → --headless
            if (d < bestScore) { best = c; bestScore = d; }
        }
        int allowed = Math.Max(2, given.TrimStart('-').Length / 3);
        return best != null && bestScore <= allowed ? $"; did you mean {best}?" : "";
    }

    /// <summary>Levenshtein distance.</summary>
    static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>The command line as typed after `rr` ("rr train --data … --out …"), each word quoted for a POSIX shell where needed.</summary>
    public static string CommandLine(ParseResult pr) => "rr " + string.Join(" ", pr.Tokens.Select(t => Quote(t.Value)));

    static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>True when the user wrote the option (a default does not count).</summary>
    public static bool Given(this ParseResult pr, Option o) => pr.GetResult(o) is { Implicit: false };

    /// <summary>Refuses the given ones of <paramref name="options"/>: "--warmup does not apply with --schedule onecycle (…)".</summary>
    public static void NotApplicable(this ParseResult pr, string when, params Option[] options)
    {
        var given = options.Where(pr.Given).Select(o => o.Name).ToList();
        if (given.Count > 0) throw new UsageException($"{string.Join(", ", given)} {(given.Count > 1 ? "do" : "does")} not apply {when}");
    }

    // ---- option factories: help shows "[default: …]" for every option (or "(REQUIRED)") ----

    /// <summary>A string option; <paramref name="absent"/> says in the help what happens without it.</summary>
    public static Option<string> Str(string name, string valueName, string description, string @default = null, string absent = null, bool required = false)
    {
        var o = new Option<string>(name) { HelpName = valueName, Required = required };
        o.Description = absent != null ? $"{description} [default: {absent}]" : description;
        if (@default != null) o.DefaultValueFactory = _ => @default;
        return o;
    }

    /// <summary>An on/off flag; <paramref name="absent"/> says what holds without it (the help shows no default for a bool itself).</summary>
    public static Option<bool> Flag(string name, string description, string absent = "off") =>
        new(name) { Description = $"{description} [default: {absent}]", Arity = ArgumentArity.ZeroOrOne };

    public static Option<int> Int(string name, string valueName, string description, int @default, int min = int.MinValue, int max = int.MaxValue) =>
        new(name)
        {
            HelpName = valueName, Description = description, DefaultValueFactory = _ => @default,
            CustomParser = r =>
            {
                string s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
                    r.AddError($"{name} must be an integer (got '{s}')");
                else if (v < min || v > max)
                    r.AddError(max == int.MaxValue ? $"{name} must be >= {min} (got {v})" : $"{name} must be in [{min}, {max}] (got {v})");
                return v;
            },
        };

    public static Option<double> Num(string name, string valueName, string description, double @default) =>
        new(name)
        {
            HelpName = valueName, Description = description, DefaultValueFactory = _ => @default,
            CustomParser = r =>
            {
                string s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    r.AddError($"{name} must be a number (got '{s}')");
                return v;
            },
        };

    /// <summary>A comma-separated list ("a,b"), read with <see cref="Items"/> or <see cref="Ints"/>.</summary>
    public static Option<string> List(string name, string valueName, string description, string @default = null, string absent = null) =>
        Str(name, valueName, description, @default, absent);

    /// <summary>A comma-separated list of integers, read with <see cref="Ints"/>.</summary>
    public static Option<string> IntList(string name, string valueName, string description, string @default)
    {
        var o = Str(name, valueName, description, @default);
        o.Validators.Add(r =>
        {
            var s = r.GetValueOrDefault<string>() ?? "";
            if (Split(s).Any(p => !int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
                r.AddError($"{name} must be a comma-separated list of integers (got '{s}')");
        });
        return o;
    }

    public static string[] Items(this ParseResult pr, Option<string> list) => Split(pr.GetValue(list) ?? "");

    public static int[] Ints(this ParseResult pr, Option<string> list) =>
        pr.Items(list).Select(p => int.Parse(p, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>A backend named on the command line (<see cref="InferenceNames"/>): an unknown name is one usage line
    /// listing the valid ones, e.g. "--backend: unknown backend 'tpu'; one of: auto, ort-cpu, ort-dml, ort-cuda, gl".</summary>
    public static Backend ParseBackend(string name, string option = "--backend") =>
        InferenceNames.TryParse(name, out Backend b) ? b
            : throw new UsageException($"{option}: unknown backend '{name}'; one of: {string.Join(", ", InferenceNames.Backends)}");

    /// <summary>A precision named on the command line: fp32 or int8, else one usage line listing them.</summary>
    public static Precision ParsePrecision(string name, string option = "--precision") =>
        InferenceNames.TryParse(name, out Precision p) ? p
            : throw new UsageException($"{option}: unknown precision '{name}'; one of: {string.Join(", ", InferenceNames.Precisions)}");

    static string[] Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
