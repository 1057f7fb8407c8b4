using NUnit.Framework;
using ResNetRealtime.Demo.App;
using ResNetRealtime.Demo.Render;
using ResNetRealtime.Demo.Scene;
using ResNetRealtime.Demo.Text;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Demo;

/// <summary>A demo frame on the gl path, drawn with Silk.NET's GL directly: scene into its render target, that texture
/// offered to the in-context gl backend, the result waited for (headless lock-step), then frame, heatmap, mosaic and text
/// composed by the overlay. After warm-up none of it may allocate.</summary>
public class DemoSteadyStateTests
{
    [Test]
    public void GlPathFrameAllocatesNothingInSteadyState()
    {
        // Fail, not skip, without the model or GL 4.3 compute (the suite's rule, see GlTestContext).
        Assert.That(File.Exists(ModelProvider.DefaultModelPath()), Is.True, "models/scene-resnet.onnx is committed; it is missing");
        GpuDemoTests.RequireCompute();
        using (var ctx = GlContext.CreateHeadless())
        {
            var gl = ctx.Gl;
            const int size = 64, w = 320, h = 200;
            using var scene = new SceneRenderer(gl);
            using var view = new RenderTarget(gl, size, size);
            using var screen = new RenderTarget(gl, w, h, depth: false);
            using var overlay = new Overlay(gl, GlyphAtlas.TryCreate(15, out _)); // no font here: text draws nothing, quads still do
            using var gpu = new LivePath(ctx, new DemoOptions(), scene: true, sceneSize: size, depth: 18, backend: Backend.Gl, TextWriter.Null);
            Assert.That(gpu.WaitReady(60_000), Is.True, gpu.Error);
            var script = new SceneScript(3);
            var frame = new ResNetRealtime.Demo.Sources.CapturedFrame(1, 1);
            var result = new ResultSnapshot();
            var line = new TextLine();
            long n = 0;
            int offered = 0, results = 0;
            void Frame()
            {
                frame.Sequence = n;
                view.Bind();
                scene.Draw(script.StateAt(n++), size, size);
                if (gpu.TryOffer(frame, new FrameTexture(view.ColorTexture, size, size, FlipY: true))) offered++; // no Assert in here: NUnit's constraints allocate
                if (gpu.TryGetResult(result, timeoutMs: 30_000)) results++;
                screen.Bind();
                gl.ClearColor(0, 0, 0, 1);
                gl.Clear(ClearBufferMask.ColorBufferBit);
                overlay.SetHeat(result.HeatTexture);
                overlay.SetMosaic(result.MosaicTexture);
                overlay.Begin(w, h, view.ColorTexture);
                overlay.Quad(0, 0, w, h, 0, 1, 1, 0, 1, 1, 1, 1, QuadMode.Frame);
                overlay.Quad(0, 0, w, h, 0, 0, 1, 1, 1, 1, 1, 0.5f, QuadMode.Heat);
                overlay.Quad(w - 64, 0, 64, 64, 0, 0, 1, 1, 1, 1, 1, 1, QuadMode.Mosaic);
                overlay.Rect(8, 8, 100, 20, 0, 0, 0, 0.6f);
                overlay.Text(line.Clear().Append(result.TopLabel[0]).Append(" ").Append(result.TopProb[0] * 100, "F1").Span, 10, 10, 1, 1, 1);
                overlay.Flush();
                gl.Finish();
            }
            Assert.That(SteadyState.BytesPerWindow(Frame, callsPerWindow: 3, windows: 4), Is.EqualTo(0),
                "bytes allocated by 3 demo frames on the gl path (scene, offer, result, overlay)");
            Assert.That((offered, results), Is.EqualTo((n, n)), "lock-step: every frame was offered and got its result");
            GlErrors.ThrowIfError(gl, "demo frame");
        }
    }
}
