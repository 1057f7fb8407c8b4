using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Tests.Inference;

public class ClassifierTests
{
    [Test]
    public void TopK_matches_direct_ort_on_the_same_preprocessed_input()
    {
        var model = TestModels.PlainCnn(size: 24, classes: 12, seed: 4);
        using var clf = Classifier.Create(model, new ClassifierOptions { TopK = 4, Threads = 1 });
        int w = 101, h = 67;
        var frame = TestModels.Frame(w, h, 3);
        var r = clf.Classify(frame, w, h, w * 4, PixelFormat.Bgra32);

        // Reference: naive preprocessing + a plain InferenceSession + softmax + full sort.
        var pre = new Preprocessor(3, 24, 24);
        var x = new float[pre.OutputLength];
        pre.RunReference(frame, w, h, w * 4, PixelFormat.Bgra32, x);
        using var s = new InferenceSession(model.ToBytes());
        using var v = OrtValue.CreateTensorValueFromMemory(x, new long[] { 1, 3, 24, 24 });
        using var res = s.Run(new RunOptions(), new[] { "input" }, new[] { v }, new[] { "logits" });
        var logits = res[0].GetTensorDataAsSpan<float>().ToArray();
        var e = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        var probs = e.Select(q => q / e.Sum()).ToArray();
        var order = Enumerable.Range(0, 12).OrderByDescending(i => probs[i]).ToArray();

        Assert.That(r.TopK.Length, Is.EqualTo(4));
        for (int i = 0; i < 4; i++)
        {
            Assert.That(r.TopK[i].ClassIndex, Is.EqualTo(order[i]), $"rank {i}");
            // Preprocessing differs by ≤1e-4 (see PreprocessorTests); through this small net that moves probabilities by far less than 1e-3.
            Assert.That(r.TopK[i].Probability, Is.EqualTo(probs[order[i]]).Within(1e-3));
            Assert.That(r.TopK[i].Label, Is.EqualTo($"class {order[i]}"));
        }
        Assert.That(r.Probabilities.ToArray().Sum(), Is.EqualTo(1).Within(1e-5));
    }

    [Test]
    public void Latency_record_is_sane()
    {
        using var clf = Classifier.Create(TestModels.PlainCnn(size: 32), new ClassifierOptions { Threads = 1 });
        var f = TestModels.Frame(320, 240, 0);
        for (int i = 0; i < 5; i++)
        {
            var l = clf.Classify(f, 320, 240, 1280, PixelFormat.Bgra32).Latency;
            Assert.That(l.PreprocessMs, Is.GreaterThanOrEqualTo(0));
            Assert.That(l.InferenceMs, Is.GreaterThan(0));
            Assert.That(l.PostprocessMs, Is.GreaterThanOrEqualTo(0));
            // Stages are differences of the same four timestamps: they add up exactly, up to double rounding.
            Assert.That(l.PreprocessMs + l.InferenceMs + l.PostprocessMs, Is.EqualTo(l.TotalMs).Within(1e-9));
        }
        Assert.That(clf.Stats.Total.Count, Is.EqualTo(5));
    }

    [Test]
    public void Steady_state_allocates_nothing_per_frame()
    {
        using var clf = Classifier.Create(TestModels.PlainCnn(size: 32), new ClassifierOptions { Threads = 1, Taps = new[] { "relu1" }, MaxBatch = 2 });
        var frames = Enumerable.Range(0, 4).Select(t => TestModels.Frame(640, 360, t)).ToArray();
        var batch = new[] { new Frame(frames[0], 640, 360, 2560, PixelFormat.Bgra32), new Frame(frames[1], 640, 360, 2560, PixelFormat.Bgra32) };
        int n = 0;
        long bytes = SteadyState.BytesPerWindow(() =>
        {
            var r = clf.Classify(frames[n++ % 4], 640, 360, 2560, PixelFormat.Bgra32);
            foreach (var p in r.TopK) _ = p.Probability;
            _ = r.Latency.TotalMs;
            clf.ClassifyBatch(batch);
        });
        Assert.That(bytes, Is.EqualTo(0));
    }

    [Test]
    public void Batch_equals_single_frames()
    {
        using var clf = Classifier.Create(TestModels.PlainCnn(size: 16, classes: 9), new ClassifierOptions { MaxBatch = 3, TopK = 3, Threads = 1, Taps = new[] { "relu1" } });
        var a = TestModels.Frame(50, 30, 1);
        var b = TestModels.Frame(7, 13, 2, stride: 7 * 4 + 5);
        var c = new byte[33 * 21 * 3];
        new Random(3).NextBytes(c);
        var frames = new[]
        {
            new Frame(a, 50, 30, 200, PixelFormat.Bgra32), new Frame(b, 7, 13, 33, PixelFormat.Rgba32), new Frame(c, 33, 21, 99, PixelFormat.Rgb24),
        };
        var singles = frames.Select(f =>
        {
            var r = clf.Classify(f.Pixels.Span, f.Width, f.Height, f.StrideBytes, f.Format);
            return (logits: r.Logits.ToArray(), tap: r.Taps[0].Data.AsSpan(0, 4 * 256).ToArray());
        }).ToArray();
        var batch = clf.ClassifyBatch(frames);
        Assert.That(batch.Count, Is.EqualTo(3));
        for (int i = 0; i < 3; i++)
        {
            Assert.That(batch[i].Logits.ToArray(), Is.EqualTo(singles[i].logits).Within(1e-5), $"frame {i}");
            Assert.That(batch[i].TapRow, Is.EqualTo(i));
            Assert.That(batch[i].Taps[0].Data.AsSpan(i * 1024, 1024).ToArray(), Is.EqualTo(singles[i].tap).Within(1e-5));
        }
        Assert.Throws<ArgumentException>(() => clf.ClassifyBatch(new Frame[4]));
    }

    [Test]
    public void Concurrent_calls_match_sequential()
    {
        var model = TestModels.PlainCnn(size: 20, classes: 8);
        var frames = Enumerable.Range(0, 8).Select(t => TestModels.Frame(120, 80, t)).ToArray();
        float[][] sequential;
        using (var clf = Classifier.Create(model, new ClassifierOptions { Threads = 1 }))
            sequential = frames.Select(f => clf.Classify(f, 120, 80, 480, PixelFormat.Bgra32).Logits.ToArray()).ToArray();

        // One shared classifier, each thread with its own result object.
        using var shared = Classifier.Create(model, new ClassifierOptions { Threads = 1 });
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var mine = shared.CreateResult();
            using var own = Classifier.Create(model, new ClassifierOptions { Threads = 1 });
            for (int i = 0; i < 40; i++)
            {
                int k = (i + t) % frames.Length;
                var r1 = shared.Classify(frames[k], 120, 80, 480, PixelFormat.Bgra32, mine);
                var r2 = own.Classify(frames[k], 120, 80, 480, PixelFormat.Bgra32);
                for (int j = 0; j < 8; j++)
                    if (r1.Logits[j] != sequential[k][j] || r2.Logits[j] != sequential[k][j])
                    {
                        failures.Add($"thread {t} frame {k} class {j}: shared {r1.Logits[j]}, own {r2.Logits[j]}, sequential {sequential[k][j]}");
                        break;
                    }
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void Labels_from_metadata_else_class_n()
    {
        var m = TestModels.PlainCnn(classes: 3);
        m.SetMetadata("rr.labels", "[\"cat\",\"dog\",\"fish\"]");
        using (var clf = Classifier.Create(m))
            Assert.That(clf.Labels, Is.EqualTo(new[] { "cat", "dog", "fish" }));
        using (var clf = Classifier.Create(TestModels.PlainCnn(classes: 3)))
            Assert.That(clf.Labels, Is.EqualTo(new[] { "class 0", "class 1", "class 2" }));
    }

    [Test]
    public void Grayscale_model_uses_luminance()
    {
        using var clf = Classifier.Create(TestModels.PlainCnn(channels: 1, size: 28, classes: 10), new ClassifierOptions { TopK = 10 });
        var f = TestModels.Frame(28, 28, 0);
        var r = clf.Classify(f, 28, 28, 112, PixelFormat.Bgra32);
        Assert.That(r.TopK.Length, Is.EqualTo(10));
        Assert.That(clf.Preprocessor.Channels, Is.EqualTo(1));
    }
}
