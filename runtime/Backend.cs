#nullable enable
namespace ResNetRealtime.Runtime;

/// <summary>Which engine runs the network (<see cref="InferenceOptions.Backend"/>). Its command-line and log names
/// ("auto", "ort-cpu", ...) are <see cref="InferenceNames"/>'s.</summary>
public enum Backend
{
    /// <summary>Decided at creation by <see cref="Realtime.BackendChoice"/>: on Windows ort-dml, then gl on a hardware
    /// OpenGL 4.3 context, then ort-cpu; elsewhere gl on hardware, then ort-cpu. Each is taken only when it starts and
    /// passes its self-check; without a GPU (or on a software renderer such as llvmpipe) that is ort-cpu.</summary>
    Auto,
    /// <summary>ONNX Runtime on the CPU: the reference every other backend is checked against.</summary>
    OrtCpu,
    /// <summary>ONNX Runtime's DirectML provider (Windows, the win-x64 build) on adapter <see cref="InferenceOptions.DeviceId"/>.</summary>
    OrtDml,
    /// <summary>ONNX Runtime's CUDA provider (Linux x64, built with RrCuda) on device <see cref="InferenceOptions.DeviceId"/>.</summary>
    OrtCuda,
    /// <summary>The plugin's own OpenGL 4.3 compute shaders, in the host's context or a headless one.</summary>
    Gl,
}

/// <summary>Number format of the weights and activations (<see cref="InferenceOptions.Precision"/>).</summary>
public enum Precision
{
    /// <summary>float32, as the model is stored.</summary>
    Fp32,
    /// <summary>int8: a float model is quantized on first use and cached, an int8 model runs as it is
    /// (<see cref="Quantization.Int8Cache"/>). ort-cpu only.</summary>
    Int8,
}

/// <summary>The one owner of the backend and precision names that the command line, logs, the HUD and file names use.</summary>
public static class InferenceNames
{
    // Indexed by the enum values.
    static readonly string[] BackendNames = ["auto", "ort-cpu", "ort-dml", "ort-cuda", "gl"];
    static readonly string[] PrecisionNames = ["fp32", "int8"];

    /// <summary>Every backend name, in enum order: auto, ort-cpu, ort-dml, ort-cuda, gl.</summary>
    public static IReadOnlyList<string> Backends => BackendNames;
    /// <summary>Every precision name: fp32, int8.</summary>
    public static IReadOnlyList<string> Precisions => PrecisionNames;

    /// <summary>"ort-cpu" for <see cref="Backend.OrtCpu"/>, ...; a value outside the enum gives "Backend(N)", which no
    /// parser accepts.</summary>
    public static string ToName(this Backend backend) =>
        (uint)backend < (uint)BackendNames.Length ? BackendNames[(int)backend] : $"Backend({(int)backend})";

    /// <summary>"fp32" or "int8"; a value outside the enum gives "Precision(N)".</summary>
    public static string ToName(this Precision precision) =>
        (uint)precision < (uint)PrecisionNames.Length ? PrecisionNames[(int)precision] : $"Precision({(int)precision})";

    /// <summary>True (and the backend) when <paramref name="name"/> is exactly one of <see cref="Backends"/>.</summary>
    public static bool TryParse(string name, out Backend backend)
    {
        int i = Array.IndexOf(BackendNames, name);
        backend = (Backend)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>True (and the precision) when <paramref name="name"/> is exactly one of <see cref="Precisions"/>.</summary>
    public static bool TryParse(string name, out Precision precision)
    {
        int i = Array.IndexOf(PrecisionNames, name);
        precision = (Precision)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>The backend named <paramref name="name"/>, or an ArgumentException of one line listing the names.</summary>
    public static Backend ParseBackend(string name) =>
        TryParse(name, out Backend b) ? b : throw new ArgumentException($"unknown backend '{name}'; one of: {string.Join(", ", BackendNames)}");

    /// <summary>The precision named <paramref name="name"/>, or an ArgumentException of one line listing the names.</summary>
    public static Precision ParsePrecision(string name) =>
        TryParse(name, out Precision p) ? p : throw new ArgumentException($"unknown precision '{name}'; one of: {string.Join(", ", PrecisionNames)}");

    /// <summary>Throws a one-line ArgumentException for a value outside the enum (an integer cast from a host or the C ABI).</summary>
    internal static void Validate(Backend backend)
    {
        if ((uint)backend >= (uint)BackendNames.Length)
            throw new ArgumentException($"backend {(int)backend} is not a Backend; one of: {string.Join(", ", Enum.GetNames<Backend>())}");
    }

    internal static void Validate(Precision precision)
    {
        if ((uint)precision >= (uint)PrecisionNames.Length)
            throw new ArgumentException($"precision {(int)precision} is not a Precision; one of: {string.Join(", ", Enum.GetNames<Precision>())}");
    }
}
