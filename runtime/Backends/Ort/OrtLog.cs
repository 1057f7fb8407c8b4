using Microsoft.ML.OnnxRuntime;

namespace ResNetRealtime.Runtime.Backends.Ort;

/// <summary>
/// ONNX Runtime's logging, routed through ours. ORT's default logger writes coloured
/// "[E:onnxruntime:…]" lines straight to stderr before our one-line error; the failures it logs also
/// come back as exceptions, which we report. So the environment is created at Fatal level, and only
/// under RR_DEBUG=1 does ORT's text reach stderr (Warning level, through our callback, prefixed "onnxruntime:").
/// </summary>
public static class OrtLog
{
    static readonly bool Debug = Environment.GetEnvironmentVariable("RR_DEBUG") == "1";
    static readonly object Gate = new();
    static OrtEnv _env;
    // Kept in a field: ORT holds the function pointer for the life of the process.
    static readonly DOrtLoggingFunction Callback = (_, severity, category, _, location, message) =>
        Console.Error.WriteLine($"onnxruntime: {severity} {category} {location}: {message}");

    /// <summary>Session and environment log level: Warning under RR_DEBUG=1, else Fatal.</summary>
    public static OrtLoggingLevel Level => Debug ? OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING : OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;

    /// <summary>The process's OrtEnv, created with our logging on first use.</summary>
    public static OrtEnv Env { get { EnsureEnvironment(); return _env; } }

    public static void EnsureEnvironment()
    {
        if (_env != null) return;
        lock (Gate)
        {
            if (_env != null) return;
            var opts = new EnvironmentCreationOptions { logId = "rr", logLevel = Level };
            if (Debug) opts.loggingFunction = Callback;
            try { _env = OrtEnv.CreateInstanceWithOptions(ref opts); }
            catch (OnnxRuntimeException) { _env = OrtEnv.Instance(); }   // someone created it first (tests): keep theirs
        }
    }

    /// <summary>
    /// ORT's exception text in one short line: the first sentence, without the C++ signatures and
    /// source locations it carries (those are kept under RR_DEBUG=1).
    /// </summary>
    public static string Short(string message)
    {
        string one = message.ReplaceLineEndings(" ").Trim();
        if (Debug) return one;
        // "[ErrorCode:Fail] Load model from ... failed:/onnxruntime/.../x.cc:123 void f(...) detail" → keep the detail.
        int bracket = one.IndexOf("] ", StringComparison.Ordinal);
        if (one.StartsWith('[') && bracket > 0) one = one[(bracket + 2)..];
        const int Max = 160;
        return one.Length <= Max ? one : one[..Max] + "… (RR_DEBUG=1 for ORT's full message)";
    }
}
