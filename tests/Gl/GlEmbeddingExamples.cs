using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Realtime;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>The gl-backend embedding snippets of docs/gpu-backend.md: each block starts at a
/// "// gl example:" line and runs to the next blank line. A test keeps that page and this file identical and runs them.</summary>
public static class GlEmbeddingExamples
{
    public static void SilkHost(GL gl, string modelPath, uint texture, int width, int height, Func<bool> nextFrame)
    {
        // gl example: a host that runs Silk.NET hands over its GL
        using var context = GlContext.FromGl(gl); // gl: the host's own GL.GetApi(window); it stays the host's

        FrameLoop(context, modelPath, texture, width, height, nextFrame);
    }

    public static void OtherHost(Func<string, nint> getProcAddress, string modelPath, uint texture, int width, int height, Func<bool> nextFrame)
    {
        // gl example: any other windowing layer hands over its loader
        using var context = GlContext.FromCurrent(getProcAddress); // glfwGetProcAddress, SDL_GL_GetProcAddress, ...

        FrameLoop(context, modelPath, texture, width, height, nextFrame);
    }

    public static void FrameLoop(GlContext context, string modelPath, uint texture, int width, int height, Func<bool> nextFrame)
    {
        // gl example: then, on the thread where that context is current
        using var classifier = RealtimeClassifier.Create(modelPath, new RealtimeOptions { Backend = Backend.Gl, GlContext = context });
        var result = classifier.CreateResult();
        for (long frame = 0; nextFrame(); frame++)  // the host's render loop: draw, swap, poll events
        {
            classifier.Submit(FrameInput.FromTexture(texture, width, height), frame); // never waits
            classifier.Update();                     // this thread only: encodes layers, collects a finished result
            if (classifier.TryGetLatest(ref result)) // the result of a frame or two ago
                Console.WriteLine($"class {result.TopK[0].ClassIndex}: {result.TopK[0].Probability:P1}");
        }
    }
}
