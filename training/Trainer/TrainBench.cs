using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Models;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// `rr bench --train`: times full training steps as `rr train` runs them — zero grads, forward,
/// cross-entropy with label smoothing 0.1, backward, SGD (momentum 0.9, Nesterov, weight decay 5e-4 on
/// conv/linear weights) — on a fixed random batch after warm-up steps, for each engine asked, through the
/// same <see cref="ITrainModel"/> the trainer uses; reports the median step. PyTorch's counterpart is
/// training/scripts/torch_train_bench.py (same model, batch, loss, optimizer), run in the same session so
/// the ratios compare like with like on a shared, noisy machine. A benchmark, not a test.
/// </summary>
public static class TrainBench
{
    public sealed record Result(string Engine, string Model, int Batch, int Size, int Threads, int Steps, double MedianMs, double MinMs, double ImagesPerSecond);

    public static Result Run(string model, int batch, int size, int steps, int warmup = 2, int threads = 0, int classes = 10, int inChannels = 3, int seed = 0, string engine = "ours")
    {
        if (batch < 1 || size < 1 || steps < 1 || warmup < 0)
            throw new ArgumentException($"train bench: bad batch {batch}, size {size}, steps {steps} or warm-up {warmup}");
        int saved = Workers.Threads;
        if (threads > 0) Workers.Threads = threads;
        try
        {
            var net = ResNet.Create(model, classes, inChannels, seed);
            using var m = TrainEngines.Create(engine, "cpu", net);
            var rng = new Random(seed);
            var x = new float[batch * inChannels * size * size];
            Init.Normal(x, 1.0, rng);
            var images = new Images(x, batch, inChannels, size, size);
            var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(classes)).ToArray();
            var opt = m.CreateOptimizer("sgd", 0.01, 5e-4, 0.9, nesterov: true, _ => 1.0);
            m.Train(Array.Empty<string>());
            var times = new double[steps];
            for (int s = -warmup; s < steps; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                opt.ZeroGrad();
                m.ForwardBackward(images, labels, 0.1f);
                opt.Step();
                if (s >= 0) times[s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(times);
            double median = steps % 2 == 1 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
            return new Result(engine, model, batch, size, Workers.Threads, steps, median, times[0], batch * 1000.0 / median);
        }
        finally { Workers.Threads = saved; }
    }

    /// <summary>
    /// Runs each engine in <paramref name="engines"/>, then PyTorch unless <paramref name="noTorch"/>, prints
    /// one line each and the ratios to the first engine, and writes <paramref name="json"/> when given.
    /// Keys: train.* for the first engine (as before), engine.NAME.* for each, torch.* and ratios.
    /// An engine that cannot run here (TorchSharp natives missing) is one line and skipped.
    /// </summary>
    public static int Compare(IReadOnlyList<string> engines, string model, int batch, int size, int steps, int warmup, int threads, bool noTorch, string json, TextWriter output, TextWriter errors)
    {
        foreach (var e in engines) TrainEngines.Validate(e, "cpu");
        var results = new List<Result>();
        var report = new JsonObject();
        foreach (var e in engines)
        {
            Result r;
            try { r = Run(model, batch, size, steps, warmup, threads, engine: e); }
            catch (NotSupportedException ex) { errors.WriteLine($"rr bench: engine {e} skipped: {ex.Message}"); continue; }
            results.Add(r);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Label(e),-10} {r.Model} batch {r.Batch} {r.Size}x{r.Size}, {r.Threads} threads: {r.MedianMs:F1} ms/step median (min {r.MinMs:F1}) = {r.ImagesPerSecond:F0} images/s"));
            if (results.Count == 1)
            {
                report["train.engine"] = r.Engine; report["train.model"] = r.Model; report["train.batch"] = r.Batch; report["train.size"] = r.Size;
                report["train.threads"] = r.Threads; report["train.steps"] = r.Steps;
                report["train.median_ms"] = Math.Round(r.MedianMs, 3); report["train.images_per_s"] = Math.Round(r.ImagesPerSecond, 1);
            }
            report[$"engine.{e}.median_ms"] = Math.Round(r.MedianMs, 3);
            report[$"engine.{e}.images_per_s"] = Math.Round(r.ImagesPerSecond, 1);
        }
        if (results.Count == 0) throw new NotSupportedException($"no training engine could run here ({string.Join(", ", engines)})");
        var first = results[0];
        foreach (var r in results.Skip(1))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {first.Engine}/{r.Engine}: {first.ImagesPerSecond / r.ImagesPerSecond:F2}x"));
            report[$"ratio.{first.Engine}_vs_{r.Engine}"] = Math.Round(first.ImagesPerSecond / r.ImagesPerSecond, 3);
        }
        if (!noTorch)
        {
            var torch = RunTorch(model, batch, size, steps, warmup, first.Threads, errors);
            if (torch != null)
            {
                double tips = (double)torch["images_per_s"];
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"PyTorch",-10} {model} batch {batch} {size}x{size}, {(int)torch["threads"]} threads: {(double)torch["median_ms"]:F1} ms/step median = {tips:F0} images/s"));
                report["torch.images_per_s"] = Math.Round(tips, 1);
                report["torch.median_ms"] = Math.Round((double)torch["median_ms"], 3);
                foreach (var r in results)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {r.Engine}/PyTorch: {r.ImagesPerSecond / tips:F2}x"));
                    report[$"engine.{r.Engine}.ratio_vs_torch"] = Math.Round(r.ImagesPerSecond / tips, 3);
                }
                report["train.ratio_vs_torch"] = Math.Round(first.ImagesPerSecond / tips, 3);
            }
        }
        if (json != null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(json));
            if (dir != null) Directory.CreateDirectory(dir);
            File.WriteAllText(json, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        return 0;
    }

    static string Label(string engine) => engine == "ours" ? "engine" : engine == "torchsharp" ? "TorchSharp" : engine;

    /// <summary>Runs the PyTorch bench when /usr/bin/python3 has torch; null (with a note) otherwise.</summary>
    static JsonObject RunTorch(string model, int batch, int size, int steps, int warmup, int threads, TextWriter errors)
    {
        const string python = "/usr/bin/python3";
        var script = FindScript("training/scripts/torch_train_bench.py");
        if (!File.Exists(python) || script == null) { errors.WriteLine("rr bench: no PyTorch comparison (needs /usr/bin/python3 and training/scripts/torch_train_bench.py)"); return null; }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var s in new[] { script, "--model", model, "--batch", $"{batch}", "--size", $"{size}", "--steps", $"{steps}", "--warmup", $"{warmup}", "--threads", $"{threads}" })
            psi.ArgumentList.Add(s);
        using var p = Process.Start(psi);
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            string e = err.Result.Trim();
            errors.WriteLine(e.Contains("No module named 'torch'") ? "rr bench: no PyTorch comparison (python3-torch is not installed)"
                : $"rr bench: PyTorch bench failed (exit {p.ExitCode}): {e.Split('\n').LastOrDefault()}");
            return null;
        }
        var line = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        return line == null ? null : JsonNode.Parse(line).AsObject();
    }

    static string FindScript(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, relative);
            if (File.Exists(p)) return p;
        }
        var cwd = Path.Combine(Directory.GetCurrentDirectory(), relative);
        return File.Exists(cwd) ? cwd : null;
    }
}
