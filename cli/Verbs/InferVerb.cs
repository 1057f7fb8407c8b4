namespace ResNetRealtime.Cli;

/// <summary>`rr infer` — placeholder until its issue lands.</summary>
public static class InferVerb
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("rr infer: not built yet");
        return 2;
    }
}
