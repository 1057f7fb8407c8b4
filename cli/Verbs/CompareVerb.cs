using System.CommandLine;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Models;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr compare --model M.onnx --compare A,B [--input X.npy] [--tolerance 1e-4] [--seed S]` (also spelt
/// `rr infer --model M.onnx --compare A,B …`) — runs two backends layer by layer (every Conv/BN, Relu, Add,
/// pool output as a tap, then the logits), prints a table of differences relative to each tensor's max |A|
/// and names the first tensor over tolerance. Without --input a seeded N(0,1)-like random image of the
/// model's input size is used. Exit 0 when all tensors agree, 1 when they diverge.
/// </summary>
public static class CompareVerb
{
    public static Command Create()
    {
        var model = Cli.Str("--model", "M.onnx", "the ONNX model", required: true);
        var pairOpt = Cli.List("--compare", "A,B", "the two backends, e.g. ort-cpu,gl");
        pairOpt.Required = true;
        var input = Cli.Str("--input", "X.npy", "a float32 NCHW tensor", absent: "a random image from --seed");
        var tolerance = Cli.Num("--tolerance", "E", "largest allowed |A-B| relative to max |A| per tensor", 1e-4);
        var seed = Cli.Int("--seed", "S", "seed of the random input", 0);
        var cmd = new Command("compare", "Two backends layer by layer on one input: a table of differences and the first layer over tolerance " +
                                         "(also spelt rr infer --compare A,B). Exit 1 when they diverge.")
            { model, pairOpt, input, tolerance, seed };
        cmd.SetAction(pr =>
        {
            if (pr.Given(input)) pr.NotApplicable("with --input (it seeds the random input used without one)", seed);
            return Execute(pr.GetValue(model), pr.Items(pairOpt), pr.GetValue(input), pr.GetValue(tolerance), pr.GetValue(seed));
        });
        return cmd;
    }

    /// <summary>`rr compare ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);

    static int Execute(string modelPath, string[] pair, string inputPath, double tol, int seed)
    {
        if (pair.Length != 2) throw new UsageException($"--compare needs two backends, e.g. --compare ort-cpu,gl (got '{string.Join(",", pair)}')");
        if (!(tol > 0)) throw new UsageException($"--tolerance must be > 0 (got {tol})");
        var backends = pair.Select(b => Cli.ParseBackend(b, "--compare")).ToArray();
        foreach (var b in backends) BackendFactory.Validate(b);

        // The model object's input size: symbolic H/W are bound from rr.input_size (else 224), as every backend binds them.
        var loaded = LoadedModel.Load(modelPath);
        var model = loaded.Onnx;
        int c = loaded.Channels, h = loaded.InputHeight, w = loaded.InputWidth;
        if (c <= 0) throw new InvalidDataException($"{modelPath}: input '{loaded.Info.InputName}' has no fixed channel count to compare");

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
        var report = BackendComparer.Compare(model, backends[0], backends[1], x, batch, tol);
        Console.WriteLine($"model: {Path.GetFileName(modelPath)}, input {(inputPath ?? $"random (seed {seed})")} [{batch},{c},{h},{w}]");
        Console.WriteLine(report.Format());
        return report.Agree ? 0 : 1;
    }
}
