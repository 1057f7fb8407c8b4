// CpuIsa: which of the CPU's vector extensions ONNX Runtime's kernels can use here, in one line. The int8 speed-up
// over float32 is a property of the host, not of our path: MLAS runs u8s8 convolutions with VNNI (AVX-512 VNNI or
// AVX-VNNI: one vpdpbusd per 4-wide dot product) where the CPU has it, and with AVX2's vpmaddubsw + vpmaddwd pair
// (two instructions and an int16 intermediate) where it does not. A bench report that does not say which is not
// comparable across machines of the "same" kind, so `rr bench` prints this and writes it into its JSON.
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ResNetRealtime.Runtime.Backends;

internal static class CpuIsa
{
    /// <summary>The extensions present, most relevant to int8 first (e.g. "avx2 fma avx512f avx512bw avx512vnni").</summary>
    public static IReadOnlyList<string> Present => _present ??= Probe(out _absent);
    /// <summary>Of the int8-relevant extensions, the ones this CPU lacks (e.g. "avx512f avx512vnni avxvnni").</summary>
    public static IReadOnlyList<string> Absent { get { _ = Present; return _absent; } }

    static IReadOnlyList<string> _present, _absent;

    /// <summary>One line for a report: "avx2 fma avx512f … (no avxvnni)".</summary>
    public static string Describe() =>
        (Present.Count == 0 ? "no SIMD extension the int8 kernels use" : string.Join(' ', Present)) +
        (Absent.Count > 0 ? $" (no {string.Join(' ', Absent)})" : "");

    static IReadOnlyList<string> Probe(out IReadOnlyList<string> absent)
    {
        var have = new List<string>();
        var lack = new List<string>();
        void Check(string name, bool yes) => (yes ? have : lack).Add(name);
        if (X86Base.IsSupported)
        {
            Check("avx2", Avx2.IsSupported);
            Check("fma", Fma.IsSupported);
            Check("avx512f", Avx512F.IsSupported);
            Check("avx512bw", Avx512BW.IsSupported);
            // The VNNI bits come from the kernel's flags (/proc/cpuinfo): .NET 8 has no AVX-512 VNNI class and keeps AvxVnni
            // behind preview features. Off Linux they are unknown and left out of both lists.
            var flags = CpuInfoFlags();
            if (flags != null)
            {
                Check("avx512vnni", flags.Contains("avx512_vnni"));
                Check("avxvnni", flags.Contains("avx_vnni"));
            }
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            have.Add("neon");
            Check("dotprod", Dp.IsSupported);
        }
        absent = lack;
        return have;
    }

    static HashSet<string> CpuInfoFlags()
    {
        const string path = "/proc/cpuinfo";
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists(path)) return null;
            foreach (var line in File.ReadLines(path))
                if (line.StartsWith("flags", StringComparison.Ordinal) && line.IndexOf(':') is int i and > 0)
                    return new HashSet<string>(line[(i + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
