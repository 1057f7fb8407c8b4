using ResNetRealtime.Runtime.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResNetRealtime.Training.Trainer;

/// <summary>A named float tensor (model weights, BatchNorm running statistics, optimizer buffers).</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data);

/// <summary>
/// Everything --resume needs to continue a run exactly: the model's state (parameters and BatchNorm
/// running statistics, by torchvision name), the optimizer's buffers and step count, the position in
/// training (epoch, batch within it, global step — the data order and augmentation are functions of the
/// seed, epoch and batch, so no RNG object needs saving), the partial sums of an interrupted epoch,
/// the normalisation constants, and the run's options (a JSON object, so a resumed run needs no flags).
/// It also carries the run's record so far — every finished epoch's metrics and gradient-flow row — so
/// that metrics.json/.csv, curves.svg and gradflow.csv/.svg are derived from the checkpoint alone: the
/// checkpoint is the one committed state, and a kill between its rename and the other writes loses nothing.
///
/// File "DIR/checkpoint.rrck" (little-endian):
///   "RRCKPT1\n" · int32 header length · header JSON (UTF-8) ·
///   int32 model tensor count · tensors · int32 optimizer tensor count · tensors · "RREND\n"
///   tensor = int32 name length · name (UTF-8) · int32 rank · int32 dims[rank] · float32 data
/// The trailer catches truncation; writes go through <see cref="AtomicFile"/>.
/// </summary>
public sealed class Checkpoint
{
    public const string FileName = "checkpoint.rrck";
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("RRCKPT1\n");
    static readonly byte[] Trailer = Encoding.ASCII.GetBytes("RREND\n");

    /// <summary>Epochs fully finished (evaluated and recorded).</summary>
    public int EpochsDone { get; set; }
    /// <summary>Batches already trained in epoch EpochsDone (0 at an epoch boundary; > 0 after Ctrl-C).</summary>
    public int BatchInEpoch { get; set; }
    /// <summary>Optimizer steps so far: the schedule's position.</summary>
    public long GlobalStep { get; set; }
    public double ElapsedS { get; set; }
    /// <summary>Sums of the interrupted epoch so far: loss·images, correct predictions, images.</summary>
    public double PartialLossSum { get; set; }
    public long PartialCorrect { get; set; }
    public long PartialSeen { get; set; }
    public string OptimizerKind { get; set; }
    public long OptimizerSteps { get; set; }
    public double OptimizerMomentum { get; set; }
    public float[] Mean { get; set; }
    public float[] Std { get; set; }
    public string[] Classes { get; set; }
    /// <summary>The run's options (see TrainOptions), stored verbatim.</summary>
    public JsonObject Options { get; set; } = new();
    public List<NamedTensor> Model { get; set; } = new();
    public List<NamedTensor> OptimizerState { get; set; } = new();
    /// <summary>The finished epochs' metrics, 1..EpochsDone (null: a checkpoint written before they were kept).</summary>
    public List<EpochMetrics> History { get; set; }
    /// <summary>The finished epochs' mean gradient norms per tracked layer (GradientFlow.History).</summary>
    public List<(int Epoch, double[] Norms)> GradFlow { get; set; }

    public void Save(string path, Func<string, Stream> openTemp = null) => AtomicFile.Write(path, WriteTo, openTemp);

    public void WriteTo(Stream s)
    {
        var header = new JsonObject
        {
            ["format"] = "rr-checkpoint-v1",
            ["epochs_done"] = EpochsDone, ["batch_in_epoch"] = BatchInEpoch, ["global_step"] = GlobalStep,
            ["elapsed_s"] = ElapsedS, ["partial_loss_sum"] = PartialLossSum, ["partial_correct"] = PartialCorrect,
            ["partial_seen"] = PartialSeen, ["optimizer"] = OptimizerKind, ["optimizer_steps"] = OptimizerSteps,
            ["optimizer_momentum"] = OptimizerMomentum,
            ["mean"] = new JsonArray(Mean.Select(v => (JsonNode)v).ToArray()),
            ["std"] = new JsonArray(Std.Select(v => (JsonNode)v).ToArray()),
            ["classes"] = new JsonArray(Classes.Select(v => (JsonNode)v).ToArray()),
            ["options"] = JsonNode.Parse(Options.ToJsonString()),
        };
        // Doubles are written in their shortest round-trip form: a resumed run re-derives the very numbers.
        if (History != null)
            header["history"] = new JsonArray(History.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch, ["train_loss"] = e.TrainLoss, ["train_acc"] = e.TrainAcc, ["test_acc"] = e.TestAcc, ["elapsed_s"] = e.ElapsedS,
            }).ToArray());
        if (GradFlow != null)
            header["gradflow"] = new JsonArray(GradFlow.Select(g => (JsonNode)new JsonObject
            {
                ["epoch"] = g.Epoch, ["norms"] = new JsonArray(g.Norms.Select(v => (JsonNode)v).ToArray()),
            }).ToArray());
        using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        var hb = Encoding.UTF8.GetBytes(header.ToJsonString());
        w.Write(hb.Length);
        w.Write(hb);
        WriteTensors(w, Model);
        WriteTensors(w, OptimizerState);
        w.Write(Trailer);
        w.Flush();
    }

    static void WriteTensors(BinaryWriter w, List<NamedTensor> tensors)
    {
        w.Write(tensors.Count);
        foreach (var t in tensors)
        {
            var nb = Encoding.UTF8.GetBytes(t.Name);
            w.Write(nb.Length);
            w.Write(nb);
            w.Write(t.Shape.Length);
            foreach (var d in t.Shape) w.Write(d);
            w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()));
        }
    }

    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        using var s = new BufferedStream(File.OpenRead(path), 1 << 20);
        using var r = new BinaryReader(s, Encoding.UTF8);
        try
        {
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not an rr checkpoint (bad magic)");
            int hl = r.ReadInt32();
            if (hl < 2 || hl > 1 << 24) throw new InvalidDataException($"{path}: bad header length {hl}");
            var h = JsonNode.Parse(Encoding.UTF8.GetString(r.ReadBytes(hl))).AsObject();
            var c = new Checkpoint
            {
                EpochsDone = (int)h["epochs_done"], BatchInEpoch = (int)h["batch_in_epoch"], GlobalStep = (long)h["global_step"],
                ElapsedS = (double)h["elapsed_s"], PartialLossSum = (double)h["partial_loss_sum"], PartialCorrect = (long)h["partial_correct"],
                PartialSeen = (long)h["partial_seen"], OptimizerKind = (string)h["optimizer"], OptimizerSteps = (long)h["optimizer_steps"],
                OptimizerMomentum = (double)h["optimizer_momentum"],
                Mean = h["mean"].AsArray().Select(v => (float)v).ToArray(),
                Std = h["std"].AsArray().Select(v => (float)v).ToArray(),
                Classes = h["classes"].AsArray().Select(v => (string)v).ToArray(),
                Options = h["options"].AsObject(),
            };
            h.Remove("options");
            c.History = h["history"]?.AsArray().Select(e => new EpochMetrics((int)e["epoch"], (double)e["train_loss"], (double)e["train_acc"],
                                                                           (double)e["test_acc"], (double)e["elapsed_s"])).ToList();
            c.GradFlow = h["gradflow"]?.AsArray().Select(g => ((int)g["epoch"], g["norms"].AsArray().Select(v => (double)v).ToArray())).ToList();
            c.Model = ReadTensors(r, path);
            c.OptimizerState = ReadTensors(r, path);
            if (!r.ReadBytes(Trailer.Length).AsSpan().SequenceEqual(Trailer)) throw new InvalidDataException($"{path}: checkpoint trailer missing (truncated or corrupt)");
            return c;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint");
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed checkpoint header ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    static List<NamedTensor> ReadTensors(BinaryReader r, string path)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > 1 << 20) throw new InvalidDataException($"{path}: bad tensor count {n}");
        var list = new List<NamedTensor>(n);
        for (int i = 0; i < n; i++)
        {
            int nl = r.ReadInt32();
            if (nl < 0 || nl > 4096) throw new InvalidDataException($"{path}: bad tensor name length {nl}");
            string name = Encoding.UTF8.GetString(r.ReadBytes(nl));
            int rank = r.ReadInt32();
            if (rank < 0 || rank > 8) throw new InvalidDataException($"{path}: tensor {name} has rank {rank}");
            var shape = new int[rank];
            long count = 1;
            for (int k = 0; k < rank; k++) { shape[k] = r.ReadInt32(); if (shape[k] < 0) throw new InvalidDataException($"{path}: tensor {name} has a negative dimension"); count *= shape[k]; }
            if (count > 1 << 28) throw new InvalidDataException($"{path}: tensor {name} is too large ({count} values)");
            var data = new float[count];
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
            r.BaseStream.ReadExactly(bytes);
            list.Add(new NamedTensor(name, shape, data));
        }
        return list;
    }
}
