using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResNetRealtime.Training.Trainer;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr bench-train [--model resnet20] [--batch 128] [--size 32] [--engine ours,torchsharp] [--steps N] [--warmup W]
/// [--threads T] [--json F] [--no-torch]` (also spelt `rr bench --train …`): training steps per second of each
/// engine on random data, and PyTorch's in the same run when /usr/bin/python3 has torch.
/// </summary>
public static class BenchTrainVerb
{
    public static Command Create()
    {
        var modelOpt = Cli.Str("--model", "NAME", "architecture, as rr train --model", "resnet20");
        var batchOpt = Cli.Int("--batch", "N", "batch size", 128, 1, 65536);
        var sizeOpt = Cli.Int("--size", "S", "square input size", 32, 1, 4096);
        var enginesOpt = Cli.List("--engine", "ours,torchsharp", "training engines to time, in this order", "ours");
        var stepsOpt = Cli.Int("--steps", "N", "timed training steps", 10, 1, 100000);
        var warmupOpt = Cli.Int("--warmup", "W", "untimed steps first", 2, 0, 1000);
        var threadsOpt = Cli.Int("--threads", "T", "worker threads; 0 = all cores", 0, 0, 1024);
        var jsonOpt = Cli.Str("--json", "F", "write the figures as JSON", absent: "not written");
        var noTorchOpt = Cli.Flag("--no-torch", "skip the PyTorch comparison");
        var trainFlag = Cli.Flag("--train", "the old spelling's flag (rr bench --train)");
        trainFlag.Hidden = true;
        var cmd = new Command("bench-train", "Training speed (images/s) of each engine, beside PyTorch when python3-torch is installed " +
                                             "(also spelt rr bench --train).")
            { modelOpt, batchOpt, sizeOpt, enginesOpt, stepsOpt, warmupOpt, threadsOpt, jsonOpt, noTorchOpt, trainFlag };
        cmd.SetAction(pr => Execute(pr.GetValue(modelOpt), pr.GetValue(batchOpt), pr.GetValue(sizeOpt), pr.Items(enginesOpt), pr.GetValue(stepsOpt),
                                    pr.GetValue(warmupOpt), pr.GetValue(threadsOpt), pr.GetValue(jsonOpt), pr.GetValue(noTorchOpt)));
        return cmd;
    }

    /// <summary>`rr bench-train ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(string model, int batch, int size, string[] engines, int steps, int warmup, int threads, string json, bool noTorch)
    {
        engines = engines.Select(e => e.ToLowerInvariant()).ToArray();
        if (engines.Length == 0) throw new UsageException("--engine needs at least one engine");
        foreach (var e in engines)
        {
            if (!TrainVerb.Engines.Contains(e)) throw new UsageException($"--engine must be {string.Join(" or ", TrainVerb.Engines)} (got '{e}')");
            TrainVerb.RequireEngine(e);
        }
        if (engines.Distinct().Count() != engines.Length) throw new UsageException($"--engine names an engine twice ('{string.Join(",", engines)}')");

        try { return Compare(engines, model, batch, size, steps, warmup, threads, noTorch, json, Console.Out, Console.Error); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    // ---- MERGE(torchsharp): what follows stands in for the torch branch's TrainBench.Compare (same signature; it runs
    // each engine, PyTorch and the JSON). When merging, call TrainBench.Compare above and delete Compare, RunTorch and
    // FindScript here, and the refusal in TrainVerb.RequireEngine. ----

    /// <summary>Our engine's training bench, then PyTorch's unless <paramref name="noTorch"/>; one line each, and the JSON when asked.</summary>
    static int Compare(IReadOnlyList<string> engines, string model, int batch, int size, int steps, int warmup, int threads, bool noTorch, string json,
                       TextWriter output, TextWriter errors)
    {
        var r = TrainBench.Run(model, batch, size, steps, warmup, threads);   // engines is ["ours"]: RequireEngine refused the rest
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"engine  {r.Model} batch {r.Batch} {r.Size}x{r.Size}, {r.Threads} threads: {r.MedianMs:F1} ms/step median (min {r.MinMs:F1}) = {r.ImagesPerSecond:F0} images/s"));
        var report = new JsonObject
        {
            ["train.model"] = r.Model, ["train.batch"] = r.Batch, ["train.size"] = r.Size, ["train.threads"] = r.Threads, ["train.steps"] = r.Steps,
            ["train.median_ms"] = Math.Round(r.MedianMs, 3), ["train.images_per_s"] = Math.Round(r.ImagesPerSecond, 1),
        };
        if (!noTorch)
        {
            var torch = RunTorch(model, batch, size, steps, warmup, r.Threads, errors);
            if (torch != null)
            {
                double tips = (double)torch["images_per_s"];
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"PyTorch {model} batch {batch} {size}x{size}, {(int)torch["threads"]} threads: {(double)torch["median_ms"]:F1} ms/step median = {tips:F0} images/s"));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio engine/PyTorch: {r.ImagesPerSecond / tips:F2}x"));
                report["torch.images_per_s"] = Math.Round(tips, 1);
                report["torch.median_ms"] = Math.Round((double)torch["median_ms"], 3);
                report["train.ratio_vs_torch"] = Math.Round(r.ImagesPerSecond / tips, 3);
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

    /// <summary>Runs the PyTorch bench when /usr/bin/python3 has torch; null (with a note) otherwise.</summary>
    static JsonObject RunTorch(string model, int batch, int size, int steps, int warmup, int threads, TextWriter errors)
    {
        const string python = "/usr/bin/python3";
        var script = FindScript("training/scripts/torch_train_bench.py");
        if (!File.Exists(python) || script == null) { errors.WriteLine("rr bench-train: no PyTorch comparison (needs /usr/bin/python3 and training/scripts/torch_train_bench.py)"); return null; }
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
            errors.WriteLine(e.Contains("No module named 'torch'") ? "rr bench-train: no PyTorch comparison (python3-torch is not installed)"
                : $"rr bench-train: PyTorch bench failed (exit {p.ExitCode}): {e.Split('\n').LastOrDefault()}");
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
