using ResNetRealtime.Runtime.Realtime;
using ResNetRealtime.Demo.Sources;

namespace ResNetRealtime.Demo.App;

/// <summary>Everything `rr demo` was asked to do (parsed by cli/Verbs/DemoVerb.cs).</summary>
public sealed class DemoOptions
{
    public const string DefaultModel = "models/scene-resnet.onnx";

    public SourceSpec Source { get; set; } = new(SourceKind.Scene, null);
    /// <summary>ONNX model; null = <see cref="DefaultModel"/> if present, else a random-weight ResNet built on the fly.</summary>
    public string ModelPath { get; set; }
    /// <summary>Folder with resnet18.onnx ... resnet152.onnx for live depth switching (optional).</summary>
    public string ModelsDir { get; set; }
    /// <summary>Auto (gl on hardware GL 4.3, else ort-cpu: see <see cref="BackendChoice"/>) or a backend.</summary>
    public Runtime.Backend Backend { get; set; } = Runtime.Backend.Auto;
    public bool Headless { get; set; }
    /// <summary>Frames to run (headless) or record; 0 = until the window closes.</summary>
    public int Frames { get; set; }
    public string OutDir { get; set; }
    public string RecordDir { get; set; }
    /// <summary>Recorded frame size (square) for --record.</summary>
    public int Size { get; set; } = 64;
    public double BudgetMs { get; set; }
    /// <summary>gl: milliseconds of layers encoded per displayed frame (RealtimeOptions.FrameBudget, measured by
    /// GlBackend.StepFor), so one inference spreads over several frames; 0 = the whole network in the frame it starts.</summary>
    public double GlFrameBudgetMs { get; set; }
    /// <summary>Fp32 or Int8 (Runtime.Quantization.Int8Cache: quantized on first use, ort-cpu only); --budget-ms then
    /// times the int8 models, since it reads the running classifier's own inference times.</summary>
    public Runtime.Precision Precision { get; set; } = Runtime.Precision.Fp32;
    public ulong Seed { get; set; } = 1;
    public int Width { get; set; } = 960;
    public int Height { get; set; } = 600;
    /// <summary>Headless: write a PNG every this many frames (the last frame is always written).</summary>
    public int ScreenshotEvery { get; set; } = 30;
    /// <summary>Depth used when a model is built on the fly.</summary>
    public int Depth { get; set; } = 18;
    /// <summary>--keys "FRAME:KEY,...": live controls replayed at given frames (<see cref="DemoKeys.Parse"/>).</summary>
    public string Keys { get; set; }
    /// <summary>Headless: also write the frame without overlay next to each screenshot (tests compare the two).</summary>
    public bool WriteBare { get; set; }
    /// <summary>--teach: digits teach classes to a head over the backbone's features (<see cref="TeachSession"/>).</summary>
    public bool Teach { get; set; }
    /// <summary>--auto-teach N (scene, with --teach): teach the first N frames of every scene class under its true label.</summary>
    public int AutoTeach { get; set; }
    /// <summary>--save-teach FILE: where the S key writes backbone + head as one ONNX.</summary>
    public string SaveTeach { get; set; }
    /// <summary>--teach: also teach each taught frame's TeachAugment variants (off: --no-teach-augment).</summary>
    public bool TeachAugment { get; set; } = true;
}
