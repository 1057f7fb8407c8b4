using System.Text;
using NUnit.Framework;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Tests.Imaging;

public class NpyTests
{
    static string Tmp(string name) => Path.Combine(TestContext.CurrentContext.WorkDirectory, "npy-tests", name);

    [TestCase(new[] { 1, 3, 7, 13 })]
    [TestCase(new[] { 5 })]
    [TestCase(new[] { 2, 1000 })]
    [TestCase(new int[0])]
    public void Roundtrip(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var data = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i) * 100).ToArray();
        var path = Tmp($"rt{shape.Length}.npy");
        Npy.Write(path, data, shape);
        var bytes = File.ReadAllBytes(path);
        int headerLen = BitConverter.ToUInt16(bytes, 8);
        Assert.That((10 + headerLen) % 64, Is.EqualTo(0), "header must pad to 64 bytes");
        var back = Npy.Read(path);
        Assert.That(back.Shape, Is.EqualTo(shape));
        Assert.That(back.Data, Is.EqualTo(data));
    }

    static byte[] Make(string header, byte[] data)
    {
        var h = header.PadRight(118) + "\n";
        var ms = new MemoryStream();
        ms.WriteByte(0x93); ms.Write("NUMPY"u8); ms.WriteByte(1); ms.WriteByte(0);
        ms.Write(BitConverter.GetBytes((ushort)h.Length));
        ms.Write(Encoding.ASCII.GetBytes(h));
        ms.Write(data);
        return ms.ToArray();
    }

    [Test]
    public void Reads_float64_as_float32()
    {
        var d = new[] { 1.5, -2.25, 3e10 };
        var bytes = Make("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d.SelectMany(BitConverter.GetBytes).ToArray());
        var a = Npy.Read(new MemoryStream(bytes));
        Assert.That(a.Shape, Is.EqualTo(new[] { 3 }));
        Assert.That(a.Data, Is.EqualTo(new[] { 1.5f, -2.25f, 3e10f }));
    }

    [Test]
    public void Rejects_bad_files_with_clear_messages()
    {
        Assert.That(Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(new byte[] { 1, 2, 3 }), "x.npy")).Message,
            Does.Contain("x.npy").And.Contain("not a .npy"));
        var fortran = Make("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", new byte[8]);
        Assert.That(Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(fortran))).Message, Does.Contain("fortran_order"));
        var ints = Make("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[16]);
        Assert.That(Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(ints))).Message, Does.Contain("'<i8'"));
        var truncated = Make("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[20]);
        Assert.That(Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(truncated))).Message,
            Does.Contain("[2,3]").And.Contain("24 bytes").And.Contain("has 20"));
        Assert.Throws<FileNotFoundException>(() => Npy.Read(Tmp("missing.npy")));
        Assert.Throws<ArgumentException>(() => Npy.Write(Tmp("bad.npy"), new float[5], new[] { 2, 3 }));
    }
}
