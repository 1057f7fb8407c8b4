using Microsoft.ML.OnnxRuntime;

namespace ResNetRealtime.Runtime.Backends.Ort;

/// <summary>
/// ONNX Runtime's logging, routed through ours. ORT's default logger writes coloured
/// "[E:onnxruntime:…]" lines straight to stderr before our one-line error; the failures it logs also
/// come back as exceptions, which we report. So the environment is created at Fatal level, and only
/// under RR_DEBUG=1 does ORT's text reach stderr (Warning level, through our callback, prefixed "onnxruntime:").
/// </summary>
internal static class OrtLog
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
    /// source locations it carries (those are kept under RR_DEBUG=1). Never cut inside a word: an error code such as
    /// DXGI's 887A0004 arrives whole. A Windows failure (WIL's "file.cc(512)\onnxruntime.dll!ADDR: (caller: ADDR)
    /// Exception(1) tid(24) 887A0004 text") becomes "HRESULT 0x887A0004 (its name) at file.cc(512): text".
    /// </summary>
    public static string Short(string message)
    {
        string one = (message ?? "").ReplaceLineEndings(" ").Trim();
        if (Debug) return one;
        // "[ErrorCode:Fail] Load model from ... failed:/onnxruntime/.../x.cc:123 void f(...) detail" → keep the detail.
        int bracket = one.IndexOf("] ", StringComparison.Ordinal);
        if (one.StartsWith('[') && bracket > 0) one = one[(bracket + 2)..];
        if (Hresult.Match(one) is { Success: true } m)
        {
            string hr = m.Groups["hr"].Value.ToUpperInvariant();
            string name = HresultNames.TryGetValue(hr, out var n) ? $" ({n})" : "";
            string text = m.Groups["text"].Value.Trim();
            one = $"HRESULT 0x{hr}{name} at {Path.GetFileName(m.Groups["file"].Value.Replace('\\', '/'))}{(text.Length > 0 ? ": " + text : "")}";
        }
        const int Max = 240;
        if (one.Length <= Max) return one;
        int cut = one.LastIndexOf(' ', Max);
        return one[..(cut > Max / 2 ? cut : Max)] + " ... (RR_DEBUG=1 for ORT's full message)";
    }

    static readonly System.Text.RegularExpressions.Regex Hresult = new(
        @"(?<file>[^\s()]+\(\d+\))\\[^\s]*!\w+: \(caller: \w+\) \w+\(\d+\) tid\(\w+\) (?<hr>[0-9A-Fa-f]{8})\b(?<text>.*)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The HRESULTs a DirectML session start meets, by name (winerror.h).</summary>
    static readonly Dictionary<string, string> HresultNames = new(StringComparer.Ordinal)
    {
        ["887A0004"] = "DXGI_ERROR_UNSUPPORTED: no Direct3D 12 device here (no GPU, no display, or a driver without D3D12)",
        ["887A0001"] = "DXGI_ERROR_INVALID_CALL",
        ["887A0002"] = "DXGI_ERROR_NOT_FOUND: no such adapter",
        ["887A0005"] = "DXGI_ERROR_DEVICE_REMOVED: the GPU was removed or its driver reset",
        ["887A0006"] = "DXGI_ERROR_DEVICE_HUNG",
        ["887A0007"] = "DXGI_ERROR_DEVICE_RESET",
        ["887A0020"] = "DXGI_ERROR_DRIVER_INTERNAL_ERROR",
        ["80004005"] = "E_FAIL",
        ["80070057"] = "E_INVALIDARG",
        ["8007000E"] = "E_OUTOFMEMORY",
        ["8007007E"] = "ERROR_MOD_NOT_FOUND: a DLL it needs was not found",
        ["8007007F"] = "ERROR_PROC_NOT_FOUND: a DLL of the wrong version",
    };
}
