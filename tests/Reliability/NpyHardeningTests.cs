using System.Buffers.Binary;
using System.Text;
using NUnit.Framework;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Tensors;
using ResNetRealtime.Tests.Inference;

namespace ResNetRealtime.Tests.Reliability;

/// <summary>Issue 12: hostile .npy headers and truncated models give one line naming the file and the values.</summary>
public class NpyHardeningTests
{
    string _dir;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "npy-hard");
        Directory.CreateDirectory(_dir);
    }

    string WriteV2(string name, uint headerLen, string header)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0 });
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, headerLen);
        ms.Write(len);
        ms.Write(Encoding.Latin1.GetBytes(header));
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, ms.ToArray());
        return path;
    }

    static string Header(string shape) => "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";

    [Test]
    public void HugeHeaderLengthNamesFileAndValue()
    {
        string path = WriteV2("hdr.npy", 0xFFFFFFF0, Header("(1,)"));
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.That(e.Message, Does.StartWith("hdr.npy").Or.StartWith(path));
        Assert.That(e.Message, Does.Contain("4294967280").And.Contain("0xFFFFFFF0"));
    }

    [Test]
    public void HeaderLongerThanTheFileIsRefused()
    {
        string path = WriteV2("short.npy", 4096, Header("(1,)"));
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.That(e.Message, Does.Contain("header length 4096").And.Contain("bytes after the preamble"));
    }

    [TestCase("(65536, 65536, 65536, 65536)")]   // 2^64: wrapped to 0 elements before
    [TestCase("(2147483647, 2147483647, 2147483647)")]
    [TestCase("(100000, 100000)")]
    public void ShapeProductOverflowIsRefusedNamingTheShape(string shape)
    {
        string h = Header(shape);
        string path = WriteV2("big.npy", (uint)h.Length, h);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.That(e.Message, Does.Contain(path).And.Contain("too large").And.Contain("[" + shape.Trim('(', ')').Replace(" ", "") + "]"));
    }

    [Test]
    public void DataShorterThanTheShapeIsRefusedBeforeAllocating()
    {
        string h = Header("(1000, 1000)");
        string path = WriteV2("trunc.npy", (uint)h.Length, h);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.That(e.Message, Does.Contain("truncated data").And.Contain("4000000 bytes"));
    }

    [Test]
    public void TruncatedModelReportsTheRealOffset()
    {
        var bytes = TestModels.PlainCnn(size: 16, classes: 5).ToBytes();
        var offsets = new HashSet<string>();
        foreach (int cut in new[] { bytes.Length / 4, bytes.Length / 2, bytes.Length - 3 })
        {
            var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(bytes.AsSpan(0, cut), "m.onnx"));
            var match = System.Text.RegularExpressions.Regex.Match(e.Message, @"at byte (\d+) of (\d+)");
            Assert.That(match.Success, e.Message);
            Assert.That(int.Parse(match.Groups[2].Value), Is.EqualTo(cut));
            int at = int.Parse(match.Groups[1].Value);
            Assert.That(at, Is.GreaterThan(0).And.LessThanOrEqualTo(cut), e.Message);
            offsets.Add(match.Groups[1].Value);
        }
        Assert.That(offsets, Has.Count.EqualTo(3), "each cut reports its own offset");
    }
}
