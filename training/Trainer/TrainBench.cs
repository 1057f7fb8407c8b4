using System.Diagnostics;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Optim;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// `rr bench --train`: times full training steps as `rr train` runs them — zero grads, forward,
/// cross-entropy with label smoothing 0.1, backward, SGD (momentum 0.9, Nesterov, weight decay 5e-4) —
/// on a fixed random batch after warm-up steps; reports the median step. A benchmark, not a test.
/// The PyTorch counterpart is training/scripts/torch_train_bench.py (same model, batch, loss, optimizer).
/// </summary>
public static class TrainBench
{
    public sealed record Result(string Model, int Batch, int Size, int Threads, int Steps, double MedianMs, double MinMs, double ImagesPerSecond);

    public static Result Run(string model, int batch, int size, int steps, int warmup = 2, int threads = 0, int classes = 10, int inChannels = 3, int seed = 0)
    {
        if (batch < 1 || size < 1 || steps < 1 || warmup < 0)
            throw new ArgumentException($"train bench: bad batch {batch}, size {size}, steps {steps} or warm-up {warmup}");
        int saved = Workers.Threads;
        if (threads > 0) Workers.Threads = threads;
        try
        {
            var net = ResNet.Create(model, classes, inChannels, seed);
            var rng = new Random(seed);
            var x = new Tensor(batch, inChannels, size, size);
            Init.Normal(x.Data, 1.0, rng);
            var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(classes)).ToArray();
            var ce = new CrossEntropyLoss(0.1f);
            var opt = new Sgd(net.Parameters().ToList(), 0.01, 0.9, nesterov: true, weightDecay: 5e-4);
            net.Train();
            var times = new double[steps];
            for (int s = -warmup; s < steps; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                opt.ZeroGrad();
                ce.Forward(net.Forward(x), labels);
                net.Backward(ce.Backward());
                opt.Step();
                if (s >= 0) times[s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(times);
            double median = steps % 2 == 1 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
            return new Result(model, batch, size, Workers.Threads, steps, median, times[0], batch * 1000.0 / median);
        }
        finally { Workers.Threads = saved; }
    }
}
