using ResNetRealtime.Runtime;
using System.CommandLine;
using ResNetRealtime.Demo.App;
using ResNetRealtime.Demo.Sources;

namespace ResNetRealtime.Cli;

/// <summary>
/// `rr demo` — the live window (or headless run) over the rendered scene, a webcam, a video or an image,
/// with top-5 overlay, CAM heatmap, activation mosaic, latency HUD and live depth/backend switching;
/// `--record DIR --frames N [--size S]` writes labelled scene frames (rr-frames-v1) for training.
/// The demo library takes the plain <see cref="DemoOptions"/> this verb fills in.
/// </summary>
public static class DemoVerb
{
    public static Command Create()
    {
        var d = new DemoOptions();   // the library's defaults are the help's defaults
        var source = Cli.Str("--source", "scene|webcam[:DEV]|video:PATH|image:PATH", "what to classify", "scene");
        var model = Cli.Str("--model", "M.onnx", "the model", absent: $"{DemoOptions.DefaultModel} if present, else random weights");
        var models = Cli.Str("--models", "DIR", "DIR/resnet{18..152}.onnx for the depth keys 1-5 and --budget-ms", absent: "random weights for other depths");
        var backend = Cli.Str("--backend", string.Join("|", InferenceNames.Backends), "auto: gl on a hardware GPU with OpenGL 4.3, else ort-cpu", d.Backend.ToName());
        var headless = Cli.Flag("--headless", "offscreen (EGL): PNGs and frames.json in --out, no window");
        var frames = Cli.Int("--frames", "N", "frames to run, then stop (with --record: frames to record); 0 = until closed (headless: 120)", d.Frames, 0, 10_000_000);
        var outDir = Cli.Str("--out", "DIR", "where screenshots (and headless frames.json) go", absent: "window: out/; headless (asked for, or for want of a display): out/demo");
        var budget = Cli.Num("--budget-ms", "X", "adaptive: the deepest ResNet whose inference fits X ms; 0 = off", d.BudgetMs);
        var glBudget = Cli.Num("--gl-frame-budget-ms", "X", "gl: encode at most X ms of layers per frame, spreading one inference over frames; 0 = whole network per frame", d.GlFrameBudgetMs);
        var seed = Cli.Int("--seed", "S", "scene and random-weight seed", (int)d.Seed, 0);
        var width = Cli.Int("--width", "W", "window / render width", d.Width, Hud.MinWidth, 8192);
        var height = Cli.Int("--height", "H", "window / render height", d.Height, Hud.MinHeight, 8192);
        var depth = Cli.Int("--depth", "18|34|50|101|152", "starting depth key", d.Depth);
        var keys = Cli.Str("--keys", "FRAME:KEY,...", "replay live keys at frames (1-5 depth, b backend, h, m, l, p, space, q; --teach: 1-9 teach, c then digit clear, s save)", absent: "none");
        var every = Cli.Int("--screenshot-every", "N", "headless: a PNG every N frames (the last frame always)", d.ScreenshotEvery, 1);
        var bare = Cli.Flag("--bare", "headless: also write each screenshot without the overlay");
        var record = Cli.Str("--record", "DIR", "record labelled scene frames (rr-frames-v1) for rr train --data frames:DIR", absent: "no recording");
        var size = Cli.Int("--size", "S", "--record: square frame size", d.Size, 8, 1024);
        var precision = Cli.Str("--precision", "fp32|int8", "int8: each model quantized on first use and cached (seeded Gaussian calibration, accuracy " +
                                "not measured; an int8 --model runs as it is); CPU only (auto picks ort-cpu); --budget-ms then times int8", d.Precision.ToName());
        var teach = Cli.Flag("--teach", "teach mode: keys 1-9 teach the current frame as a class to a head over the backbone's features (C+digit clears, S saves)");
        var autoTeach = Cli.Int("--auto-teach", "N", "--teach on the scene: teach the first N frames of each scene class under its true label, then classify", 0, 0, 100_000);
        var saveTeach = Cli.Str("--save-teach", "FILE", "--teach: backbone + taught head as one ONNX, written when the run ends (headless) or the window closes, and on the S key; exit 1 if nothing was taught", absent: "not written");
        var noAugment = Cli.Flag("--no-teach-augment", "--teach: teach only the frames themselves, not also their 10 colour/turn/mirror variants (each costs a CPU backbone pass in the background)", absent: "variants taught");
        var cmd = new Command("demo", "The live demo: a window (or --headless run) classifying the rendered scene, a webcam, a video or an image, " +
                                      "with top-5, CAM heatmap, activation mosaic and latency HUD; or --record DIR --frames N for training data.")
            { source, model, models, backend, headless, frames, outDir, budget, glBudget, seed, width, height, depth, keys, every, bare, record, size, precision, teach, autoTeach, saveTeach, noAugment };
        cmd.SetAction(pr =>
        {
            var o = new DemoOptions
            {
                ModelPath = ResNetRealtime.Tools.Pretrained.ModelSource.Resolve(pr.GetValue(model)), ModelsDir = pr.GetValue(models), Backend = Cli.ParseBackend(pr.GetValue(backend)),
                Headless = pr.GetValue(headless), Frames = pr.GetValue(frames), OutDir = pr.GetValue(outDir), RecordDir = pr.GetValue(record),
                Size = pr.GetValue(size), BudgetMs = pr.GetValue(budget), GlFrameBudgetMs = pr.GetValue(glBudget), Seed = (ulong)pr.GetValue(seed), Width = pr.GetValue(width),
                Height = pr.GetValue(height), ScreenshotEvery = pr.GetValue(every), Depth = pr.GetValue(depth), WriteBare = pr.GetValue(bare),
                Keys = pr.GetValue(keys), Precision = Cli.ParsePrecision(pr.GetValue(precision)),
                Teach = pr.GetValue(teach), AutoTeach = pr.GetValue(autoTeach), SaveTeach = pr.GetValue(saveTeach),
                TeachAugment = !pr.GetValue(noAugment),
            };
            try
            {
                o.Source = SourceSpec.Parse(pr.GetValue(source));
                DemoKeys.Parse(o.Keys);
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            if (o.Precision == Precision.Int8)
            {
                if (o.Backend == Backend.Auto) o.Backend = Backend.OrtCpu;
                Runtime.Quantization.Int8Cache.RequireCpu(o.Backend);
            }
            if (o.BudgetMs < 0) throw new UsageException($"--budget-ms must be >= 0 (got {o.BudgetMs})");
            if (o.GlFrameBudgetMs < 0) throw new UsageException($"--gl-frame-budget-ms must be >= 0 (got {o.GlFrameBudgetMs})");
            if (!ModelProvider.Depths.Contains(o.Depth)) throw new UsageException($"--depth must be one of {string.Join(", ", ModelProvider.Depths)} (got {o.Depth})");

            if (o.Teach)
            {
                // The frozen pretrained backbone is teach mode's default. Any backend gives its layer4 map (gl reads the tap back: 100 KB).
                o.ModelPath ??= ResNetRealtime.Tools.Pretrained.ModelSource.Resolve(ResNetRealtime.Tools.Pretrained.ModelSource.Prefix + "resnet18");
                // The scene is rendered at the backbone's input size (as the teach experiment recorded it), not the scene model's 64².
                int inputSize = Runtime.Models.LoadedModel.Load(o.ModelPath).InputHeight;
                if (inputSize > 0) o.Size = inputSize;
                if (o.AutoTeach > 0 && o.Source.Kind != SourceKind.Scene) throw new UsageException($"--auto-teach {o.AutoTeach} needs --source scene (it teaches the scene's true labels); got {o.Source}");
                if (o.BudgetMs > 0) throw new UsageException("--budget-ms does not apply with --teach (the backbone is fixed)");
            }
            else
            {
                if (o.AutoTeach > 0) throw new UsageException("--auto-teach needs --teach");
                if (o.SaveTeach != null) throw new UsageException("--save-teach needs --teach");
                if (!o.TeachAugment) throw new UsageException("--no-teach-augment needs --teach");
            }
            if (o.RecordDir != null)
            {
                pr.NotApplicable("with --record (it records the rendered scene offscreen at --size)",
                    source, model, models, backend, headless, outDir, budget, glBudget, width, height, depth, keys, every, bare, precision, teach, autoTeach, saveTeach, noAugment);
                if (o.Frames <= 0) throw new UsageException("--record needs --frames N (N >= 1)");
                return DemoApp.Record(o, Console.Error);
            }
            pr.NotApplicable("without --record (it is the recorded frame size)", size);
            if (!o.Headless) pr.NotApplicable("without --headless (a window takes a screenshot with P)", every, bare);
            if (o.ModelPath != null) pr.NotApplicable("with --model (that one model serves every depth key)", models);
            if (o.Headless && o.Frames <= 0) o.Frames = 120;
            return DemoApp.Run(o, Console.Error);
        });
        return cmd;
    }

    /// <summary>`rr demo ARGS` without Program's error handling (tests).</summary>
    public static int Run(string[] args) => Cli.Run(Create(), args);
}
