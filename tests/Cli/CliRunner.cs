namespace ResNetRealtime.Tests.Cli;

/// <summary>Runs `rr` in-process through Program.Main, capturing stdout and stderr.</summary>
public static class CliRunner
{
    static readonly object Gate = new();

    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        lock (Gate)
        {
            var o = new StringWriter(); var e = new StringWriter();
            var oldOut = Console.Out; var oldErr = Console.Error;
            Console.SetOut(o); Console.SetError(e);
            try
            {
                int code = ResNetRealtime.Cli.Program.Main(args);
                return (code, o.ToString(), e.ToString());
            }
            finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
        }
    }
}
