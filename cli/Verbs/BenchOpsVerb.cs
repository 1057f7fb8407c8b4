using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ResNetRealtime.Cli.Bench;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Tools.Models;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr bench-ops --backend gl|ort-cpu --model M [--size S] [--frames N] [--warmup W] [--threads T] [--json F]` — the time of
/// each layer (ggml's test-backend-ops perf mode): median over N frames, GFLOP/s, GB/s and share of the layers' sum.
/// Layers are the GL backend's (<see cref="GlNetworkBuilder"/>: BatchNorm folded, ReLU and residual Add fused into the
/// conv) on both backends, so rows line up. gl: a GL_TIME_ELAPSED query around each layer's dispatches, or glFinish-
/// bracketed CPU time where the driver has no timer query (the output says which). ort-cpu: ONNX Runtime's own profiler
/// (per-node kernel times), each node credited to the GL layer that computes its ONNX node; nodes of no layer (ORT's layout
/// reorders) are rows of their own, marked *.
/// </summary>
public static class BenchOpsVerb
{
    public static Command Create()
    {
        var backendOpt = Cli.Str("--backend", "B", "gl or ort-cpu", "gl");
        var modelOpt = Cli.Str("--model", "M", "an .onnx file, or a ResNet name (resnet18, resnet50, …) built with random weights (seed 0) at --size", required: true);
        var sizeOpt = Cli.Int("--size", "S", "square input size of a model built by name", 224, min: 32, max: 1024);
        var framesOpt = Cli.Int("--frames", "N", "timed frames (each layer's time is the median over them)", 20, min: 1);
        var warmupOpt = Cli.Int("--warmup", "W", "untimed frames first", 3, min: 0);
        var threadsOpt = Cli.Int("--threads", "T", "ONNX Runtime intra-op threads (ort-cpu)", 2, min: 0);
        var timingOpt = Cli.Str("--gl-timing", "auto|query|finish", "gl: GL_TIME_ELAPSED queries, glFinish-bracketed CPU time, or queries where the driver counts them", "auto");
        var jsonOpt = Cli.Str("--json", "F", "write the table as JSON", absent: "not written");
        var cmd = new Command("bench-ops", "Per-layer time, GFLOP/s, GB/s and share of the total on one backend (gl or ort-cpu), layers named as the GL backend lowers the model.")
            { backendOpt, modelOpt, sizeOpt, framesOpt, warmupOpt, threadsOpt, timingOpt, jsonOpt };
        cmd.SetAction(pr =>
        {
            string m = pr.GetValue(modelOpt);
            var backend = Cli.ParseBackend(pr.GetValue(backendOpt));
            bool byName = IsName(m);
            if (!byName) pr.NotApplicable("with an .onnx file (its own input size is used)", sizeOpt);
            if (backend != Backend.Gl) pr.NotApplicable($"with --backend {backend.ToName()}", timingOpt);
            if (backend == Backend.Gl) pr.NotApplicable("with --backend gl", threadsOpt);
            return Execute(backend, m, byName, pr.GetValue(sizeOpt), pr.GetValue(framesOpt), pr.GetValue(warmupOpt), pr.GetValue(threadsOpt),
                           pr.GetValue(timingOpt), pr.GetValue(jsonOpt), Cli.CommandLine(pr));
        });
        return cmd;
    }

    /// <summary>`rr bench-ops ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static bool IsName(string m) => ResNetSpec.KnownNames.Contains(m);

    static int Execute(Backend backend, string m, bool byName, int size, int frames, int warmup, int threads, string timing, string json, string commandLine)
    {
        if (backend is not (Backend.Gl or Backend.OrtCpu))
            throw new UsageException($"--backend: '{backend.ToName()}' has no per-layer mode; one of: {Backend.Gl.ToName()}, {Backend.OrtCpu.ToName()}");
        if (timing is not ("auto" or "query" or "finish")) throw new UsageException($"--gl-timing: '{timing}'; one of: auto, query, finish");
        OnnxModel model;
        if (byName) model = ResNetOnnxBuilder.Build(ResNetSpec.FromName(m, 1000, 3, size), seed: 0);
        else
        {
            string path = ResNetRealtime.Tools.Pretrained.ModelSource.Resolve(m);
            if (!File.Exists(path)) throw new FileNotFoundException($"--model: {path}: file not found (or give a ResNet name: {string.Join(", ", ResNetSpec.KnownNames)})");
            model = OnnxModel.Load(path);
        }
        // The layers both backends report: the GL lowering needs no GL context.
        var net = GlNetworkBuilder.Build(model);
        var inT = net.Tensors[net.Input];
        var input = new float[inT.Size];
        var rng = new Random(0);
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);

        string how;
        List<OpRow> rows;
        if (backend == Backend.Gl) (rows, how) = ProfileGl(model, input, frames, warmup, timing);
        else (rows, how) = ProfileOrt(model, net, input, frames, warmup, threads);

        Console.WriteLine($"bench-ops: backend {backend.ToName()}, model {(byName ? $"{m} (random weights, seed 0)" : m)}, input {inT.C}x{inT.H}x{inT.W}, batch 1, " +
                          $"{frames} frames + {warmup} warm-up; each row the median over the frames");
        Console.WriteLine($"timing: {how}");
        Console.WriteLine($"cpu: {Environment.ProcessorCount} logical cores; {CpuIsa.Describe()}");
        Console.Write(OpsReport.Table(rows));
        Console.WriteLine("share = the layer's median / the sum of the medians; GFLOP/s and GB/s at the median (a multiply-add = 2 FLOPs; bytes = " +
                          "inputs, residual, weights and output once, float32)" + (rows.Any(r => r.Extra) ? "; * = a backend node that is no GL layer" : ""));
        if (json != null)
        {
            var about = new Dictionary<string, string>
            {
                ["command"] = commandLine,
                ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["backend"] = backend.ToName(),
                ["model"] = m,
                ["input"] = $"{inT.C}x{inT.H}x{inT.W}",
                ["timing"] = how,
                ["frames"] = frames.ToString(CultureInfo.InvariantCulture),
                ["warmup"] = warmup.ToString(CultureInfo.InvariantCulture),
                ["machine"] = $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
                ["cpu_isa"] = string.Join(' ', CpuIsa.Present),
            };
            OpsReport.WriteJson(json, rows, about);
            Console.WriteLine($"wrote {json}");
        }
        return 0;
    }

    static (List<OpRow>, string) ProfileGl(OnnxModel model, float[] input, int frames, int warmup, string timing)
    {
        using var be = GlBackendFactory.Create(model, new BackendOptions(), new GlBackendOptions { Cam = false });
        var net = be.Network;
        string device = be.Context.Description;
        var mode = timing == "finish" ? GlLayerTiming.Finish : GlLayerTiming.TimerQuery;
        string why = timing == "finish" ? "asked for" : "";
        if (timing == "query" && !be.HasTimerQuery) throw new NotSupportedException($"--gl-timing query: the driver ({device}) counts no GL_TIME_ELAPSED (QUERY_COUNTER_BITS 0)");
        if (timing == "auto" && !be.HasTimerQuery) { mode = GlLayerTiming.Finish; why = "the driver has no GL_TIME_ELAPSED counter"; }
        for (int i = 0; i < Math.Max(warmup, 1); i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            double sum = be.ProfileLayers(input, 1, mode).Sum();
            double wall = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            // A driver may accept the queries and time something else: Mesa's llvmpipe runs a compute dispatch outside the
            // timed region and reports about a nanosecond per layer. Queries that account for under 2% of the blocking
            // call's wall time are not the layers' times.
            if (timing == "auto" && mode == GlLayerTiming.TimerQuery && sum < 0.02 * wall)
            {
                mode = GlLayerTiming.Finish;
                why = $"the driver's GL_TIME_ELAPSED queries sum to {sum.ToString("G3", CultureInfo.InvariantCulture)} ms for a {wall.ToString("F1", CultureInfo.InvariantCulture)} ms profiled inference";
            }
        }
        var times = new double[net.Ops.Count][];
        for (int l = 0; l < times.Length; l++) times[l] = new double[frames];
        for (int f = 0; f < frames; f++)
        {
            var ms = be.ProfileLayers(input, 1, mode);
            for (int l = 0; l < ms.Length; l++) times[l][f] = ms[l];
        }
        var rows = OpsReport.Layers(net, 1).Select((r, l) => r with { Ms = OpsReport.Median(times[l]) }).ToList();
        string how = mode == GlLayerTiming.TimerQuery
            ? $"GL_TIME_ELAPSED query per layer (GPU time) on {device}"
            : $"glFinish-bracketed CPU time per layer (wall time incl. submission; {why}) on {device}";
        return (rows, how);
    }

    static (List<OpRow>, string) ProfileOrt(OnnxModel model, GlNetwork net, float[] input, int frames, int warmup, int threads)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rr-bench-ops-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string file;
            using (var so = OrtBackend.MakeSessionOptions(Backend.OrtCpu, new BackendOptions { Threads = threads }))
            {
                // The prefix first: setting EnableProfiling passes the prefix set at that moment to ORT.
                so.ProfileOutputPathPrefix = Path.Combine(dir, "ort");
                so.EnableProfiling = true;
                using var session = new InferenceSession(model.ToBytes(), so);
                var inT = net.Tensors[net.Input];
                using var x = OrtValue.CreateTensorValueFromMemory(input, new long[] { 1, inT.C, inT.H, inT.W });
                using var ro = new RunOptions();
                string[] ins = [session.InputNames[0]], outs = [session.OutputNames[0]];
                for (int f = 0; f < warmup + frames; f++)
                    using (session.Run(ro, ins, [x], outs)) { }
                file = session.EndProfiling();
            }
            if (!File.Exists(file)) throw new FileNotFoundException($"ONNX Runtime's profile {file} was not written");
            var rows = MapOrtNodes(net, OrtNodeTimes(file), frames);
            return (rows, $"ONNX Runtime profiler (SessionOptions.EnableProfiling), per-node kernel time, CPU EP, {threads} thread(s), ORT {OrtProviders.Version}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>ORT's trace (a JSON array of events): per node, its op type and its kernel durations (ms) in run order.</summary>
    internal static Dictionary<string, (string Op, List<double> Ms)> OrtNodeTimes(string file)
    {
        const string suffix = "_kernel_time";
        var nodes = new Dictionary<string, (string, List<double>)>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var events = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("traceEvents");
        foreach (var e in events.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            string name = e.GetProperty("name").GetString();
            if (name == null || !name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            name = name[..^suffix.Length];
            string op = e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var o) ? o.GetString() : "?";
            if (!nodes.TryGetValue(name, out var v)) nodes[name] = v = (op, new List<double>());
            v.Item2.Add(e.GetProperty("dur").GetDouble() / 1000.0);
        }
        if (nodes.Count == 0) throw new InvalidDataException($"ONNX Runtime's profile {file} has no node kernel times");
        return nodes;
    }

    /// <summary>
    /// Credits each ORT node to the GL layer that computes its ONNX node: by name (the layer's own node, one it fused, or its
    /// output), or, for a node ORT rewrote (named after one of those plus "_suffix"), by the longest such name it starts with.
    /// Per layer the node times of the same run are summed, then the median over the last <paramref name="frames"/> runs taken.
    /// </summary>
    internal static List<OpRow> MapOrtNodes(GlNetwork net, Dictionary<string, (string Op, List<double> Ms)> nodes, int frames)
    {
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int l = 0; l < net.Ops.Count; l++)
        {
            var op = net.Ops[l];
            var o = net.Tensors[op.Output];
            // ORT names a node it rewrites after a node or its output ("stem_nchwc" for the Relu whose output is "stem").
            foreach (var n in op.Fused.Prepend(op.Name).Append(o.Name).Concat(o.Aliases)) owner.TryAdd(n, l);
        }
        var rows = OpsReport.Layers(net, 1);
        var perRun = rows.Select(_ => new double[frames]).ToArray();
        var hit = new bool[rows.Count];
        var extra = new List<OpRow>();
        foreach (var (name, (op, ms)) in nodes)
        {
            var last = ms.Skip(Math.Max(0, ms.Count - frames)).ToArray();
            int l = owner.TryGetValue(name, out int exact) ? exact
                : owner.Where(kv => name.StartsWith(kv.Key + "_", StringComparison.Ordinal)).OrderByDescending(kv => kv.Key.Length).Select(kv => kv.Value).DefaultIfEmpty(-1).First();
            if (l < 0) { extra.Add(new OpRow(name, $"{op} (ORT)", "-", OpsReport.Median(last), 0, 0, Extra: true)); continue; }
            hit[l] = true;
            for (int f = 0; f < last.Length; f++) perRun[l][frames - last.Length + f] += last[f];
        }
        for (int l = 0; l < rows.Count; l++) rows[l] = rows[l] with { Ms = hit[l] ? OpsReport.Median(perRun[l]) : 0 };
        rows.AddRange(extra.Select(r => r with { Layer = "* " + r.Layer }));
        return rows;
    }
}
