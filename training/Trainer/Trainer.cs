using ResNetRealtime.Runtime.IO;
using System.Diagnostics;
using System.Globalization;
using ResNetRealtime.Training.Data;
using ResNetRealtime.Training.Engine;
using ResNetRealtime.Training.Export;
using ResNetRealtime.Training.Kernels;
using ResNetRealtime.Training.Layers;
using ResNetRealtime.Training.Models;
using ResNetRealtime.Training.Optim;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// The training loop behind `rr train`, the same for both engines (<see cref="ITrainModel"/>: ours or
/// TorchSharp, chosen by TrainOptions.Engine/Device). The host ResNet of our engine defines architecture,
/// names, initial weights, --init-from, --freeze and parameter groups; the engine takes them from there.
/// Per step: schedule → zero grads → forward → cross-entropy (label smoothing) → backward → gradient-flow
/// norms → optimizer step. Per epoch: evaluation on the test split
/// (eval mode), DIR/metrics.json + .csv + curves.svg, DIR/gradflow.csv + .svg, and DIR/checkpoint.rrck
/// (atomic). At the end DIR/model.onnx with labels, mean/std, input size, architecture and recipe.
///
/// Exactness of --resume: data order and augmentation are functions of (seed, epoch, batch), the
/// schedule a function of the global step, and the checkpoint holds weights, BatchNorm statistics and
/// optimizer state; so a run resumed from any checkpoint computes what the uninterrupted run computes
/// (given the same thread count: the engine's reductions are split per thread).
///
/// Cancellation (Ctrl-C) is checked after each step: the step finishes, a checkpoint recording the
/// position within the epoch is written, and <see cref="Run"/> returns with <see cref="Result.Interrupted"/>.
///
/// Crash consistency: the checkpoint is the run's one committed state. It carries the epoch history and
/// the gradient-flow rows, and the other files (metrics.json/.csv, curves.svg, gradflow.csv/.svg) are
/// derived from it: written after it each epoch, and re-derived from it on --resume. So a SIGKILL anywhere
/// loses at most the work since the last checkpoint, which the resume recomputes exactly; the resume of a
/// finished run (killed after its last checkpoint) only finishes the writes. Temporary files of a killed
/// writer are removed at the start of the next run or resume (<see cref="AtomicFile.RemoveStaleTemps"/>).
/// Before the first checkpoint the committed state is DIR/run.json (the settings, written when the run starts):
/// --resume then starts the run again from them and ends where the uninterrupted run ends.
/// Each commit holds <see cref="SaveGate"/>, so a host that must exit at once (a second Ctrl-C) can wait
/// for the save in progress instead of tearing it.
/// </summary>
public sealed class Trainer
{
    public sealed record Result(IReadOnlyList<EpochMetrics> Epochs, bool Interrupted, string ModelPath, string CheckpointPath, int EpochsDone, int BatchInEpoch);

    /// <summary>Held while a run's state (checkpoint, then the files derived from it) is being written.
    /// Process-wide: `lock (SaveGate) Environment.Exit(...)` exits between saves, never inside one.</summary>
    public static readonly object SaveGate = new();

    readonly TrainOptions _o;
    readonly TextWriter _log;
    readonly ProgressBar _progress;
    /// <summary>Test hook: opens checkpoint temp files (inject a failing stream to simulate a full disk).</summary>
    internal Func<string, Stream> CheckpointStreamFactory { get; set; }
    /// <summary>Test hook: stop (as if Ctrl-C) after this many steps in this process; -1 = never.</summary>
    internal int StopAfterSteps { get; set; } = -1;

    public Trainer(TrainOptions options, TextWriter log = null, ProgressBar progress = null)
    {
        _o = options;
        _log = log ?? Console.Error;
        _progress = progress ?? new ProgressBar(_log);
    }

    /// <summary>Starts a new run in options.Out (an existing checkpoint there is an error: use Resume).</summary>
    public static Result Train(TrainOptions options, CancellationToken cancel = default, TextWriter log = null) =>
        new Trainer(options, log).Run(null, cancel);

    /// <summary>DIR/run.json: the run's settings, written (atomically) when it starts, before any training, so that a run
    /// stopped before its first checkpoint (killed during that write, say) can still be resumed: from the start.</summary>
    public const string RunFileName = "run.json";

    /// <summary>Continues the run whose checkpoint is in <paramref name="dir"/>; a run stopped before its first checkpoint
    /// starts again from its recorded settings (<see cref="RunFileName"/>) — the same run, since everything it computes is
    /// a function of those settings (given the same thread count).</summary>
    public static Result Resume(string dir, CancellationToken cancel = default, TextWriter log = null, int threads = 0)
    {
        string ckptPath = Path.Combine(dir, Checkpoint.FileName);
        if (!File.Exists(ckptPath))
        {
            string runPath = Path.Combine(dir, RunFileName);
            if (!File.Exists(runPath))
                throw new FileNotFoundException($"nothing to resume in {dir}: no {Checkpoint.FileName} and no {RunFileName} (the settings rr train records when a run starts)", ckptPath);
            var fresh = ReadRunFile(runPath);
            fresh.Out = dir;
            (log ?? Console.Error).WriteLine($"resuming {dir}: it stopped before its first checkpoint, so it starts again from its recorded settings ({RunFileName})");
            return new Trainer(fresh, log).Run(null, cancel, threads);
        }
        var ckpt = Checkpoint.Load(ckptPath);
        var o = TrainOptions.FromJson(ckpt.Options);
        o.Out = dir;
        return new Trainer(o, log).Run(ckpt, cancel, threads);
    }

    static void WriteRunFile(string path, TrainOptions o)
    {
        var doc = new System.Text.Json.Nodes.JsonObject { ["format"] = "rr-run-v1", ["options"] = o.ToJson() };
        AtomicFile.Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString())), KillPoint.OpenTemp(RunFileName));
    }

    static TrainOptions ReadRunFile(string path)
    {
        try
        {
            var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))?.AsObject();
            if ((string)doc?["format"] != "rr-run-v1" || doc["options"] is not System.Text.Json.Nodes.JsonObject opts)
                throw new InvalidDataException($"{path}: not an rr run file (expected format rr-run-v1 with options)");
            return TrainOptions.FromJson(opts);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed run file ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    public Result Run(Checkpoint resume, CancellationToken cancel, int threads = 0)
    {
        _o.Validate();
        if (_o.Engine == TrainEngines.Auto)
        {
            // Fixed here, before run.json and the checkpoints record it: a resume on another CPU keeps the run's engine.
            var (engine, note) = TrainEngines.Default;
            if (note != null) _log.WriteLine(note);
            _o.Engine = engine;
        }
        if (threads > 0) Workers.Threads = threads;
        string ckptPath = Path.Combine(_o.Out, Checkpoint.FileName);
        if (resume == null && File.Exists(ckptPath))
            throw new InvalidOperationException($"{_o.Out} already holds a checkpoint: continue it with --resume {_o.Out}, or choose another --out");

        TrainEngines.EnsureAvailable(_o.Engine, _o.Device);
        using var data = DataSource.Load(_o.Data, _o.Size, _o.Limit, _o.PerClass, _o.Channels);
        Directory.CreateDirectory(_o.Out);   // only once the data loaded: a typo leaves no empty folder behind
        var stale = AtomicFile.RemoveStaleTemps(_o.Out);
        if (stale.Count > 0) _log.WriteLine($"removed {stale.Count} temporary file(s) of a killed writer: {string.Join(", ", stale)}");
        if (resume == null) WriteRunFile(Path.Combine(_o.Out, RunFileName), _o);
        if (data.Height != data.Width)
            throw new InvalidDataException($"{_o.Data}: images are {data.Width}x{data.Height}; training needs square inputs — pass --size S");
        if (resume != null)
        {
            if (!resume.Classes.SequenceEqual(data.Classes))
                throw new InvalidDataException($"{_o.Data}: classes [{string.Join(",", data.Classes)}] differ from the checkpoint's [{string.Join(",", resume.Classes)}]");
            data.Mean = resume.Mean; data.Std = resume.Std;
        }

        var net = ResNet.Create(_o.Model, data.Classes.Length, data.Channels, _o.Seed, _o.ZeroInitResidual);
        var parameters = net.Parameters().ToList();
        var pretrained = new HashSet<string>(StringComparer.Ordinal);
        if (_o.InitFrom != null)
        {
            var r = PretrainedLoader.Load(net, _o.InitFrom);
            pretrained.UnionWith(r.LoadedParameters);
            if (resume == null && r.Mean?.Length == data.Channels) { data.Mean = r.Mean; data.Std = r.Std; }   // the backbone's own input scale
            if (resume == null)
                _log.WriteLine($"init-from {Path.GetFileName(_o.InitFrom)}: {r.LoadedParameters.Count} tensors loaded {r.Mode}" +
                               (r.NewHead ? $", new classifier head ({r.SourceClasses} → {data.Classes.Length} classes)" : ""));
        }
        var frozen = ApplyFreeze(net, _o.Freeze);
        foreach (var p in parameters)
            if (p.RequiresGrad && pretrained.Contains(p.Name)) p.Group = "pretrained";

        // The engine takes the host's weights and flags from here on; everything below is engine-neutral.
        using var model = TrainEngines.Create(_o.Engine, _o.Device, net);
        var opt = model.CreateOptimizer(_o.Optimizer, _o.Lr, _o.WeightDecay, _o.Momentum, _o.Nesterov, g => g == "pretrained" ? _o.PretrainedLrScale : 1.0);
        var train = new BatchLoader(data.Train, _o.Batch, data.Mean, data.Std,
            new Augmentation(_o.CropPad >= 0 ? _o.CropPad : Math.Max(1, data.Height / 8), _o.Flip ?? data.Kind != "mnist"), _o.Seed, shuffle: true);
        var test = new BatchLoader(data.Test, _o.Batch, data.Mean, data.Std, Augmentation.None, _o.Seed, shuffle: false);
        long totalSteps = (long)train.BatchesPerEpoch * _o.Epochs;
        var schedule = LrSchedule.Create(_o.Schedule, _o.Lr, totalSteps, (long)Math.Round(_o.Warmup * train.BatchesPerEpoch), _o.Optimizer == "sgd" ? _o.Momentum : 0.9);
        float smoothing = (float)_o.LabelSmoothing;
        var gradFlow = new GradientFlow(parameters);
        var history = new List<EpochMetrics>();

        int startEpoch = 0, startBatch = 0;
        long step = 0;
        double elapsedBefore = 0, lossSum = 0;
        long correct = 0, seen = 0;
        if (resume != null)
        {
            model.SetState(resume.Model);
            if (resume.OptimizerKind != opt.Kind) throw new InvalidDataException($"checkpoint optimizer is {resume.OptimizerKind}, options say {opt.Kind}");
            opt.LoadState(resume.OptimizerSteps, resume.OptimizerState.Select(t => (t.Name, t.Data)));
            opt.Momentum = resume.OptimizerMomentum;
            startEpoch = resume.EpochsDone; startBatch = resume.BatchInEpoch; step = resume.GlobalStep;
            elapsedBefore = resume.ElapsedS;
            lossSum = resume.PartialLossSum; correct = resume.PartialCorrect; seen = resume.PartialSeen;
            if (resume.History != null) history = resume.History.ToList();
            else history = MetricsFiles.Read(_o.Out).Where(e => e.Epoch <= startEpoch).ToList();
            if (resume.GradFlow != null) { gradFlow.History.Clear(); gradFlow.History.AddRange(resume.GradFlow); }
            else gradFlow.LoadCsv(_o.Out);
            gradFlow.History.RemoveAll(h => h.Epoch > startEpoch);
            // The derived files may lag the checkpoint (killed between the writes): bring them up to it first.
            lock (SaveGate) { MetricsFiles.Write(_o.Out, history); gradFlow.Write(_o.Out); }
            _log.WriteLine(startEpoch >= _o.Epochs
                ? $"finishing {_o.Out}: all {_o.Epochs} epochs are trained; writing the remaining files"
                : $"resuming {_o.Out} at epoch {startEpoch + 1}, batch {startBatch} (step {step} of {totalSteps}), engine {model.Engine} on {model.Device}");
        }
        else
        {
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"training {_o.Model} ({net.ParameterCount():N0} parameters) on {data.Kind} {data.Train.Count} train / {data.Test.Count} test images of {data.Channels}x{data.Height}x{data.Width}, {data.Classes.Length} classes; {_o.Epochs} epochs x {train.BatchesPerEpoch} batches of {_o.Batch}, engine {model.Engine} on {model.Device}, {Workers.Threads} threads"));
        }

        var clock = Stopwatch.StartNew();
        double Elapsed() => elapsedBefore + clock.Elapsed.TotalSeconds;
        int stepsThisProcess = 0;
        long firstStep = step;

        Checkpoint Snapshot(int epochsDone, int batchInEpoch) => new()
        {
            EpochsDone = epochsDone, BatchInEpoch = batchInEpoch, GlobalStep = step, ElapsedS = Elapsed(),
            PartialLossSum = lossSum, PartialCorrect = correct, PartialSeen = seen,
            OptimizerKind = opt.Kind, OptimizerSteps = opt.StepCount, OptimizerMomentum = opt.Momentum,
            Mean = data.Mean, Std = data.Std, Classes = data.Classes, Options = _o.ToJson(),
            Model = model.GetState().ToList(),
            History = history.ToList(), GradFlow = gradFlow.History.ToList(),
            OptimizerState = opt.StateBuffers().Select(b => new NamedTensor(b.Key, new[] { b.Values.Length }, (float[])b.Values.Clone())).ToList(),
        };

        bool overBudget = false;
        for (int epoch = startEpoch; epoch < _o.Epochs && !overBudget; epoch++)
        {
            model.Train(frozen);
            var epochClock = Stopwatch.StartNew();
            long seenAtStart = seen;
            int batchesDone = startBatch;
            foreach (var batch in train.Epoch(epoch, startBatch))
            {
                // The batch array stays untouched until the next batch is requested, i.e. past backward.
                var x = new Images(batch.X, batch.Count, data.Channels, data.Height, data.Width);
                schedule.Apply(opt, step);
                opt.ZeroGrad();
                var (loss, right) = model.ForwardBackward(x, batch.Y.AsSpan(0, batch.Count), smoothing);
                if (!double.IsFinite(loss))
                    throw new InvalidOperationException($"loss is {loss} at epoch {epoch + 1} batch {batch.Index} (lr {opt.LearningRate:G3}): training diverged; lower --lr");
                correct += right;
                gradFlow.Accumulate(model);
                opt.Step();
                step++; stepsThisProcess++;
                lossSum += loss * batch.Count; seen += batch.Count;
                batchesDone = batch.Index + 1;
                KillPoint.Hit("batch");
                if (_o.TimeBudget > 0 && Elapsed() >= _o.TimeBudget) overBudget = true;
                double ips = (seen - seenAtStart) / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9);
                double secPerStep = clock.Elapsed.TotalSeconds / Math.Max(step - firstStep, 1);
                _progress.Update(epoch + 1, _o.Epochs, batchesDone, train.BatchesPerEpoch, lossSum / seen, (double)correct / seen, ips,
                    secPerStep * (totalSteps - step), force: batchesDone == train.BatchesPerEpoch);
                if (overBudget)
                {
                    _progress.Line(string.Create(CultureInfo.InvariantCulture,
                        $"time budget {_o.TimeBudget:F0} s reached after epoch {epoch + 1} batch {batchesDone}/{train.BatchesPerEpoch} (step {step}, {Elapsed():F1} s): evaluating and exporting"));
                    break;
                }
                if (cancel.IsCancellationRequested || stepsThisProcess == StopAfterSteps)
                {
                    bool epochEnd = batchesDone == train.BatchesPerEpoch;
                    if (!epochEnd)
                    {
                        lock (SaveGate)
                        {
                            KillPoint.SaveDelay();
                            Snapshot(epoch, batchesDone).Save(ckptPath, CheckpointStreamFactory ?? KillPoint.OpenTemp(Checkpoint.FileName));
                        }
                        _progress.Line($"interrupted at epoch {epoch + 1}, batch {batchesDone}/{train.BatchesPerEpoch}: checkpoint saved; continue with: rr train --resume {_o.Out}");
                        return new Result(history, true, null, ckptPath, epoch, batchesDone);
                    }
                }
            }
            startBatch = 0;

            double testAcc = Evaluate(model, test, data);
            var m = new EpochMetrics(epoch + 1, lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1), testAcc, Elapsed());
            history.Add(m);
            gradFlow.EndEpoch(epoch + 1);
            lossSum = 0; correct = 0; seen = 0;
            lock (SaveGate)
            {
                KillPoint.SaveDelay();
                // A budget stop is the run's end: the checkpoint says all epochs are done, so --resume only finishes the files.
                Snapshot(overBudget ? _o.Epochs : epoch + 1, 0).Save(ckptPath, CheckpointStreamFactory ?? KillPoint.OpenTemp(Checkpoint.FileName));
                KillPoint.Hit("after-checkpoint");
                MetricsFiles.Write(_o.Out, history);
                KillPoint.Hit("after-metrics");
                gradFlow.Write(_o.Out);
                KillPoint.Hit("after-gradflow");
            }
            _progress.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}/{_o.Epochs}: train loss {m.TrainLoss:F4} acc {m.TrainAcc * 100:F2}%  test acc {m.TestAcc * 100:F2}%  ({epochClock.Elapsed.TotalSeconds:F1} s, {m.ElapsedS:F0} s total)"));
            if (!overBudget && (cancel.IsCancellationRequested || (StopAfterSteps >= 0 && stepsThisProcess >= StopAfterSteps)))
            {
                if (epoch + 1 < _o.Epochs)
                {
                    _progress.Line($"interrupted after epoch {epoch + 1}: checkpoint saved; continue with: rr train --resume {_o.Out}");
                    return new Result(history, true, null, ckptPath, epoch + 1, 0);
                }
            }
        }

        string modelPath = Path.Combine(_o.Out, "model.onnx");
        KillPoint.Hit("before-export");
        lock (SaveGate) OnnxExport.Save(modelPath, net, model.GetState(), data.Height, data.Classes, data.Mean, data.Std, _o.Recipe ?? DescribeRecipe(_o));
        _log.WriteLine($"wrote {modelPath}");
        KillPoint.Hit("after-export");
        return new Result(history, false, modelPath, ckptPath, _o.Epochs, 0);
    }

    /// <summary>Test-split accuracy in eval mode (BatchNorm running statistics).</summary>
    public static double Evaluate(ITrainModel model, BatchLoader test, DataSource data)
    {
        model.Eval();
        long right = 0, total = 0;
        foreach (var batch in test.Epoch(0))
        {
            var logits = model.Forward(new Images(batch.X, batch.Count, data.Channels, data.Height, data.Width));
            int k = logits.Length / batch.Count;
            for (int i = 0; i < batch.Count; i++)
            {
                var row = logits.AsSpan(i * k, k);
                int best = 0;
                for (int j = 1; j < k; j++) if (row[j] > row[best]) best = j;
                if (best == batch.Y[i]) right++;
            }
            total += batch.Count;
        }
        return total > 0 ? (double)right / total : 0;
    }

    /// <summary>The modules of the named stages: stem (conv1, bn1), layer1..layerN, fc.</summary>
    public static IEnumerable<Module> StageModules(ResNet net, IEnumerable<string> stages)
    {
        foreach (var s in stages ?? Array.Empty<string>())
        {
            if (s == "stem") { yield return net.Conv1; yield return net.Bn1; }
            else if (s == "fc") yield return net.Fc;
            else yield return net.Stages.First(st => st.Name == s);
        }
    }

    /// <summary>Marks the parameters of the named stages as frozen (RequiresGrad false); returns the stage
    /// names, which the engines keep in eval mode. Stages: stem (conv1, bn1), layer1..layerN, fc.</summary>
    public static List<string> ApplyFreeze(ResNet net, string stages)
    {
        var names = new List<string>();
        if (string.IsNullOrWhiteSpace(stages)) return names;
        var valid = new List<string> { "stem" };
        valid.AddRange(net.Stages.Select(s => s.Name));
        valid.Add("fc");
        foreach (var raw in stages.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var s = raw.ToLowerInvariant();
            if (!valid.Contains(s)) throw new ArgumentException($"--freeze: unknown stage '{raw}' (stages of {net.Config.Name}: {string.Join(", ", valid)})");
            if (!names.Contains(s)) names.Add(s);
        }
        foreach (var m in StageModules(net, names))
            foreach (var p in m.Parameters()) p.RequiresGrad = false;
        return names;
    }

    public static string DescribeRecipe(TrainOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"rr train --data {o.Data} --model {o.Model}{(o.Engine != "ours" ? $" --engine {o.Engine}" : "")}{(o.Device != "cpu" ? $" --device {o.Device}" : "")} --epochs {o.Epochs} --batch {o.Batch} --lr {o.Lr} --optimizer {o.Optimizer} --momentum {o.Momentum}{(o.Nesterov ? " --nesterov" : "")} --schedule {o.Schedule} --wd {o.WeightDecay} --label-smoothing {o.LabelSmoothing} --seed {o.Seed}");
}
