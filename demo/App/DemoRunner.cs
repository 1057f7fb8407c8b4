using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Realtime;
using System.Diagnostics;
using ResNetRealtime.Demo.Platform;
using ResNetRealtime.Demo.Render;
using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Demo.Sources;
using ResNetRealtime.Demo.Text;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// The frame loop shared by the window and headless modes (the window itself: <see cref="WindowHost"/>; --budget-ms:
/// <see cref="DepthPolicy"/>; frames.json: <see cref="FramesJson"/>):
///   acquire (scene render at the model's input size, or the newest camera frame uploaded to a texture)
///   → offer to the inference path (never waits in window mode) → draw the frame, heatmap, mosaic,
///   top-5 and HUD → present (swap) or, headless, read back for PNGs and frames.json.
/// Inference goes through the runtime's real-time API (<see cref="LivePath"/> over RealtimeClassifier, backend chosen
/// by <see cref="BackendChoice"/>): CPU backends on their worker thread fed with the frame's pixels (read back from
/// the render target), or gl inside this context fed with the frame's texture (no CPU round trip, CAM and mosaic
/// drawn from GPU textures, logits polled a frame or two later).
/// Headless runs in lock-step (each frame waits for its own prediction, bounded) so the JSON has one
/// prediction per frame and the accuracy is exact; the window never waits.
/// </summary>
public sealed unsafe class DemoRunner : IDisposable
{
    readonly DemoOptions _o;
    readonly TextWriter _log;
    readonly bool _headless;
    readonly GL _gl;
    readonly GlContext _ctx;
    readonly IDemoWindow _window; // null when headless
    int _width, _height;

    readonly SceneScript _script;
    readonly SceneRenderer _scene;
    RenderTarget _sceneView, _display, _output;
    readonly FfmpegSource _ffmpeg;
    readonly SourceTexture _frameTex;
    readonly Overlay _overlay;
    readonly Hud _hud = new();
    readonly HudInfo _info = new();
    LivePath _worker;
    BackendChoice _choice;
    readonly bool _sceneSource;
    readonly int _modelSize;
    CapturedFrame _sceneFrame;
    ResultSnapshot _result = new();
    bool _hasResult;

    readonly LatencyStats _capture = new(512), _upload = new(512), _pre = new(512), _inf = new(512), _post = new(512),
        _overlayStats = new(512), _c2d = new(512), _frameStats = new(512), _submitToResult = new(512), _lag = new(512);
    long _frames, _inferred, _correct, _droppedInference;
    bool _showHeat = true, _showMosaic = true, _paused;
    int _depthIndex;
    Runtime.Backend _backend;
    readonly bool[] _keyDown = new bool[512];
    readonly (long Frame, char Key)[] _keyScript;
    int _keyNext;
    bool _quit, _screenshotRequested;
    readonly ScreenCapture _screens = new();
    readonly FramesJson _json = new();
    readonly DepthPolicy _policy;
    // --teach (TeachSession): whether this frame's result was taught, and the predictions that count for the accuracy
    // (teach mode: only frames classified after teaching, never a taught one).
    readonly TeachSession _teach;
    bool _frameTaught;
    long _scored;

    internal DemoRunner(DemoOptions o, TextWriter log, bool headless, GlContext ctx, IDemoWindow window)
    {
        _o = o; _log = log; _headless = headless; _ctx = ctx; _gl = ctx.Gl; _window = window;
        _width = o.Width; _height = o.Height;
        _depthIndex = Math.Max(0, Array.IndexOf(ModelProvider.Depths, o.Depth));
        _keyScript = DemoKeys.Parse(o.Keys);
        _policy = new DepthPolicy(o.BudgetMs);
        bool scene = _sceneSource = o.Source.Kind == SourceKind.Scene;

        var atlas = GlyphAtlas.TryCreate(15, out var fontError);
        if (atlas == null) _log.WriteLine("rr demo: " + fontError);
        _overlay = new Overlay(_gl, atlas);
        _hud.Layout(_width, _height, _overlay.LineHeight);

        _modelSize = o.Size;
        Activate(o.Backend);
        if (o.Teach)
        {
            _teach = new TeachSession(scene ? SceneScript.Classes : Array.Empty<string>(), o.AutoTeach, o.SaveTeach, log, o.TeachAugment);
            _worker.OnFill = (r, s) => _frameTaught = _teach.OnResult(r, s, _worker.Model);
        }
        if (scene)
        {
            _script = new SceneScript(o.Seed);
            _scene = new SceneRenderer(_gl);
        }
        else
        {
            _ffmpeg = FfmpegSource.Start(o.Source, 640, 480);
        }
        _frameTex = new SourceTexture(_gl);
        if (headless) _output = new RenderTarget(_gl, _width, _height, depth: false);
    }

    /// <summary>
    /// Switches to <paramref name="requested"/> (auto included) as <see cref="BackendChoice"/> decides
    /// for this context: gl runs in this context on the render thread, the others on the runtime's worker thread.
    /// </summary>
    void Activate(Runtime.Backend requested)
    {
        // In order: each is taken when it starts and passes its self-check (LivePath); the HUD shows refusals.
        var candidates = BackendChoice.Candidates(requested, _ctx.SupportsCompute, _ctx.Renderer, _ctx.Version);
        _choice = candidates[0];
        if (_choice.Reason != null) _log.WriteLine("rr demo: backend " + _choice.Reason);
        _backend = _choice.Chosen;
        int depth = ModelProvider.Depths[_depthIndex];
        if (_worker == null) _worker = new LivePath(_ctx, _o, _sceneSource, _modelSize, depth, candidates, _log);
        else _worker.RequestSwitch(depth, candidates);
        _hasResult = false;
        _info.Stages.Clear(); // relabelled for the new path by FillHud
    }

    internal int RunHeadless()
    {
        if (!_worker.WaitReady(300_000)) throw new InvalidOperationException(_worker.Error ?? "the model did not load within 300 s");
        var sw = Stopwatch.StartNew();
        var shots = new List<string>();
        string ended = null;
        try
        {
            for (long i = 0; i < _o.Frames; i++)
            {
                ReplayKeys();
                if (_quit) break;
                if (_teach != null && _script != null && _teach.AutoClass(_script.StateAt(_frames).Label, SceneScript.Classes.Length) is int c and >= 0)
                    OnKey((char)('1' + c)); // --auto-teach presses the class key, as a user would
                bool last = i == _o.Frames - 1;
                bool shot = last || i % _o.ScreenshotEvery == 0;
                if (!Step(lockStep: true, bareShot: shot && _o.WriteBare ? Path.Combine(_o.OutDir, $"frame_{i:D5}_bare.png") : null))
                {
                    ended = $"source ended after {_frames} of {_o.Frames} frames";
                    break;
                }
                // The taught frame's variants are in the head before the next frame (outside the frame's timing): samples
                // then arrive in one order, so a headless run repeats. A window never waits for them.
                if (_frameTaught) _teach.WaitForVariants();
                if (_script != null) _teach?.CheckAutoDone(_frames, SceneScript.Classes.Length);
                if (shot)
                {
                    string path = Path.Combine(_o.OutDir, $"frame_{i:D5}.png");
                    SaveOutput(path);
                    shots.Add(path);
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            // The source died (ffmpeg killed, a camera unplugged) or inference failed mid-run: the frames gathered so
            // far are still the run's record. The caller prints the one line and exits non-zero.
            WriteJson(sw.Elapsed.TotalSeconds, shots, $"{e.Message} (after {_frames} of {_o.Frames} frames)");
            throw;
        }
        double seconds = sw.Elapsed.TotalSeconds;
        WriteJson(seconds, shots, ended);
        _log.WriteLine($"rr demo: {_frames} frames in {seconds:F1} s ({_frames / Math.Max(seconds, 1e-9):F1} fps), " +
            (_script != null ? AccuracyText() + ", " : "") + $"{shots.Count} screenshots and frames.json in {Path.GetFullPath(_o.OutDir)}");
        if (_worker.Error != null && _inferred == 0) throw new InvalidOperationException(_worker.Error);
        return _teach?.SaveAtEnd() ?? 0;
    }

    /// <summary>The summary line's accuracy: over the frames scored, or (teach mode) why there is none — never "NaN%".</summary>
    string AccuracyText()
    {
        if (_teach != null && _teach.NoAccuracyReason(_frames, SceneScript.Classes.Length, _scored) is string why) return why;
        if (_scored == 0) return "no accuracy: no frame was classified";
        return $"accuracy {Accuracy() * 100:F1}% over {_scored} predictions{(_teach != null ? " after teaching" : "")}";
    }

    internal int RunWindow()
    {
        _log.WriteLine("rr demo: keys: " + (_teach != null ? DemoKeys.TeachHelp : DemoKeys.Help));
        while (!_window.ShouldClose)
        {
            _window.PollEvents();
            foreach (var (key, action) in DemoKeys.Window)
                if (Pressed(key) || (_teach != null && action is >= '1' and <= '9' && _keyDown[key])) OnKey(action); // teach: a held digit is a burst
            ReplayKeys();
            if (_quit) _window.RequestClose();
            var (w, h) = _window.FramebufferSize;
            if (w > 0 && h > 0 && (w != _width || h != _height)) { _width = w; _height = h; _hud.Layout(w, h, _overlay.LineHeight); _display?.Dispose(); _display = null; }
            if (w == 0 || h == 0) { Thread.Sleep(16); continue; }
            if (!Step(lockStep: false, bareShot: null)) break;
            _window.SwapBuffers();
            if (_o.Frames > 0 && _frames >= _o.Frames) break;
        }
        int saved = _teach?.SaveAtEnd() ?? 0; // the window closed: --save-teach keeps what was taught
        if (_ffmpeg?.Slot.Error != null) { _log.WriteLine("rr demo: " + _ffmpeg.Slot.Error); return 1; }
        return saved;
    }

    bool Pressed(int key)
    {
        bool down = _window.IsKeyDown(key);
        bool edge = down && !_keyDown[key];
        _keyDown[key] = down;
        return edge;
    }

    /// <summary>--keys: the keys scripted for this frame, as if pressed.</summary>
    void ReplayKeys()
    {
        while (_keyNext < _keyScript.Length && _keyScript[_keyNext].Frame <= _frames)
            OnKey(_keyScript[_keyNext++].Key);
    }

    /// <summary>One live control (<see cref="DemoKeys"/>), from the keyboard or from --keys.</summary>
    void OnKey(char key)
    {
        if (_teach != null)
            switch (key) // teach mode: the backbone is fixed, so the digits teach instead of choosing a depth
            {
                case >= '1' and <= '9': _teach.OnClassKey(key - '1'); return;
                case DemoKeys.Clear: _teach.OnClearKey(); return;
                case DemoKeys.Save: _teach.Save(); return;
                case DemoKeys.Backend: _log.WriteLine("rr demo: teach mode stays on the backend it started on (the head was taught on its features)"); return;
            }
        switch (key)
        {
            case >= '1' and <= '5': SwitchDepth(key - '1'); break;
            case DemoKeys.Backend:
                var cycle = OperatingSystem.IsWindows() ? new[] { Runtime.Backend.OrtCpu, Runtime.Backend.Gl, Runtime.Backend.OrtDml } : new[] { Runtime.Backend.OrtCpu, Runtime.Backend.Gl };
                Activate(cycle[(Array.IndexOf(cycle, _backend) + 1) % cycle.Length]);
                SettleInHeadless();
                break;
            case DemoKeys.Heat: _showHeat = !_showHeat; break;
            case DemoKeys.Mosaic: _showMosaic = !_showMosaic; break;
            case DemoKeys.Layer: _worker.MosaicLayer++; break;
            case DemoKeys.Pause: _paused = !_paused; break;
            case DemoKeys.Quit: _quit = true; break;
            case DemoKeys.Screenshot: _screenshotRequested = true; break; // taken once this frame is composed
        }
    }

    /// <summary>Depth slot (0-4 = 18..152) from a key or from --budget-ms.</summary>
    void SwitchDepth(int index)
    {
        _depthIndex = index;
        _worker.RequestSwitch(ModelProvider.Depths[index], _worker.Backend ?? _backend);   // stay on what runs (auto may have fallen back)
        _worker.InferenceStats.Clear();
        SettleInHeadless();
    }

    /// <summary>
    /// Headless runs are lock-step (one prediction per frame, bounded waits): after a switch they wait for the
    /// new model too, so frames.json says which depth and backend classified every frame. The window never waits.
    /// </summary>
    void SettleInHeadless()
    {
        if (_headless && !_worker.WaitReady(300_000))
            throw new TimeoutException($"ResNet-{ModelProvider.Depths[_depthIndex]} on {_backend.ToName()} did not load within 300 s ({_worker.Status})");
    }

    /// <summary>One frame. False when the source ended (video EOF) or failed.</summary>
    bool Step(bool lockStep, string bareShot)
    {
        long t0 = Stopwatch.GetTimestamp();
        _frameTaught = false;
        CapturedFrame frame;
        double captureMs, uploadMs;
        uint tex; float v0, v1; int srcW, srcH;
        FrameTexture input;
        if (_script != null)
        {
            var state = _script.StateAt(_paused ? Math.Max(0, _frames - 1) : _frames);
            _sceneView ??= new RenderTarget(_gl, _modelSize, _modelSize);
            _sceneFrame ??= new CapturedFrame(_modelSize, _modelSize);
            // The classifier sees the scene rendered at its own input size (as recorded for training).
            _sceneView.Bind();
            _scene.Draw(state, _modelSize, _modelSize);
            // The CPU path needs the pixels; the gl path reads the render target itself (no readback).
            if (_worker.NeedsPixels || _teach?.WantsPixels == true) _sceneView.ReadRgb(_sceneFrame.Pixels);
            input = new FrameTexture(_sceneView.ColorTexture, _modelSize, _modelSize, FlipY: true);
            _sceneFrame.Sequence = _frames; _sceneFrame.Label = state.Label;
            _sceneFrame.CaptureTimestamp = Stopwatch.GetTimestamp();
            captureMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            frame = _sceneFrame;
            long t1 = Stopwatch.GetTimestamp();
            _display ??= new RenderTarget(_gl, _width, _height);
            _display.Bind();
            _scene.Draw(state, _width, _height);
            uploadMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
            tex = _display.ColorTexture; v0 = 1; v1 = 0; srcW = _width; srcH = _height; // FBO textures are bottom-up
        }
        else
        {
            if (!_ffmpeg.WaitFrame(lockStep ? 5000 : 0, out frame) && _ffmpeg.Slot.Completed) return false;
            if (frame == null && !_ffmpeg.Slot.TryTake(0, out frame)) frame = null;
            long t1 = Stopwatch.GetTimestamp();
            if (frame != null) _frameTex.Upload(frame);
            uploadMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
            captureMs = frame?.CaptureMs ?? 0;
            tex = _frameTex.Texture; v0 = 0; v1 = 1; srcW = _frameTex.Width; srcH = _frameTex.Height;
            input = new FrameTexture(_frameTex.Texture, _frameTex.Width, _frameTex.Height, FlipY: false);
        }

        if (frame != null)
        {
            _teach?.Remember(frame.Sequence, frame.Pixels, frame.Width, frame.Height); // while a teach key waits: a copy, for the frame's variants
            if (_worker.TryOffer(frame, input))
            {
                if (lockStep && !_worker.TryGetResult(_result, 120_000))
                    throw new TimeoutException($"inference of frame {_frames} did not finish within 120 s ({_worker.Error ?? _worker.Status})");
                else if (lockStep) OnResult();
            }
            else _droppedInference++;
        }
        if (!lockStep && _worker.TryGetResult(_result)) OnResult();
        if (_worker.Error != null && !_worker.Ready) _info.Notice = _worker.Error;

        // Compose: frame, heatmap, mosaic, top-5, HUD.
        long t2 = Stopwatch.GetTimestamp();
        uint target = _output?.Framebuffer ?? 0;
        _gl.BindFramebuffer(GLEnum.Framebuffer, target);
        _gl.Viewport(0, 0, (uint)_width, (uint)_height);
        _gl.ClearColor(0.02f, 0.02f, 0.03f, 1);
        _gl.Clear(ClearBufferMask.ColorBufferBit);
        _overlay.Begin(_width, _height, tex);
        var (fx, fy, fw, fh) = Hud.Fit(srcW, srcH, _width, _height);
        _overlay.Quad(fx, fy, fw, fh, 0, v0, 1, v1, 1, 1, 1, 1, QuadMode.Frame);
        if (bareShot != null) { _overlay.Flush(); SaveOutput(bareShot); }
        if (_hasResult && _showHeat && (_result.HeatW > 0 || _result.HeatTexture != 0)) _overlay.Quad(fx, fy, fw, fh, 0, 0, 1, 1, 1, 1, 1, 0.5f, QuadMode.Heat);
        if (_hasResult && _showMosaic) _hud.DrawMosaic(_overlay, _result);
        _hud.DrawTopK(_overlay, _result, _hasResult);
        FillHud();
        _hud.DrawHud(_overlay, _info);
        _overlay.Flush();
        double overlayMs = Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
        if (_screenshotRequested) { _screenshotRequested = false; SaveScreenshot(); }

        if (_headless) _gl.Finish();
        double c2d = frame != null ? CapturedFrame.MsSince(frame.CaptureTimestamp) : double.NaN;
        double frameMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        _capture.Add(captureMs); _upload.Add(uploadMs); _overlayStats.Add(overlayMs); _frameStats.Add(frameMs);
        if (!double.IsNaN(c2d)) _c2d.Add(c2d);
        _hud.AddFrameTime(frameMs);
        if (_headless)
            _json.Records.Add(new FrameRecord(_frames, frame?.Sequence ?? -1, frame?.Label ?? -1,
                _hasResult ? _result.TopIndex[0] : -1, _hasResult ? _result.TopLabel[0] : null, _hasResult ? _result.TopProb[0] : 0, _hasResult && _result.Count > 1 ? _result.TopProb[1] : 0,
                _hasResult ? _result.FrameSequence : -1, captureMs, uploadMs,
                _hasResult ? _result.PreprocessMs : double.NaN, _hasResult ? _result.InferenceMs : double.NaN, _hasResult ? _result.PostprocessMs : double.NaN,
                overlayMs, frameMs, c2d, _hasResult ? _result.SubmitToResultMs : double.NaN, _worker.Depth, _worker.Backend?.ToName(),
                _teach != null ? _frameTaught : null, _hasResult ? _result.Updates : 0));
        _frames++;
        Adapt();
        return true;
    }

    void OnResult()
    {
        _hasResult = true;
        _inferred++;
        bool scored = _teach == null || (!_frameTaught && _result.Count > 0 && (_o.AutoTeach == 0 || _teach.AutoTeachDone));
        if (scored) _scored++;
        if (scored && _result.TrueLabel >= 0 && _result.Count > 0 && _result.TopIndex[0] == _result.TrueLabel) _correct++;
        // GPU times arrive when their queries have (NaN until then): those samples are left out, not zeroed.
        if (!double.IsNaN(_result.PreprocessMs)) _pre.Add(_result.PreprocessMs);
        if (!double.IsNaN(_result.InferenceMs)) _inf.Add(_result.InferenceMs);
        _post.Add(_result.PostprocessMs + _result.CamMs);
        if (!double.IsNaN(_result.SubmitToResultMs)) _submitToResult.Add(_result.SubmitToResultMs);
        if (_result.FrameSequence >= 0) _lag.Add(_frames - _result.FrameSequence);
        // One overlay interface, two sources: GPU textures (gl path) or CPU arrays uploaded once here.
        if (_result.HeatTexture != 0) _overlay.SetHeat(_result.HeatTexture);
        else if (_result.HeatW > 0) _overlay.SetHeat(_result.Heat, _result.HeatW, _result.HeatH);
        if (_result.MosaicTexture != 0) _overlay.SetMosaic(_result.MosaicTexture);
        else if (_result.MosaicW > 0) _overlay.SetMosaic(_result.Mosaic, _result.MosaicW, _result.MosaicH);
    }

    /// <summary>--budget-ms (<see cref="DepthPolicy"/>): switches the depth slot when the measured p50 says so.</summary>
    void Adapt()
    {
        if (!_policy.Enabled || !_worker.Ready) return;
        int next = _policy.Next(_depthIndex, _worker.InferenceStats);
        if (next == _depthIndex) return;
        _log.WriteLine($"rr demo: budget {_o.BudgetMs} ms: ResNet-{_worker.Depth} p50 {_worker.InferenceStats.P50:F1} ms → ResNet-{ModelProvider.Depths[next]}");
        SwitchDepth(next);
    }

    double Accuracy() => _scored == 0 ? double.NaN : _correct / (double)_scored;

    void FillHud()
    {
        _info.Depth = _worker.Depth;
        _info.Backend = _worker.Backend?.ToName();
        _info.Source = _o.Source.ToString();
        _info.Model = _worker.ModelDescription ?? _worker.Status;
        _info.RandomWeights = _worker.RandomWeights;
        _info.Notice = _worker.Error ?? _worker.Status ?? (_worker.Choice ?? _choice).Reason;
        _info.Lag = _worker.OnGpu && _lag.Count > 0 ? _lag.Mean : -1;
        if (_o.BudgetMs > 0 && _info.Notice == null) _info.Notice = $"adaptive: budget {_o.BudgetMs} ms";
        if (_teach != null) _info.Notice = _worker.Error ?? _teach.Status;
        _info.Fps = _frameStats.Count == 0 ? 0 : 1000.0 / Math.Max(_frameStats.Mean, 1e-6);
        _info.Dropped = (_ffmpeg?.Slot.Dropped ?? 0);
        _info.Inferred = _inferred;
        _info.Accuracy = _script != null && _scored > 0 ? Accuracy() : -1;
        if (_info.Stages.Count == 0)
        {
            bool gpu = _worker.OnGpu;
            _info.Stages.Add(("capture", _capture));
            _info.Stages.Add(("upload/render", _upload));
            _info.Stages.Add((gpu ? "preprocess GPU" : "preprocess", _pre));
            _info.Stages.Add((gpu ? "inference GPU" : "inference", _inf));
            _info.Stages.Add((gpu ? "readback map" : "readback+CAM", _post));
            if (gpu) _info.Stages.Add(("submit→logits", _submitToResult));
            if (_teach != null) _info.Stages.Add(("teach update", _teach.UpdateStats));
            _info.Stages.Add(("overlay", _overlayStats));
            _info.Stages.Add(("capture→display", _c2d));
        }
    }

    /// <summary>The P key: the composed frame (before the swap, while the back buffer is defined) as a PNG.
    /// A failure (full disk, unwritable folder) is one line in the log; the demo goes on.</summary>
    void SaveOutput(string path) => _screens.Save(_gl, _output?.Framebuffer ?? 0, _width, _height, path);

    void SaveScreenshot()
    {
        var path = Path.GetFullPath(Path.Combine(_o.OutDir ?? "out", $"screenshot_{DateTime.Now:yyyyMMdd_HHmmss_fff}.png"));
        try
        {
            SaveOutput(path); // Png.WriteFile creates the folder
            _log.WriteLine($"rr demo: screenshot {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.WriteLine($"rr demo: screenshot not saved to {path}: {e.Message}");
        }
    }

    /// <summary>frames.json: what was gathered, with <paramref name="ended"/> saying why the run stopped early (null: it did not).</summary>
    void WriteJson(double seconds, List<string> shots, string ended) => _json.Write(Path.Combine(_o.OutDir, "frames.json"), new FramesSummary
    {
        Source = _o.Source.ToString(), Model = _worker.ModelDescription, RandomWeights = _worker.RandomWeights,
        Width = _width, Height = _height, BackendRequested = _choice.Requested.ToName(), Backend = (_worker.Backend ?? _backend).ToName(), BackendReason = (_worker.Choice ?? _choice).Reason,
        GlRenderer = _ctx.Renderer, GlVersion = _ctx.Version, Ended = ended,
        Classes = _script != null ? SceneScript.Classes : Array.Empty<string>(),
        Frames = _frames, Predictions = _inferred, Accuracy = _script != null ? Accuracy() : double.NaN, Seconds = seconds,
        DroppedFrames = _ffmpeg?.Slot.Dropped ?? 0, FramesWithoutInference = _droppedInference, DroppedByRuntime = _worker.Dropped,
        Latency = new[] { ("capture", _capture), ("upload", _upload), ("preprocess", _pre), ("inference", _inf), ("readback", _post), ("overlay", _overlayStats), ("frame", _frameStats), ("capture_to_display", _c2d), ("submit_to_result", _submitToResult) },
        Layout = new[] { ("topk", _hud.TopKBox), ("hud", _hud.HudBox), ("graph", _hud.GraphBox), ("mosaic", _hud.MosaicBox) },
        Screenshots = shots, Text = _overlay.HasText,
        Teach = _teach == null ? null : w => _teach.WriteJson(w, _scored),
    });

    public void Dispose()
    {
        _worker?.Dispose();
        _teach?.Dispose();
        _ffmpeg?.Dispose();
        _overlay?.Dispose();
        _scene?.Dispose();
        _sceneView?.Dispose(); _display?.Dispose(); _output?.Dispose();
        _frameTex?.Dispose();
    }
}
