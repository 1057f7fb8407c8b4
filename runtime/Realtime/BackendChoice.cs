namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// The one place that decides which backend runs ("auto" included), from what was asked (--backend / RealtimeOptions.Backend, default
/// "auto") and what the host's (or demo's) GL context offers:
/// <list type="bullet">
/// <item>auto → gl when the context has OpenGL 4.3 compute on hardware; ort-cpu on a software renderer
/// (llvmpipe, softpipe, SwiftShader, "Software…": the CPU runs ONNX Runtime faster than it emulates a GPU)
/// or without 4.3.</item>
/// <item>gl → gl whenever 4.3 compute is there (llvmpipe included: asked for explicitly); otherwise ort-cpu.</item>
/// <item>anything else (ort-cpu, ort-dml, ort-cuda) → as asked; the CPU worker falls back itself if it cannot load.</item>
/// </list>
/// <see cref="Reason"/> is the line the HUD and stderr show.
/// </summary>
public readonly record struct BackendChoice(string Requested, string Backend, string Reason)
{
    static readonly string[] SoftwareMarkers = { "llvmpipe", "softpipe", "SwiftShader", "Software" };

    /// <summary>True when <paramref name="renderer"/> (GL_RENDERER) names a CPU rasteriser.</summary>
    public static bool IsSoftwareRenderer(string renderer) =>
        renderer != null && SoftwareMarkers.Any(m => renderer.Contains(m, StringComparison.OrdinalIgnoreCase));

    /// <param name="requested">"auto", "gl", "ort-cpu", ...</param>
    /// <param name="supportsCompute">The demo's context has OpenGL 4.3 + compute entry points.</param>
    /// <param name="renderer">GL_RENDERER of that context.</param>
    /// <param name="version">GL_VERSION of that context (for the "needs 4.3" line).</param>
    public static BackendChoice Decide(string requested, bool supportsCompute, string renderer, string version)
    {
        requested ??= "auto";
        string r = ShortRenderer(renderer);
        switch (requested)
        {
            case "auto":
                if (!supportsCompute) return new(requested, "ort-cpu", $"ort-cpu: OpenGL {version} on {r} has no 4.3 compute shaders (gl needs them)");
                if (IsSoftwareRenderer(renderer)) return new(requested, "ort-cpu", $"ort-cpu: {r} is a software renderer; --backend gl forces it");
                return new(requested, "gl", $"gl: {r} has OpenGL 4.3 compute; frames stay on the GPU");
            case "gl":
                if (!supportsCompute) return new(requested, "ort-cpu", $"ort-cpu: gl backend needs OpenGL 4.3; this context is {version} on {r}");
                return new(requested, "gl", IsSoftwareRenderer(renderer) ? $"gl (forced) on the software renderer {r}: slow" : $"gl on {r}");
            default:
                return new(requested, requested, null);
        }
    }

    /// <summary>"llvmpipe (LLVM 15.0.6, 256 bits)" → as is; long vendor strings are cut so the HUD line fits.</summary>
    static string ShortRenderer(string renderer)
    {
        if (string.IsNullOrEmpty(renderer)) return "an unknown renderer";
        string s = renderer.StartsWith("llvmpipe", StringComparison.Ordinal) ? "Mesa " + renderer.Split(' ')[0] : renderer;
        return s.Length > 48 ? s[..48] : s;
    }
}
