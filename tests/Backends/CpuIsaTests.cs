// CpuIsa against the kernel's own list of CPU flags: on Linux x64 every extension it reports present or absent must
// agree with /proc/cpuinfo (the intrinsics' IsSupported and the kernel read the same CPUID bits; a disagreement
// means a wrong mapping, e.g. reporting avx512f from a flag of another name).
using System.Runtime.InteropServices;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;

namespace ResNetRealtime.Tests.Backends;

public class CpuIsaTests
{
    static readonly Dictionary<string, string> KernelFlag = new()
    {
        ["avx2"] = "avx2", ["fma"] = "fma", ["avx512f"] = "avx512f", ["avx512bw"] = "avx512bw",
        ["avx512vnni"] = "avx512_vnni", ["avxvnni"] = "avx_vnni",
    };

    [Test]
    public void Present_and_absent_agree_with_proc_cpuinfo()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) Assert.Ignore("checked against /proc/cpuinfo on Linux x64 only");
        var line = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal));
        var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.That(CpuIsa.Present.Intersect(CpuIsa.Absent), Is.Empty);
        Assert.That(CpuIsa.Present.Concat(CpuIsa.Absent), Is.EquivalentTo(KernelFlag.Keys), "every int8-relevant extension is reported one way or the other");
        foreach (var (name, flag) in KernelFlag)
            Assert.That(CpuIsa.Present.Contains(name), Is.EqualTo(flags.Contains(flag)), $"{name}: CpuIsa says {(CpuIsa.Present.Contains(name) ? "present" : "absent")}, /proc/cpuinfo {(flags.Contains(flag) ? "has" : "lacks")} '{flag}'");
        Assert.That(CpuIsa.Describe(), Does.StartWith(string.Join(' ', CpuIsa.Present)));
    }
}
