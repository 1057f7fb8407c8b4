using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr infer --model M.onnx --compare A,B [--input X.npy] [--tolerance 1e-4] [--seed S]` — runs two backends
/// layer by layer (every Conv/BN, Relu, Add, pool output as a tap, then the logits), prints a table of
/// differences relative to each tensor's max |A| and names the first tensor over tolerance.
/// Without --input a seeded N(0,1)-like random image of the model's input size is used.
/// Exit 0 when all tensors agree, 1 when they diverge. Called by InferVerb with the full infer arguments.
/// </summary>
public static class CompareVerb
{
    public static int Run(string[] args)
    {
        var a = new Args(args);
        string modelPath = a.Required("model");
        var pair = a.List("compare");
        string inputPath = a.String("input");
        double tol = a.Double("tolerance", 1e-4);
        int seed = a.Int("seed", 0);
        foreach (var noUse in new[] { "output", "taps", "taps-out", "backend" })
            if (a.Has(noUse)) throw new UsageException($"--{noUse} does not apply to --compare (it runs the two backends named there and prints a report)");
        a.Int("threads", 0, min: 0); a.Int("topk", 5, min: 1); // accepted from infer's argument set, unused here
        a.Finish();
        if (pair.Length != 2) throw new UsageException($"--compare needs two backends, e.g. --compare ort-cpu,gl (got '{string.Join(",", pair)}')");
        if (!(tol > 0)) throw new UsageException($"--tolerance must be > 0 (got {tol})");
        foreach (var b in pair) BackendFactory.Validate(b);

        var model = OnnxModel.Load(modelPath);
        var inInfo = model.Graph.RealInputs().FirstOrDefault() ?? throw new InvalidDataException($"{modelPath}: the graph has no input");
        var dims = inInfo.ShapeOrMinusOne();
        if (dims == null || dims.Length != 4 || dims.Skip(1).Any(d => d <= 0))
            throw new InvalidDataException($"{modelPath}: input '{inInfo.Name}' must be [N,C,H,W] with fixed C,H,W to compare");
        int c = (int)dims[1], h = (int)dims[2], w = (int)dims[3];

        float[] x;
        int batch;
        if (inputPath != null)
        {
            if (!inputPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"--compare takes a .npy tensor as --input (got {inputPath})");
            var arr = Npy.Read(inputPath);
            if (arr.Shape.Length != 4 || arr.Shape[1] != c || arr.Shape[2] != h || arr.Shape[3] != w)
                throw new InvalidDataException($"{inputPath}: shape {arr.ShapeText}, the model takes [N,{c},{h},{w}]");
            x = arr.Data; batch = arr.Shape[0];
        }
        else
        {
            var rng = new Random(seed);
            batch = 1;
            x = new float[c * h * w];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() + rng.NextDouble() + rng.NextDouble() - 1.5) * 2; // ~N(0,1)
        }
        var report = BackendComparer.Compare(model, pair[0], pair[1], x, batch, tol);
        Console.WriteLine($"model: {Path.GetFileName(modelPath)}, input {(inputPath ?? $"random (seed {seed})")} [{batch},{c},{h},{w}]");
        Console.WriteLine(report.Format());
        return report.Agree ? 0 : 1;
    }
}
