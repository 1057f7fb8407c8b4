#nullable enable
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using ResNetRealtime.Runtime.Backends.Ort;
using ResNetRealtime.Runtime.Models;

namespace ResNetRealtime.Runtime.Backends;

/// <summary>What one self-check found (<see cref="BackendSelfCheck"/>).</summary>
/// <param name="Backend">The backend checked ("gl", "ort-dml", "ort-cuda").</param>
/// <param name="Device">What it ran on: the GL renderer and version, or "adapter N" for DirectML/CUDA.</param>
/// <param name="Relative">max |logit − ort-cpu logit| / max |ort-cpu logit| on the probe (NaN or ±Inf count as ∞).</param>
/// <param name="FirstDivergence">When it failed: the first tensor over tolerance, as <see cref="BackendComparer"/> names it
/// ("bn1 (BatchNormalization), relative difference 1 &gt; 0.01"); null when it passed.</param>
/// <param name="Milliseconds">What the check cost when it ran, all included (hash, reference, probe, and the layer-by-layer
/// diagnosis on a failure); 0 when cached.</param>
/// <param name="Cached">True when this answer came from the in-process cache, without running the probe.</param>
/// <param name="ReferenceMilliseconds">Of that, the ort-cpu reference (session + one run); 0 when it was cached.</param>
public sealed record SelfCheckResult(string Backend, string Device, bool Passed, double Relative, string? FirstDivergence, double Milliseconds, bool Cached,
                                     double ReferenceMilliseconds = 0)
{
    /// <summary>One line: why the backend is not trusted (null when it passed).</summary>
    public string? Failure => Passed ? null : FormattableString.Invariant(
        $"{Backend} failed its self-check against {OrtBackend.Cpu} on {Device}: first diverging tensor {FirstDivergence}; its outputs differ by {Relative:G3} of max |{OrtBackend.Cpu}| (tolerance {BackendSelfCheck.Tolerance:G3})");
}

/// <summary>Thrown when an explicitly requested backend fails its self-check: the message is <see cref="SelfCheckResult.Failure"/>
/// plus what to use instead. A NotSupportedException, like every "this backend cannot run here" error.</summary>
public sealed class SelfCheckException : NotSupportedException
{
    internal SelfCheckException(SelfCheckResult result)
        : base($"{result.Failure}; its results would be wrong, so it is refused (set the options' Backend = Backend.OrtCpu, or Backend.Auto to fall back)") => Result = result;
    public SelfCheckResult Result { get; }
}

/// <summary>
/// Every GPU backend proves itself before it is trusted: when a gl, ort-dml or ort-cuda session is made for a model, one
/// fixed probe input (<see cref="ProbeInput"/>: a seeded picture at the model's input size, normalised with its mean/std)
/// runs through that very session and through ort-cpu, and the outputs are compared. A driver that computes garbage
/// (Wine's vkd3d on lavapipe gives logits of ~1e-25, every class equally likely, with no error) is caught here, not by
/// the user. On a failure <see cref="BackendComparer"/> runs both backends again layer by layer to name the first tensor
/// that diverges (only then: it costs two more sessions).
/// <para>Tolerance <see cref="Tolerance"/> = 1e-2 of the reference's max |output|. Two honest fp32 backends differ only
/// by accumulation order: gl and ort-cpu agree to ~1e-5 on the pretrained ResNet-18, and the error grows roughly with
/// the square root of depth, so a ResNet-152 stays near 1e-4; a GPU library that uses TF32 or Winograd convolutions
/// (cuDNN, DirectML) loses a few more bits, up to ~1e-3. Broken outputs are off by O(1): ~1e-25 logits give 1.0, equal
/// logits give the spread over the max (≥ 0.1 for any trained net), a wrong layer gives more. 1e-2 sits ten times above
/// the worst honest case and a hundred times below garbage. It is a gate against garbage, not a numerics test (those
/// compare every tensor at 1e-4: BackendComparer).</para>
/// <para>Cached in this process per (model content hash, backend, device): a second session on the same model and
/// device does not run the probe again, and the ort-cpu reference is computed once per model. Not cached on disk, on
/// purpose: what the check guards against is the machine (a driver update, another GPU, a different Wine), which a
/// stored verdict would outlive, and one probe costs about one inference.</para>
/// </summary>
internal static class BackendSelfCheck
{
    public const double Tolerance = 1e-2;
    const int DiagnoseTimeoutMs = 300_000;

    static readonly Dictionary<(string Model, Backend Backend, string Device), SelfCheckResult> Verdicts = new();
    static readonly Dictionary<string, float[]> References = new(StringComparer.Ordinal);
    static readonly ConditionalWeakTable<LoadedModel, string> Hashes = new();
    static int _probeRuns;

    /// <summary>Probes run so far in this process (a cached answer runs none).</summary>
    public static int ProbeRuns => Volatile.Read(ref _probeRuns);

    /// <summary>True for the backends that must prove themselves (everything but the reference, ort-cpu).</summary>
    public static bool Applies(Backend backend) => backend != Backend.OrtCpu;

    /// <summary>Forgets every cached verdict and reference (tests; a host that swapped drivers in-process).</summary>
    public static void ClearCache()
    {
        lock (Verdicts) { Verdicts.Clear(); References.Clear(); }
    }

    /// <summary>The device a backend runs on, for the cache key and the message.</summary>
    public static string DeviceOf(IInferenceBackend backend, int deviceId) =>
        backend is Gl.GlBackend g ? $"{g.Context.Renderer} (OpenGL {g.Context.Version})" : $"adapter {deviceId}";

    /// <summary>
    /// Checks <paramref name="backend"/> (made for <paramref name="model"/>) against ort-cpu, or answers from the cache.
    /// Runs the probe on the calling thread (a gl backend's context must be current on it); the divergence diagnosis on a
    /// failure runs on a thread of its own, so the sessions it makes never touch this thread's GL context.
    /// </summary>
    public static SelfCheckResult Verify(LoadedModel model, IInferenceBackend backend, int deviceId = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        string device = DeviceOf(backend, deviceId);
        var key = (HashOf(model), backend.Kind, device);
        lock (Verdicts)
            if (Verdicts.TryGetValue(key, out var known)) return known with { Cached = true, Milliseconds = 0, ReferenceMilliseconds = 0 };

        var sw = Stopwatch.StartNew();
        var probe = ProbeInput(backend.Channels, backend.Height, backend.Width, model.Mean, model.Std);
        long r0 = Stopwatch.GetTimestamp();
        var reference = Reference(model, key.Item1, probe, backend);
        double refMs = Stopwatch.GetElapsedTime(r0).TotalMilliseconds;
        var got = new float[backend.Classes];
        backend.Run(probe, 1, got);
        Interlocked.Increment(ref _probeRuns);
        var d = BackendComparer.Diff("output", "output", new[] { 1, backend.Classes }, reference, got, Tolerance);
        string? first = d.WithinTolerance ? null : Diagnose(model, backend.Kind, deviceId, probe, d);
        var result = new SelfCheckResult(backend.Name, device, d.WithinTolerance, d.Relative, first, sw.Elapsed.TotalMilliseconds, Cached: false, refMs);
        lock (Verdicts) Verdicts[key] = result;
        return result;
    }

    /// <summary><see cref="Verify"/>, throwing <see cref="SelfCheckException"/> when the backend disagrees with ort-cpu.</summary>
    public static SelfCheckResult Require(LoadedModel model, IInferenceBackend backend, int deviceId = 0)
    {
        var r = Verify(model, backend, deviceId);
        return r.Passed ? r : throw new SelfCheckException(r);
    }

    /// <summary>
    /// The probe: a deterministic picture at C×H×W (a smooth gradient per channel plus seeded noise, so every filter sees
    /// structure and every class gets a different logit), in 0..1 pixel units, normalised as the Preprocessor does:
    /// (v − mean)/std when the model gives one mean/std per channel, else as is.
    /// </summary>
    public static float[] ProbeInput(int channels, int height, int width, float[]? mean = null, float[]? std = null)
    {
        var x = new float[channels * height * width];
        uint s = 0x2545F491u;   // xorshift32 seed: fixed, so the probe is the same in every process
        bool norm = mean != null && std != null && mean.Length == channels && std.Length == channels;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int xx = 0; xx < width; xx++)
                {
                    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
                    double smooth = 0.5 + 0.35 * Math.Sin((xx * (c + 1) + 2.0 * y) * Math.PI / Math.Max(width, height));
                    float v = (float)Math.Clamp(smooth + ((s & 0xFFFF) / 65535.0 - 0.5) * 0.3, 0, 1);
                    x[(c * height + y) * width + xx] = norm ? (v - mean![c]) / std![c] : v;
                }
        return x;
    }

    /// <summary>The ort-cpu output for the probe, once per model (content hash) and input size.</summary>
    static float[] Reference(LoadedModel model, string hash, float[] probe, IInferenceBackend shape)
    {
        string key = $"{hash}/{shape.Channels}x{shape.Height}x{shape.Width}";
        lock (Verdicts)
            if (References.TryGetValue(key, out var r)) return r;
        using var cpu = BackendFactory.Create(Backend.OrtCpu, model, new BackendOptions());
        if (cpu.Classes != shape.Classes || cpu.Channels * cpu.Height * cpu.Width != probe.Length)
            throw new InvalidOperationException($"self-check: {OrtBackend.Cpu} sees the model as {cpu.Channels}x{cpu.Height}x{cpu.Width} → {cpu.Classes}, {shape.Name} as {shape.Channels}x{shape.Height}x{shape.Width} → {shape.Classes}");
        var logits = new float[cpu.Classes];
        cpu.Run(probe, 1, logits);
        lock (Verdicts) References[key] = logits;
        return logits;
    }

    /// <summary>The first diverging tensor, found by <see cref="BackendComparer"/> on a thread of its own (its gl sessions
    /// make their own contexts current there). When it cannot tell (it fails, or every tap agrees and only the output
    /// differs), the output itself is named.</summary>
    static string Diagnose(LoadedModel model, Backend backend, int deviceId, float[] probe, LayerDifference output)
    {
        string outputLine = FormattableString.Invariant($"{model.Onnx.Graph.Outputs[0].Name} (the model output), relative difference {output.Relative:G3} > {Tolerance:G3}");
        var task = Task.Factory.StartNew(() => BackendComparer.Compare(model.Onnx, Backend.OrtCpu, backend, probe, 1, Tolerance, deviceId),
                                         CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(DiagnoseTimeoutMs)) return outputLine + " (the layer-by-layer comparison did not finish)";
            var first = task.Result.FirstDivergence;
            return first == null ? outputLine : FormattableString.Invariant(
                $"{first.Tensor} ({first.OpType} [{string.Join(",", first.Shape)}]), relative difference {first.Relative:G3} > {Tolerance:G3}");
        }
        catch (AggregateException e)
        {
            return $"{outputLine} (the layer-by-layer comparison failed: {e.InnerException?.Message})";
        }
    }

    /// <summary>SHA-256 of the model's bytes, once per loaded model object (a LoadedModel is not changed after loading).</summary>
    static string HashOf(LoadedModel model) =>
        Hashes.GetValue(model, m => Convert.ToHexString(SHA256.HashData(m.Onnx.ToBytes())));
}
