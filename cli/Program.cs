namespace ResNetRealtime.Cli;

/// <summary>
/// `rr VERB [options]`. Each verb lives in cli/Verbs/ and returns an exit code. Errors that reach
/// here are printed as one line (no stack trace) with a non-zero exit; RR_DEBUG=1 shows the trace.
/// </summary>
public static class Program
{
    static readonly Dictionary<string, Func<string[], int>> Verbs = new()
    {
        ["demo"] = DemoVerb.Run,
        ["infer"] = InferVerb.Run,
        ["bench"] = BenchVerb.Run,
        ["train"] = TrainVerb.Run,
        ["quantize"] = QuantizeVerb.Run,
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Verbs.TryGetValue(args[0], out var verb))
        {
            Console.Error.WriteLine(args.Length == 0
                ? "rr: missing verb; one of: " + string.Join(", ", Verbs.Keys)
                : $"rr: unknown verb '{args[0]}'; one of: " + string.Join(", ", Verbs.Keys));
            return 2;
        }
        try
        {
            return verb(args[1..]);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"rr {args[0]}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("RR_DEBUG") != "1")
        {
            Console.Error.WriteLine($"rr {args[0]}: error: {Describe(e)}");
            return 1;
        }
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
