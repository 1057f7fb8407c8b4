namespace ResNetRealtime.Cli;

/// <summary>`rr demo` — placeholder until its issue lands.</summary>
public static class DemoVerb
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("rr demo: not built yet");
        return 2;
    }
}
