using ResNetRealtime.Runtime.IO;
using ResNetRealtime.Training.Charts;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResNetRealtime.Training.Trainer;

/// <summary>One epoch's figures, as written to metrics.json / metrics.csv.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAcc, double TestAcc, double ElapsedS);

/// <summary>
/// The run's record: DIR/metrics.json <c>{"epochs":[{"epoch","train_loss","train_acc","test_acc","elapsed_s"}]}</c>,
/// the same as DIR/metrics.csv, and DIR/curves.svg (loss and accuracies per epoch). Epochs are 1-based;
/// elapsed_s is wall time since the start of training (carried across --resume). Accuracies are fractions.
/// </summary>
public static class MetricsFiles
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(string dir, IReadOnlyList<EpochMetrics> epochs)
    {
        var json = new
        {
            epochs = epochs.Select(e => new Dictionary<string, object>
            {
                ["epoch"] = e.Epoch, ["train_loss"] = Round(e.TrainLoss), ["train_acc"] = Round(e.TrainAcc),
                ["test_acc"] = Round(e.TestAcc), ["elapsed_s"] = Math.Round(e.ElapsedS, 3),
            }).ToArray(),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }), KillPoint.OpenTemp("metrics.json"));
        var csv = new StringBuilder("epoch,train_loss,train_acc,test_acc,elapsed_s\n");
        foreach (var e in epochs)
            csv.Append(Inv, $"{e.Epoch},{e.TrainLoss:R},{e.TrainAcc:R},{e.TestAcc:R},{Math.Round(e.ElapsedS, 3)}\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.csv"), csv.ToString(), KillPoint.OpenTemp("metrics.csv"));
        var x = epochs.Select(e => (double)e.Epoch).ToArray();
        AtomicFile.WriteAllText(Path.Combine(dir, "curves.svg"), SvgChart.Render("Training curves", "epoch",
            new[]
            {
                new SvgChart.Series("train loss", x, epochs.Select(e => e.TrainLoss).ToArray(), RightAxis: true),
                new SvgChart.Series("train acc", x, epochs.Select(e => e.TrainAcc).ToArray()),
                new SvgChart.Series("test acc", x, epochs.Select(e => e.TestAcc).ToArray()),
            }, leftLabel: "accuracy", rightLabel: "loss"), KillPoint.OpenTemp("curves.svg"));
    }

    // Full precision (shortest round-trip form): --resume reads earlier epochs back from metrics.json and
    // must get the very numbers the uninterrupted run would have written.
    static double Round(double v) => v;

    /// <summary>Reads metrics.json back (tests; --resume of a checkpoint older than Checkpoint.History).</summary>
    public static List<EpochMetrics> Read(string dir)
    {
        var path = Path.Combine(dir, "metrics.json");
        if (!File.Exists(path)) return new List<EpochMetrics>();
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("epochs").EnumerateArray().Select(e => new EpochMetrics(
            e.GetProperty("epoch").GetInt32(), e.GetProperty("train_loss").GetDouble(), e.GetProperty("train_acc").GetDouble(),
            e.GetProperty("test_acc").GetDouble(), e.GetProperty("elapsed_s").GetDouble())).ToList();
    }
}
