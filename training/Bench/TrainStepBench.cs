using System.Diagnostics;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Models;

namespace ResNetRealtime.Training.Bench;

/// <summary>
/// Times training steps — zero grads, forward, cross-entropy, backward, a plain SGD update
/// (w −= lr·g) — on a fixed random batch, after warm-up steps. Reports the median step.
/// A benchmark, not a test: the machine is shared and noisy, so compare ratios from one run.
/// </summary>
public static class TrainStepBench
{
    public sealed record Result(string Model, int Batch, int Size, int Threads, int Steps, double MedianMs, double MinMs, double ImagesPerSecond, double[] StepMs)
    {
        public override string ToString() =>
            $"{Model} batch {Batch} {Size}x{Size} threads {Threads}: median {MedianMs:F1} ms/step (min {MinMs:F1}), {ImagesPerSecond:F0} images/s over {Steps} steps";
    }

    /// <summary>Builds <paramref name="model"/> by name and times it. threads 0 = all cores.</summary>
    public static Result Run(string model = "resnet20", int batch = 128, int size = 32, int classes = 10, int inChannels = 3,
        int steps = 10, int warmup = 2, int threads = 0, int seed = 0)
    {
        var net = ResNet.Create(model, classes, inChannels, seed);
        return Run(net, model, batch, size, steps, warmup, threads, seed);
    }

    public static Result Run(ResNet net, string label, int batch, int size, int steps = 10, int warmup = 2, int threads = 0, int seed = 0)
    {
        if (batch < 1 || size < 1 || steps < 1 || warmup < 0) throw new ArgumentException($"train bench: bad batch {batch} size {size} steps {steps} warmup {warmup}");
        int savedThreads = Workers.Threads;
        if (threads > 0) Workers.Threads = threads;
        try
        {
            var rng = new Random(seed);
            var x = new Tensor(batch, net.Config.InChannels, size, size);
            Init.Normal(x.Data, 1.0, rng);
            var labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = rng.Next(net.Config.Classes);
            var loss = new CrossEntropyLoss(0.1f);
            var parameters = net.Parameters().ToArray();
            net.Train();
            var times = new double[steps];
            for (int s = -warmup; s < steps; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Step(net, parameters, loss, x, labels, 0.01f);
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (s >= 0) times[s] = ms;
            }
            var sorted = (double[])times.Clone();
            Array.Sort(sorted);
            double median = steps % 2 == 1 ? sorted[steps / 2] : 0.5 * (sorted[steps / 2 - 1] + sorted[steps / 2]);
            return new Result(label, batch, size, Workers.Threads, steps, median, sorted[0], batch * 1000.0 / median, times);
        }
        finally { Workers.Threads = savedThreads; }
    }

    /// <summary>One step; returns the loss.</summary>
    public static double Step(ResNet net, Parameter[] parameters, CrossEntropyLoss loss, Tensor x, int[] labels, float lr)
    {
        foreach (var p in parameters) p.ZeroGrad();
        var logits = net.Forward(x);
        double l = loss.Forward(logits, labels);
        net.Backward(loss.Backward());
        foreach (var p in parameters)
        {
            if (!p.RequiresGrad) continue;
            var d = p.Data; var g = p.Grad;
            for (int i = 0; i < d.Length; i++) d[i] -= lr * g[i];
        }
        return l;
    }
}
