using System.Diagnostics;
using System.IO.Compression;
using NUnit.Framework;
using ResNetRealtime.Training.Data;

namespace ResNetRealtime.Tests.Training.App;

public class DataTests
{
    string _dir;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "rr-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    internal static void WriteIdx(string path, int[] dims, byte[] data, bool gz)
    {
        using var f = File.Create(path);
        using Stream s = gz ? new GZipStream(f, CompressionLevel.Fastest) : f;
        s.Write(new byte[] { 0, 0, 8, (byte)dims.Length });
        foreach (var d in dims) s.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        s.Write(data);
    }

    /// <summary>A tiny Fashion-MNIST-shaped directory: 13 train and 7 test images of 5×6, pixel = f(index).</summary>
    internal static void WriteIdxDir(string dir, bool gz, int n = 13, int m = 7, byte badLabel = 0)
    {
        string ext = gz ? ".gz" : "";
        byte Px(int i, int k) => (byte)((i * 37 + k * 11) % 256);
        WriteIdx(Path.Combine(dir, "train-images-idx3-ubyte" + ext), new[] { n, 5, 6 }, Enumerable.Range(0, n * 30).Select(j => Px(j / 30, j % 30)).ToArray(), gz);
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        if (badLabel != 0) labels[n - 1] = badLabel;
        WriteIdx(Path.Combine(dir, "train-labels-idx1-ubyte" + ext), new[] { n }, labels, gz);
        WriteIdx(Path.Combine(dir, "t10k-images-idx3-ubyte" + ext), new[] { m, 5, 6 }, Enumerable.Range(0, m * 30).Select(j => Px(100 + j / 30, j % 30)).ToArray(), gz);
        WriteIdx(Path.Combine(dir, "t10k-labels-idx1-ubyte" + ext), new[] { m }, Enumerable.Range(0, m).Select(i => (byte)((i * 3) % 10)).ToArray(), gz);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void IdxDirectoryLoadsPlainAndGzipped(bool gz)
    {
        WriteIdxDir(_dir, gz);
        var src = DataSource.Load("fashion-mnist:" + _dir);
        Assert.That(src.Train.Count, Is.EqualTo(13));
        Assert.That(src.Test.Count, Is.EqualTo(7));
        Assert.That((src.Channels, src.Height, src.Width), Is.EqualTo((1, 5, 6)));
        Assert.That(src.Classes[9], Is.EqualTo("Ankle boot"));
        var img = new byte[30];
        src.Train.CopyImage(4, img);
        Assert.That(img[7], Is.EqualTo((byte)((4 * 37 + 7 * 11) % 256)));
        Assert.That(src.Test.Label(3), Is.EqualTo(9));
        // mean over pixels / 255, measured independently
        double mean = Enumerable.Range(0, 13 * 30).Average(j => (double)((j / 30 * 37 + j % 30 * 11) % 256)) / 255;
        Assert.That(src.Mean[0], Is.EqualTo(mean).Within(1e-6));
    }

    [Test]
    public void IdxErrorsNameTheProblem()
    {
        Assert.That(() => DataSource.Load("mnist:" + Path.Combine(_dir, "nope")), Throws.InstanceOf<DirectoryNotFoundException>().With.Message.Contains("nope"));
        WriteIdxDir(_dir, false, badLabel: 12);
        Assert.That(() => DataSource.Load("mnist:" + _dir), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("label 12").And.Message.Contains("10 classes"));
        // truncated image file
        var p = Path.Combine(_dir, "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(p);
        File.WriteAllBytes(p, bytes[..(bytes.Length - 5)]);
        Assert.That(() => IdxReader.Read(p), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated"));
        File.WriteAllBytes(p, new byte[] { 1, 2, 3, 4, 5 });
        Assert.That(() => IdxReader.Read(p), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("not an IDX"));
        Assert.That(() => DataSource.Load("imagenet:" + _dir), Throws.ArgumentException.With.Message.Contains("imagenet"));
        Assert.That(() => DataSource.Load(_dir), Throws.ArgumentException.With.Message.Contains("KIND:PATH"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CifarBatchesLoad(bool cifar100)
    {
        int rec = (cifar100 ? 2 : 1) + 3072;
        void Write(string name, int n, int offset)
        {
            var b = new byte[n * rec];
            for (int i = 0; i < n; i++)
            {
                if (cifar100) { b[i * rec] = 1; b[i * rec + 1] = (byte)(99 - i); } else b[i * rec] = (byte)(i % 10);
                for (int k = 0; k < 3072; k++) b[i * rec + rec - 3072 + k] = (byte)(offset + i + k);
            }
            File.WriteAllBytes(Path.Combine(_dir, name), b);
        }
        if (cifar100) { Write("train.bin", 3, 0); Write("test.bin", 2, 50); }
        else { for (int i = 1; i <= 5; i++) Write($"data_batch_{i}.bin", 2, i * 10); Write("test_batch.bin", 3, 0); }
        var src = DataSource.Load((cifar100 ? "cifar100:" : "cifar10:") + _dir);
        Assert.That(src.Train.Count, Is.EqualTo(cifar100 ? 3 : 10));
        Assert.That(src.Classes.Length, Is.EqualTo(cifar100 ? 100 : 10));
        Assert.That(src.Train.Label(1), Is.EqualTo(cifar100 ? 98 : 1));
        var img = new byte[3072];
        src.Train.CopyImage(1, img);
        int off = cifar100 ? 0 : 10;
        Assert.That(img[1025], Is.EqualTo((byte)(off + 1 + 1025)), "green plane, pixel 1");
        File.WriteAllBytes(Path.Combine(_dir, cifar100 ? "test.bin" : "test_batch.bin"), new byte[rec + 1]);
        Assert.That(() => DataSource.Load((cifar100 ? "cifar100:" : "cifar10:") + _dir),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("whole number"));
    }

    [Test]
    public void FramesRecordingIsMappedAndConvertedToChw()
    {
        var frames = Enumerable.Range(0, 23).Select(i => ((byte)(i % 3), Enumerable.Range(0, 4 * 3 * 3).Select(k => (byte)(i * 7 + k)).ToArray())).ToList();
        FramesDataset.Write(_dir, width: 4, height: 3, new[] { "cube", "ball", "cone" }, frames);
        var src = DataSource.Load("frames:" + _dir);
        Assert.That(src.Train.Count + src.Test.Count, Is.EqualTo(23));
        Assert.That(src.Test.Count, Is.EqualTo(2), "every 10th frame is held out");
        Assert.That(src.Classes, Is.EqualTo(new[] { "cube", "ball", "cone" }));
        var img = new byte[36];
        src.Test.CopyImage(0, img);             // frame 9
        Assert.That(src.Test.Label(0), Is.EqualTo(0));
        // pixel (y=1, x=2) channel G: HWC offset (1·4+2)·3+1 = 19 → CHW offset 12 + 6
        Assert.That(img[12 + 6], Is.EqualTo((byte)(9 * 7 + 19)));
        src.Dispose();
    }

    [Test]
    public void FramesErrorsAreClear()
    {
        var frames = new List<(byte, byte[])> { (0, new byte[12]), (5, new byte[12]) };
        FramesDataset.Write(_dir, 2, 2, new[] { "a", "b" }, frames);
        Assert.That(() => FramesDataset.Open(_dir), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("frame 1 has label 5"));
        File.WriteAllBytes(Path.Combine(_dir, "frames.bin"), new byte[20]);
        Assert.That(() => FramesDataset.Open(_dir), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("20 bytes, expected 26"));
        File.WriteAllText(Path.Combine(_dir, "info.json"), "{\"format\":\"rr-frames-v1\",\"width\":2}");
        Assert.That(() => FramesDataset.Open(_dir), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("malformed"));
        File.Delete(Path.Combine(_dir, "info.json"));
        Assert.That(() => FramesDataset.Open(_dir), Throws.InstanceOf<FileNotFoundException>().With.Message.Contains("info.json"));
    }

    [Test]
    public void ImageFolderDecodesWithOneFfmpegPerFolder()
    {
        if (!File.Exists("/usr/bin/ffmpeg")) Assert.Ignore("ffmpeg is not installed");
        // Two classes: solid red PNGs and solid blue JPEGs + one PNG, 11 images in "red" (so one is held out).
        void Make(string cls, string name, string color)
        {
            Directory.CreateDirectory(Path.Combine(_dir, cls));
            var r = ChildProcess.Run("ffmpeg", new[] { "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", $"color=c={color}:s=20x10", "-frames:v", "1", "-y", Path.Combine(_dir, cls, name) },
                                     TimeSpan.FromSeconds(60));
            Assert.That(r.Code, Is.EqualTo(0), "ffmpeg could not make a test image: " + r.Err);
        }
        for (int i = 0; i < 11; i++) Make("red", $"r{i:D2}.png", "red");
        Make("blue", "b0.jpg", "blue");
        Make("blue", "b1.png", "blue");
        var src = DataSource.Load("folder:" + _dir, size: 8);
        Assert.That(src.Classes, Is.EqualTo(new[] { "blue", "red" }));
        Assert.That(src.Train.Count + src.Test.Count, Is.EqualTo(13));
        Assert.That(src.Test.Count, Is.EqualTo(1));
        var img = new byte[3 * 64];
        for (int i = 0; i < src.Train.Count; i++)
        {
            src.Train.CopyImage(i, img);
            bool red = src.Train.Label(i) == 1;
            // JPEG is lossy: a generous margin, still far from the other colour.
            Assert.That(img[0], red ? Is.GreaterThan(230) : Is.LessThan(25), $"image {i} R");
            Assert.That(img[128], red ? Is.LessThan(25) : Is.GreaterThan(230), $"image {i} B");
        }
        File.WriteAllText(Path.Combine(_dir, "red", "broken.png"), "not a png");
        Assert.That(() => DataSource.Load("folder:" + _dir, size: 8), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("red"));
    }

    [Test]
    public void LimitAndResizeApply()
    {
        WriteIdxDir(_dir, false);
        var src = DataSource.Load("idx:" + _dir, size: 12, limit: 10);
        Assert.That(src.Train.Count, Is.EqualTo(10));
        Assert.That(src.Test.Count, Is.EqualTo(2));
        Assert.That((src.Height, src.Width), Is.EqualTo((12, 12)));
        // Upscaling a constant image keeps it constant.
        var flat = new byte[6 * 5];
        Array.Fill(flat, (byte)77);
        var up = new byte[12 * 12];
        ResizedDataset.Bilinear(flat, 1, 5, 6, up, 12, 12);
        Assert.That(up.Distinct(), Is.EqualTo(new byte[] { 77 }));
    }
}
