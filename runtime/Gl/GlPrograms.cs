using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// Shader compile and program link over Silk.NET's <see cref="GL"/>, failing loudly: a failure deletes what it
/// made and throws a <see cref="GlException"/> with the shader's name and the driver's full info log.
/// Setup-time only (the info-log overloads allocate strings). The compute backend uses it; the demo links its
/// vertex/fragment programs with the same two calls. Objects go through <see cref="GlObjects"/> (counted): free them
/// with <see cref="GlObjects.DeleteProgram"/> / <see cref="GlObjects.DeleteShader"/>.
/// </summary>
internal static class GlPrograms
{
    /// <summary>Compiles one shader of <paramref name="type"/>; <paramref name="name"/> (the file) goes into errors.</summary>
    public static uint Compile(GL gl, ShaderType type, string source, string name)
    {
        uint s = GlObjects.Shader(gl, type);
        if (s == 0) throw new GlException($"glCreateShader({type}) failed for {name} ({GlErrors.Name(gl.GetError())})");
        gl.ShaderSource(s, source);
        gl.CompileShader(s);
        if (gl.GetShader(s, GLEnum.CompileStatus) == 0)
        {
            string log = gl.GetShaderInfoLog(s).TrimEnd('\0', '\n');
            GlObjects.DeleteShader(gl, s);
            throw new GlException($"shader {name} failed to compile:\n{log}");
        }
        return s;
    }

    /// <summary>Links <paramref name="shaders"/> into a program (detached afterwards, not deleted); throws with the info log.
    /// <paramref name="retrievableBinary"/> asks the driver to keep a binary for <c>glGetProgramBinary</c> (a cache).</summary>
    public static uint Link(GL gl, string name, bool retrievableBinary, params ReadOnlySpan<uint> shaders)
    {
        uint p = GlObjects.Program(gl);
        if (retrievableBinary) gl.ProgramParameter(p, GLEnum.ProgramBinaryRetrievableHint, 1);
        foreach (var s in shaders) gl.AttachShader(p, s);
        gl.LinkProgram(p);
        foreach (var s in shaders) gl.DetachShader(p, s);
        if (gl.GetProgram(p, GLEnum.LinkStatus) == 0)
        {
            string log = gl.GetProgramInfoLog(p).TrimEnd('\0', '\n');
            GlObjects.DeleteProgram(gl, p);
            throw new GlException($"program {name} failed to link:\n{log}");
        }
        return p;
    }

    /// <summary>A compute program from one source: compile + link, throwing with the shader name and info log.</summary>
    public static uint CreateCompute(GL gl, string source, string name, bool retrievableBinary = false)
    {
        uint s = Compile(gl, ShaderType.ComputeShader, source, name);
        try { return Link(gl, name, retrievableBinary, s); }
        finally { GlObjects.DeleteShader(gl, s); }
    }
}
