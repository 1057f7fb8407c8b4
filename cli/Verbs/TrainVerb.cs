namespace ResNetRealtime.Cli;

/// <summary>`rr train` — placeholder until its issue lands.</summary>
public static class TrainVerb
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("rr train: not built yet");
        return 2;
    }

    /// <summary>`rr bench --train ...` (BenchVerb delegates here).</summary>
    public static int Bench(string[] args)
    {
        Console.Error.WriteLine("rr bench --train: not built yet");
        return 2;
    }
}
