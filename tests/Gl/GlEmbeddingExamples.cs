using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Onnx;
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
        using var backend = GlBackendFactory.Create(OnnxModel.Load(modelPath), new BackendOptions(),
            new GlBackendOptions { Context = context });
        var logits = new float[backend.Classes];
        while (nextFrame())                         // the host's render loop: draw, swap, poll events
        {
            if (backend.Pending < 2) { backend.SetInputTexture(texture, width, height); backend.Submit(); }
            if (backend.TryGetResult(logits))       // never waits: the result of a frame or two ago
                Console.WriteLine($"class {(int)backend.TopK[0]}: {backend.TopK[1]:P1}");
        }
    }
}
