namespace ResNetRealtime.Cli;

/// <summary>`rr bench` — placeholder until its issue lands.</summary>
public static class BenchVerb
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("rr bench: not built yet");
        return 2;
    }
}
