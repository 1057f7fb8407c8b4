#nullable enable
using ResNetRealtime.Runtime.Backends;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// The one place that decides which backend runs (<see cref="Runtime.Backend.Auto"/> included), from what was asked
/// (<see cref="InferenceOptions.Backend"/>, the CLI's --backend) and what the GL context offers (the host's or demo's, or a probe context the Classifier makes):
/// <list type="bullet">
/// <item>auto → the candidates of <see cref="AutoOrder"/>, tried in order by the caller: on Windows ort-dml first (the
/// user's GPU through DirectML), then gl, then ort-cpu; elsewhere gl, then ort-cpu. gl is a candidate only when the
/// context has OpenGL 4.3 compute on hardware: on a software renderer (llvmpipe, softpipe, SwiftShader, "Software…")
/// the CPU runs ONNX Runtime faster than it emulates a GPU. A candidate that cannot start or fails its self-check
/// (<see cref="BackendSelfCheck"/>) hands over to the next, and <see cref="After"/> records why.</item>
/// <item>gl → gl whenever 4.3 compute is there (llvmpipe included: asked for explicitly); otherwise ort-cpu.</item>
/// <item>anything else (ort-cpu, ort-dml, ort-cuda) → as asked; it starts and passes its self-check, or fails.</item>
/// </list>
/// <see cref="Reason"/> is the line the HUD and stderr show (null when the backend is exactly what was asked).
/// </summary>
/// <param name="Requested">What the options asked for (<see cref="Runtime.Backend.Auto"/> included).</param>
/// <param name="Chosen">What runs; never Auto.</param>
/// <param name="Reason">Why, in one line; null when <paramref name="Chosen"/> is exactly what was asked.</param>
public readonly record struct BackendChoice(Backend Requested, Backend Chosen, string? Reason)
{
    static readonly string[] SoftwareMarkers = { "llvmpipe", "softpipe", "SwiftShader", "Software" };

    /// <summary>The backends "auto" tries, in order, on this operating system.</summary>
    internal static IReadOnlyList<Backend> AutoOrder { get; } = OperatingSystem.IsWindows()
        ? new[] { Backend.OrtDml, Backend.Gl, Backend.OrtCpu }
        : new[] { Backend.Gl, Backend.OrtCpu };

    /// <summary>Test seam: the tests' Mesa llvmpipe counts as hardware, so "auto" reaches gl and its fallback can be
    /// exercised on a machine without a GPU. Never set outside tests.</summary>
    internal static bool SoftwareCountsAsHardwareForTests;

    /// <summary>True when <paramref name="renderer"/> (GL_RENDERER) names a CPU rasteriser.</summary>
    internal static bool IsSoftwareRenderer(string renderer) =>
        !SoftwareCountsAsHardwareForTests && renderer != null && SoftwareMarkers.Any(m => renderer.Contains(m, StringComparison.OrdinalIgnoreCase));

    /// <summary>The first of <see cref="Candidates"/>: what runs when it starts and passes its self-check.</summary>
    internal static BackendChoice Decide(Backend requested, bool supportsCompute, string renderer, string version) =>
        Candidates(requested, supportsCompute, renderer, version)[0];

    /// <param name="requested">What the options ask for.</param>
    /// <param name="supportsCompute">The context has OpenGL 4.3 + compute entry points (false when there is no context).</param>
    /// <param name="renderer">GL_RENDERER of that context, or a line saying why there is none.</param>
    /// <param name="version">GL_VERSION of that context (for the "needs 4.3" line).</param>
    /// <returns>What to try, in order; each carries the reason it is the one when reached. Never empty.</returns>
    internal static IReadOnlyList<BackendChoice> Candidates(Backend requested, bool supportsCompute, string renderer, string version)
    {
        InferenceNames.Validate(requested);
        string r = ShortRenderer(renderer);
        switch (requested)
        {
            case Backend.Auto:
                var list = new List<BackendChoice>();
                foreach (var b in AutoOrder)
                {
                    if (b == Backend.OrtDml) list.Add(new(requested, b, "ort-dml: DirectML, the first choice on Windows"));
                    else if (b == Backend.Gl)
                    {
                        if (supportsCompute && !IsSoftwareRenderer(renderer))
                            list.Add(new(requested, b, $"gl: {r} has OpenGL 4.3 compute; frames stay on the GPU"));
                    }
                    else
                        list.Add(new(requested, b, !supportsCompute ? $"ort-cpu: OpenGL {version} on {r} has no 4.3 compute shaders (gl needs them)"
                                                  : IsSoftwareRenderer(renderer) ? $"ort-cpu: {r} is a software renderer; Backend = Backend.Gl forces it"
                                                  : "ort-cpu"));
                }
                return list;
            case Backend.Gl:
                if (!supportsCompute) return new[] { new BackendChoice(requested, Backend.OrtCpu, $"ort-cpu: gl backend needs OpenGL 4.3; this context is {version} on {r}") };
                return new[] { new BackendChoice(requested, Backend.Gl, IsSoftwareRenderer(renderer) ? $"gl (forced) on the software renderer {r}: slow" : $"gl on {r}") };
            default:
                return new[] { new BackendChoice(requested, requested, null) };
        }
    }

    /// <summary>The candidates when there is no GL context to run gl in (<paramref name="noGl"/> says why): "auto" is
    /// <see cref="AutoOrder"/> without gl; anything else is as asked.</summary>
    internal static IReadOnlyList<BackendChoice> CandidatesWithoutGl(Backend requested, string noGl)
    {
        InferenceNames.Validate(requested);
        if (requested != Backend.Auto) return new[] { new BackendChoice(requested, requested, null) };
        return AutoOrder.Where(b => b != Backend.Gl)
            .Select(b => new BackendChoice(requested, b, b == Backend.OrtDml ? "ort-dml: DirectML, the first choice on Windows" : $"{b.ToName()}: {noGl}"))
            .ToArray();
    }

    /// <summary>This choice, reached after <paramref name="refused"/> could not start or failed its self-check
    /// (<paramref name="why"/>, one line): the reason says both.</summary>
    internal BackendChoice After(Backend refused, string why) =>
        this with { Reason = $"{Reason ?? Chosen.ToName()}; {refused.ToName()} was tried first and refused: {why}" };

    /// <summary>
    /// Walks <paramref name="candidates"/>: <paramref name="create"/> makes (and self-checks) one; a NotSupportedException,
    /// GL or native-loading failure of any but the last hands over to the next candidate, recorded in the reason.
    /// The last candidate's failure propagates (an explicit backend fails with its own one line).
    /// </summary>
    internal static (T Value, BackendChoice Choice) FirstThatWorks<T>(IReadOnlyList<BackendChoice> candidates, Func<BackendChoice, T> create)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) throw new ArgumentException("no backend candidates", nameof(candidates));
        var refusals = new List<(Backend Backend, string Why)>();
        for (int i = 0; ; i++)
        {
            var c = candidates[i];
            try
            {
                var v = create(c);
                foreach (var (b, why) in refusals) c = c.After(b, why);
                return (v, c);
            }
            catch (Exception e) when (i < candidates.Count - 1 && IsUnavailable(e))
            {
                refusals.Add((c.Chosen, e.Message.ReplaceLineEndings(" ")));
            }
        }
    }

    static bool IsUnavailable(Exception e) =>
        e is NotSupportedException or Gl.GlException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException;

    /// <summary>"llvmpipe (LLVM 15.0.6, 256 bits)" → as is; long vendor strings are cut so the HUD line fits.</summary>
    static string ShortRenderer(string renderer)
    {
        if (string.IsNullOrEmpty(renderer)) return "an unknown renderer";
        string s = renderer.StartsWith("llvmpipe", StringComparison.Ordinal) ? "Mesa " + renderer.Split(' ')[0] : renderer;
        return s.Length > 48 ? s[..48] : s;
    }
}
