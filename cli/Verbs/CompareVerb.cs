namespace ResNetRealtime.Cli;

/// <summary>`rr infer --compare A,B` — placeholder until the GL backend issue lands.</summary>
public static class CompareVerb
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("rr infer --compare: not built yet");
        return 2;
    }
}
