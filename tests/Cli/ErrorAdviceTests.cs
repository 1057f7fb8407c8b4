using NUnit.Framework;
using ResNetRealtime.Cli;

namespace ResNetRealtime.Tests.Cli;

/// <summary>The plugin advises a host developer in API terms; rr puts the flag an rr user types beside each.</summary>
[TestFixture]
public class ErrorAdviceTests
{
    [TestCase("use it; set the options' Backend = Backend.OrtCpu", "use it; set the options' Backend = Backend.OrtCpu [--backend ort-cpu]")]
    [TestCase("Backend = Backend.OrtCpu or Backend.Gl", "Backend = Backend.OrtCpu [--backend ort-cpu] or Backend.Gl [--backend gl]")]
    [TestCase("(or Precision = Precision.Fp32)", "(or Precision = Precision.Fp32 [--precision fp32])")]
    [TestCase("ResNetRealtime.Runtime.Backends.Gl failed", "ResNetRealtime.Runtime.Backends.Gl failed")]
    public void Api_advice_gets_the_flag_beside_it(string message, string expected) =>
        Assert.That(Program.WithFlags(message), Is.EqualTo(expected));
}
