using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Ort;

namespace ResNetRealtime.Tests.Inference;

public class OrtBackendTests
{
    static float[] DirectOrt(byte[] model, float[] input, int batch, int c, int size, string output = "logits")
    {
        using var s = new InferenceSession(model);
        using var v = OrtValue.CreateTensorValueFromMemory(input, new long[] { batch, c, size, size });
        using var r = s.Run(new RunOptions(), new[] { "input" }, new[] { v }, new[] { output });
        return r[0].GetTensorDataAsSpan<float>().ToArray();
    }

    static float[] RandomInput(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 4 - 2).ToArray();
    }

    [Test]
    public void Matches_plain_session_for_every_batch_size()
    {
        var model = TestModels.PlainCnn(size: 13, classes: 7);
        using var be = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 3, Threads = 1 });
        Assert.That((be.Channels, be.Height, be.Width, be.Classes, be.MaxBatch), Is.EqualTo((3, 13, 13, 7, 3)));
        for (int b = 1; b <= 3; b++)
        {
            var x = RandomInput(b * 3 * 13 * 13, b);
            var got = new float[b * 7];
            be.Run(x, b, got);
            var want = DirectOrt(model.ToBytes(), x, b, 3, 13);
            // Same library, same graph: only kernel choice for batch could differ; 1e-5 covers reassociation.
            Assert.That(got, Is.EqualTo(want).Within(1e-5), $"batch {b}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => be.Run(new float[4 * 3 * 13 * 13], 4, new float[28]));
        Assert.That(Assert.Throws<ArgumentException>(() => be.Run(new float[5], 1, new float[7])).Message, Does.Contain("needs 507"));
    }

    [Test]
    public void Fixed_batch_model_runs_smaller_batches_padded()
    {
        var model = TestModels.PlainCnn(size: 8, classes: 5, fixedBatch: true, batch: 2);
        using var be = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 1 });
        Assert.That(be.MaxBatch, Is.EqualTo(2));
        var x = RandomInput(3 * 8 * 8, 3);
        var got = new float[5];
        be.Run(x, 1, got);
        var padded = x.Concat(new float[3 * 8 * 8]).ToArray();
        var want = DirectOrt(model.ToBytes(), padded, 2, 3, 8)[..5];
        Assert.That(got, Is.EqualTo(want).Within(1e-5));
        var ex = Assert.Throws<ArgumentException>(() => BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 4 }));
        Assert.That(ex.Message, Does.Contain("fixed batch of 2").And.Contain("MaxBatch 4"));
    }

    [Test]
    public void Taps_are_filled_and_consistent_with_logits()
    {
        var w = TestModels.MakeWeights(3, 4, 6, 9);
        var model = TestModels.PlainCnn(size: 9, classes: 6, w: w);
        using var be = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 2, Taps = new[] { "relu1", "conv1" } });
        var x = RandomInput(2 * 3 * 81, 5);
        var logits = new float[12];
        be.Run(x, 2, logits);
        Assert.That(be.Taps.Select(t => t.Name), Is.EqualTo(new[] { "relu1", "conv1" }));
        var relu = be.Taps[0];
        Assert.That(relu.Shape, Is.EqualTo(new[] { 2, 4, 9, 9 }));
        // Independent check: logits = fc(mean over H,W of the relu tap).
        for (int b = 0; b < 2; b++)
            for (int k = 0; k < 6; k++)
            {
                double acc = w.FcBias[k];
                for (int f = 0; f < 4; f++)
                    acc += w.Fc[k * 4 + f] * relu.Data.AsSpan((b * 4 + f) * 81, 81).ToArray().Average();
                Assert.That(logits[b * 6 + k], Is.EqualTo(acc).Within(1e-4), $"b{b} k{k}");
            }
        // relu tap = max(conv tap, 0)
        for (int i = 0; i < 2 * 4 * 81; i++)
            Assert.That(relu.Data[i], Is.EqualTo(Math.Max(be.Taps[1].Data[i], 0f)));
        var ex = Assert.Throws<ArgumentException>(() => BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { Taps = new[] { "nope" } }));
        Assert.That(ex.Message, Does.Contain("'nope'"));
    }

    [Test]
    public void A_tensor_tapped_twice_fills_both_taps()
    {
        // "relu1" twice is one graph output bound once; before the fix the second TapTensor stayed all zero.
        var model = TestModels.PlainCnn(size: 9, classes: 6);
        using var be = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 2, Taps = new[] { "relu1", "conv1", "relu1" } });
        using var single = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions { MaxBatch = 2, Taps = new[] { "relu1" } });
        var x = RandomInput(2 * 3 * 81, 6);
        var logits = new float[12];
        be.Run(x, 2, logits);
        single.Run(x, 2, logits);
        Assert.That(be.Taps.Select(t => t.Name), Is.EqualTo(new[] { "relu1", "conv1", "relu1" }));
        Assert.That(be.Taps[2].Shape, Is.EqualTo(be.Taps[0].Shape));
        Assert.That(single.Taps[0].Data.Any(v => v != 0), "the input gives a non-zero relu1");
        // Same session, same input: the values are identical, not just close.
        Assert.That(be.Taps[0].Data, Is.EqualTo(single.Taps[0].Data), "first occurrence");
        Assert.That(be.Taps[2].Data, Is.EqualTo(single.Taps[0].Data), "second occurrence");
    }

    [Test]
    public void Run_allocates_nothing()
    {
        using var be = BackendFactory.Create(Backend.OrtCpu, TestModels.PlainCnn(size: 16), new BackendOptions { MaxBatch = 2, Threads = 1, Taps = new[] { "relu1" } });
        var x = RandomInput(2 * 3 * 256, 1);
        var y = new float[20];
        Assert.That(SteadyState.BytesPerWindow(() => { be.Run(x, 2, y); be.Run(x.AsSpan(0, 768), 1, y); }), Is.EqualTo(0));
    }

    [Test]
    public void Names_are_checked()
    {
        var m = TestModels.PlainCnn();
        var ex = Assert.Throws<ArgumentException>(() => BackendFactory.Create((Backend)42, m));
        Assert.That(ex.Message, Does.StartWith("backend 42 is not a Backend; one of: Auto, OrtCpu, OrtDml, OrtCuda, Gl"));
        var auto = Assert.Throws<ArgumentException>(() => BackendFactory.Create(Backend.Auto, m));
        Assert.That(auto.Message, Does.StartWith("auto is resolved to a backend before one is made (BackendChoice); name one of: ort-cpu, ort-dml, ort-cuda, gl"));
        if (!BackendFactory.IsRegistered(Backend.Gl))
            Assert.That(Assert.Throws<NotSupportedException>(() => BackendFactory.Create(Backend.Gl, m)).Message, Does.Contain("'gl'"));
    }

    [Test]
    public void Dml_fails_clearly_where_unavailable()
    {
        if (OrtEnv.Instance().GetAvailableProviders().Contains("DmlExecutionProvider")) Assert.Ignore("DirectML is available here");
        var ex = Assert.Throws<NotSupportedException>(() => BackendFactory.Create(Backend.OrtDml, TestModels.PlainCnn()));
        Assert.That(ex.Message, Does.Contain("ort-dml needs").And.Contain("DirectML").And.Contain("Backend.OrtCpu"));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Cuda_fails_clearly_where_unavailable()
    {
        bool inBuild = OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        if (inBuild && OrtProviders.MissingCudaLibraries(OrtProviders.CanLoad) == null) Assert.Ignore("CUDA EP and its libraries are available here");
        var ex = Assert.Throws<NotSupportedException>(() => BackendFactory.Create(Backend.OrtCuda, TestModels.PlainCnn()));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
        if (inBuild)    // built with -p:RrCuda=true on a machine without CUDA 13 / cuDNN 9
            Assert.That(ex.Message, Does.StartWith("ort-cuda: ").And.Contain("not found").And.Contain("CUDA 13").And.Contain("cuDNN 9").And.Contain("Backend = Backend.OrtCpu"));
        else            // the default build: CPU-only ONNX Runtime
            Assert.That(ex.Message, Does.Contain("-p:RrCuda=true").And.Contain("Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0")
                                        .And.Contain("CUDA 13").And.Contain("Backend = Backend.OrtCpu").And.Contain("available providers: CPUExecutionProvider"));
    }

    [Test]
    public void Missing_cuda_libraries_are_named()
    {
        Assert.That(OrtProviders.MissingCudaLibraries(_ => true), Is.Null);
        Assert.That(OrtProviders.MissingCudaLibraries(_ => false), Is.EqualTo(string.Join(", ", OrtProviders.CudaLibraries)));
        Assert.That(OrtProviders.MissingCudaLibraries(l => l != "libcudnn.so.9" && l != "libcuda.so.1"), Is.EqualTo("libcuda.so.1, libcudnn.so.9"));
        // The list must cover what the CUDA build needs to start: runtime, cuBLAS, cuDNN and the driver.
        Assert.That(OrtProviders.CudaLibraries, Does.Contain("libcudart.so.13").And.Contain("libcudnn.so.9").And.Contain("libcuda.so.1"));
    }

    [Test]
    public void Loaded_onnx_runtime_is_the_referenced_release()
    {
        // The managed API (NuGet Microsoft.ML.OnnxRuntime.Managed) and the native library must be one release.
        var managed = typeof(OrtEnv).Assembly.GetName().Version;
        Assert.That(OrtProviders.Version, Is.EqualTo($"{managed.Major}.{managed.Minor}.{managed.Build}"));
        Assert.That(OrtProviders.Version, Is.EqualTo("1.30.0"));
    }
}
