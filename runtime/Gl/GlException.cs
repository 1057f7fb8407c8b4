#nullable enable
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>Thrown for GL errors, missing entry points, shader compile/link failures (with the info log).</summary>
public sealed class GlException : Exception
{
    public GlException(string message) : base(message) { }
}

/// <summary>glGetError as exceptions. Silk.NET's <see cref="GL"/> does not check errors (a round trip per call on
/// real drivers), so callers check at points that name what failed: a layer, a setup step, a test.</summary>
internal static class GlErrors
{
    public static string Name(GLEnum e) => e switch
    {
        GLEnum.NoError => "GL_NO_ERROR", GLEnum.InvalidEnum => "GL_INVALID_ENUM", GLEnum.InvalidValue => "GL_INVALID_VALUE",
        GLEnum.InvalidOperation => "GL_INVALID_OPERATION", GLEnum.StackOverflow => "GL_STACK_OVERFLOW",
        GLEnum.StackUnderflow => "GL_STACK_UNDERFLOW", GLEnum.OutOfMemory => "GL_OUT_OF_MEMORY",
        GLEnum.InvalidFramebufferOperation => "GL_INVALID_FRAMEBUFFER_OPERATION", _ => $"0x{(uint)e:X}",
    };

    /// <summary>Throws when glGetError reports an error, naming <paramref name="what"/>; drains the error queue.
    /// Allocates only when it throws.</summary>
    public static void ThrowIfError(GL gl, string what)
    {
        var e = gl.GetError();
        if (e == GLEnum.NoError) return;
        var names = new List<string> { Name(e) };
        for (int i = 0; i < 8 && (e = gl.GetError()) != GLEnum.NoError; i++) names.Add(Name(e));
        throw new GlException($"{what}: {string.Join(", ", names)}");
    }

    /// <summary>Empties the error queue (after a call whose failure is an expected signal, e.g. a stale program binary).</summary>
    public static void Drain(GL gl)
    {
        for (int i = 0; i < 16 && gl.GetError() != GLEnum.NoError; i++) { }
    }
}
