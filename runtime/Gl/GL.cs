using System.Runtime.InteropServices;
using System.Text;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>Thrown for GL errors, missing entry points, shader compile/link failures (with the info log).</summary>
public sealed class GlException : Exception
{
    public GlException(string message) : base(message) { }
}

/// <summary>
/// OpenGL 4.3+ entry points as unmanaged function pointers (Silk.NET is not obtainable here).
/// Method names follow Silk.NET's (gl.DispatchCompute(...)) so a later swap is mechanical.
/// The table is loaded from the context that is current when it is constructed
/// (glfwGetProcAddress or eglGetProcAddress) and must only be used with that context current.
///
/// Entry points are grouped by area in partial files (GL.Core.cs, GL.Compute.cs, GL.Render.cs, ...):
/// each file declares its pointer fields and implements one partial Load* method.
/// </summary>
public sealed unsafe partial class GL
{
    readonly Func<string, nint> _getProcAddress;

    public GL(Func<string, nint> getProcAddress)
    {
        _getProcAddress = getProcAddress ?? throw new ArgumentNullException(nameof(getProcAddress));
        LoadCore();
        LoadCompute();
        LoadRender();
    }

    partial void LoadCore();
    partial void LoadCompute();
    partial void LoadRender();

    /// <summary>Required entry point: throws naming it when the driver does not export it.</summary>
    nint Proc(string name)
    {
        nint p = _getProcAddress(name);
        if (p == 0)
            throw new GlException($"OpenGL entry point {name} is missing: this driver/context does not provide OpenGL 4.3 (compute shaders)");
        return p;
    }

    /// <summary>Optional entry point (0 when absent); callers check before use.</summary>
    nint TryProc(string name) => _getProcAddress(name);

    internal static string Utf8(byte* s) => s == null ? null : Marshal.PtrToStringUTF8((nint)s);

    internal static byte[] Utf8Z(string s) => Encoding.UTF8.GetBytes(s + "\0");
}
