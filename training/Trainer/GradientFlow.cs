using ResNetRealtime.Runtime.IO;
using System.Globalization;
using System.Text;
using ResNetRealtime.Training.Charts;
using ResNetRealtime.Training.Engine;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// Per-layer gradient norms (the seeds' backward hooks, without hooks): after each backward the trainer
/// calls <see cref="Accumulate"/>, which adds the L2 norm of every trainable weight's gradient; at the
/// end of an epoch <see cref="EndEpoch"/> records the mean norm per layer over that epoch's steps.
/// Files: DIR/gradflow.csv (epoch,layer,mean_grad_norm — layers in model order) and DIR/gradflow.svg
/// (one line per epoch across the layers, log scale: vanishing or exploding gradients show as slopes).
/// Only weights are tracked (not biases or BatchNorm shifts): one entry per conv / linear / BN scale.
/// </summary>
public sealed class GradientFlow
{
    readonly Parameter[] _tracked;
    readonly string[] _names;
    readonly double[] _sum;
    int _steps;

    public GradientFlow(IEnumerable<Parameter> parameters)
    {
        _tracked = parameters.Where(p => p.RequiresGrad && p.Name.EndsWith(".weight", StringComparison.Ordinal)).ToArray();
        _names = _tracked.Select(p => p.Name).ToArray();
        _sum = new double[_tracked.Length];
    }

    public IReadOnlyList<string> Layers => _tracked.Select(p => p.Name[..^".weight".Length]).ToArray();
    /// <summary>Rows so far: (epoch, per-layer mean norm).</summary>
    public List<(int Epoch, double[] Norms)> History { get; } = new();

    /// <summary>Adds the norms the engine computes (its gradients may live off the host, e.g. in libtorch).</summary>
    public void Accumulate(ITrainModel model)
    {
        var norms = model.GradientNorms(_names);
        for (int i = 0; i < norms.Length; i++) _sum[i] += norms[i];
        _steps++;
    }

    public void Accumulate()
    {
        for (int i = 0; i < _tracked.Length; i++)
        {
            double s = 0;
            foreach (var g in _tracked[i].Grad) s += (double)g * g;
            _sum[i] += Math.Sqrt(s);
        }
        _steps++;
    }

    public double[] EndEpoch(int epoch)
    {
        var norms = _sum.Select(s => _steps > 0 ? s / _steps : 0).ToArray();
        History.Add((epoch, norms));
        Array.Clear(_sum);
        _steps = 0;
        return norms;
    }

    /// <summary>Restores rows from gradflow.csv (--resume of a checkpoint older than Checkpoint.GradFlow).</summary>
    public void LoadCsv(string dir)
    {
        var path = Path.Combine(dir, "gradflow.csv");
        if (!File.Exists(path)) return;
        var layers = Layers;
        var rows = new SortedDictionary<int, double[]>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length != 3) continue;
            int e = int.Parse(f[0], CultureInfo.InvariantCulture);
            int li = IndexOf(layers, f[1]);
            if (li < 0) continue;
            if (!rows.TryGetValue(e, out var arr)) rows[e] = arr = new double[layers.Count];
            arr[li] = double.Parse(f[2], CultureInfo.InvariantCulture);
        }
        History.Clear();
        foreach (var (e, arr) in rows) History.Add((e, arr));
    }

    static int IndexOf(IReadOnlyList<string> list, string s)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == s) return i;
        return -1;
    }

    public void Write(string dir)
    {
        var layers = Layers;
        var csv = new StringBuilder("epoch,layer,mean_grad_norm\n");
        foreach (var (e, norms) in History)
            for (int i = 0; i < layers.Count; i++)
                csv.Append(CultureInfo.InvariantCulture, $"{e},{layers[i]},{norms[i]:R}\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "gradflow.csv"), csv.ToString(), KillPoint.OpenTemp("gradflow.csv"));
        var x = Enumerable.Range(0, layers.Count).Select(i => (double)i).ToArray();
        var series = History.Select(h => new SvgChart.Series($"epoch {h.Epoch}", x, h.Norms)).ToList();
        AtomicFile.WriteAllText(Path.Combine(dir, "gradflow.svg"),
            SvgChart.Render($"Mean gradient norm per layer (0 = {(layers.Count > 0 ? layers[0] : "")}, {layers.Count - 1} = {(layers.Count > 0 ? layers[^1] : "")})",
                            "layer index (model order)", series, leftLabel: "‖grad‖ (log)", logLeft: true), KillPoint.OpenTemp("gradflow.svg"));
    }
}
