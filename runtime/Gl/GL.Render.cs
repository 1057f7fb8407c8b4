namespace ResNetRealtime.Runtime.Gl;

public static partial class GLEnum
{
    // capabilities for Enable/Disable
    public const uint DepthTest = 0x0B71, Blend = 0x0BE2, CullFaceMode = 0x0B44, ScissorTest = 0x0C11, Multisample = 0x809D;
    // blending and depth
    public const uint Zero = 0, One = 1, SrcAlpha = 0x0302, OneMinusSrcAlpha = 0x0303, DstAlpha = 0x0304, OneMinusDstAlpha = 0x0305;
    public const uint Never = 0x0200, Less = 0x0201, Equal = 0x0202, Lequal = 0x0203, Greater = 0x0204, Always = 0x0207;
    public const uint Front = 0x0404, Back = 0x0405, Cw = 0x0900, Ccw = 0x0901;
    // primitives and index types
    public const uint Points = 0x0000, Lines = 0x0001, LineStrip = 0x0003, Triangles = 0x0004, TriangleStrip = 0x0005, TriangleFan = 0x0006;
    public const uint UnsignedShort = 0x1403, Short = 0x1402, Byte = 0x1400;
    // renderbuffers (depth attachments of offscreen framebuffers)
    public const uint Renderbuffer = 0x8D41, DepthComponent24 = 0x81A6, DepthComponent32F = 0x8CAC,
        Depth24Stencil8 = 0x88F0, DepthStencilAttachment = 0x821A, StencilBufferBit = 0x0400;
    // single-channel 8-bit texture (glyph atlas)
    public const uint R8 = 0x8229;
}

/// <summary>
/// Drawing (GL 3.3 core subset): vertex arrays and attributes, draw calls, fixed-function state
/// (blending, depth, culling, viewport, scissor), clears, renderbuffers for depth, and the vec3 /
/// array uniforms that GL.Core does not declare. Everything here exists in every 3.3+ core context,
/// so entry points are required (<c>Proc</c>): a missing one means "no usable GL", said once at load.
/// Each wrapper calls Check like GL.Core's, so check mode names the failing entry point.
/// </summary>
public sealed unsafe partial class GL
{
    delegate* unmanaged<int, uint*, void> _genVertexArrays, _deleteVertexArrays;
    delegate* unmanaged<uint, void> _bindVertexArray;
    delegate* unmanaged<uint, int, uint, byte, int, nint, void> _vertexAttribPointer;
    delegate* unmanaged<uint, void> _enableVertexAttribArray, _disableVertexAttribArray;
    delegate* unmanaged<uint, int, int, void> _drawArrays;
    delegate* unmanaged<uint, int, uint, nint, void> _drawElements;
    delegate* unmanaged<uint, int, uint, nint, int, void> _drawElementsInstanced;
    delegate* unmanaged<uint, void> _enable, _disable, _depthFunc, _cullFace, _frontFace, _clear;
    delegate* unmanaged<byte, void> _depthMask;
    delegate* unmanaged<uint, uint, void> _blendFunc;
    delegate* unmanaged<uint, uint, uint, uint, void> _blendFuncSeparate;
    delegate* unmanaged<int, int, int, int, void> _viewport, _scissor;
    delegate* unmanaged<float, float, float, float, void> _clearColor;
    delegate* unmanaged<double, void> _clearDepth;
    delegate* unmanaged<float, void> _lineWidth;
    delegate* unmanaged<int, float, float, float, void> _uniform3f;
    delegate* unmanaged<int, int, float*, void> _uniform1fv, _uniform3fv, _uniform4fv;
    delegate* unmanaged<int, uint*, void> _genRenderbuffers, _deleteRenderbuffers;
    delegate* unmanaged<uint, uint, void> _bindRenderbuffer;
    delegate* unmanaged<uint, uint, int, int, void> _renderbufferStorage;
    delegate* unmanaged<uint, uint, uint, uint, void> _framebufferRenderbuffer;

    partial void LoadRender()
    {
        _genVertexArrays = (delegate* unmanaged<int, uint*, void>)Proc("glGenVertexArrays");
        _deleteVertexArrays = (delegate* unmanaged<int, uint*, void>)Proc("glDeleteVertexArrays");
        _bindVertexArray = (delegate* unmanaged<uint, void>)Proc("glBindVertexArray");
        _vertexAttribPointer = (delegate* unmanaged<uint, int, uint, byte, int, nint, void>)Proc("glVertexAttribPointer");
        _enableVertexAttribArray = (delegate* unmanaged<uint, void>)Proc("glEnableVertexAttribArray");
        _disableVertexAttribArray = (delegate* unmanaged<uint, void>)Proc("glDisableVertexAttribArray");
        _drawArrays = (delegate* unmanaged<uint, int, int, void>)Proc("glDrawArrays");
        _drawElements = (delegate* unmanaged<uint, int, uint, nint, void>)Proc("glDrawElements");
        _drawElementsInstanced = (delegate* unmanaged<uint, int, uint, nint, int, void>)TryProc("glDrawElementsInstanced");
        _enable = (delegate* unmanaged<uint, void>)Proc("glEnable");
        _disable = (delegate* unmanaged<uint, void>)Proc("glDisable");
        _depthFunc = (delegate* unmanaged<uint, void>)Proc("glDepthFunc");
        _depthMask = (delegate* unmanaged<byte, void>)Proc("glDepthMask");
        _cullFace = (delegate* unmanaged<uint, void>)Proc("glCullFace");
        _frontFace = (delegate* unmanaged<uint, void>)Proc("glFrontFace");
        _clear = (delegate* unmanaged<uint, void>)Proc("glClear");
        _blendFunc = (delegate* unmanaged<uint, uint, void>)Proc("glBlendFunc");
        _blendFuncSeparate = (delegate* unmanaged<uint, uint, uint, uint, void>)Proc("glBlendFuncSeparate");
        _viewport = (delegate* unmanaged<int, int, int, int, void>)Proc("glViewport");
        _scissor = (delegate* unmanaged<int, int, int, int, void>)Proc("glScissor");
        _clearColor = (delegate* unmanaged<float, float, float, float, void>)Proc("glClearColor");
        _clearDepth = (delegate* unmanaged<double, void>)Proc("glClearDepth");
        _lineWidth = (delegate* unmanaged<float, void>)Proc("glLineWidth");
        _uniform3f = (delegate* unmanaged<int, float, float, float, void>)Proc("glUniform3f");
        _uniform1fv = (delegate* unmanaged<int, int, float*, void>)Proc("glUniform1fv");
        _uniform3fv = (delegate* unmanaged<int, int, float*, void>)Proc("glUniform3fv");
        _uniform4fv = (delegate* unmanaged<int, int, float*, void>)Proc("glUniform4fv");
        _genRenderbuffers = (delegate* unmanaged<int, uint*, void>)Proc("glGenRenderbuffers");
        _deleteRenderbuffers = (delegate* unmanaged<int, uint*, void>)Proc("glDeleteRenderbuffers");
        _bindRenderbuffer = (delegate* unmanaged<uint, uint, void>)Proc("glBindRenderbuffer");
        _renderbufferStorage = (delegate* unmanaged<uint, uint, int, int, void>)Proc("glRenderbufferStorage");
        _framebufferRenderbuffer = (delegate* unmanaged<uint, uint, uint, uint, void>)Proc("glFramebufferRenderbuffer");
    }

    // ---------------------------------------------------------------- vertex arrays

    public uint GenVertexArray() { uint v; _genVertexArrays(1, &v); Check("glGenVertexArrays"); return v; }
    public void DeleteVertexArray(uint vao) { if (vao != 0) { _deleteVertexArrays(1, &vao); Check("glDeleteVertexArrays"); } }
    public void BindVertexArray(uint vao) { _bindVertexArray(vao); Check("glBindVertexArray"); }
    /// <summary>Attribute <paramref name="index"/> reads <paramref name="size"/> components of <paramref name="type"/>
    /// from the bound ARRAY_BUFFER at byte <paramref name="offset"/>, every <paramref name="stride"/> bytes.</summary>
    public void VertexAttribPointer(uint index, int size, uint type, bool normalized, int stride, nint offset)
    { _vertexAttribPointer(index, size, type, (byte)(normalized ? 1 : 0), stride, offset); Check("glVertexAttribPointer"); }
    public void EnableVertexAttribArray(uint index) { _enableVertexAttribArray(index); Check("glEnableVertexAttribArray"); }
    public void DisableVertexAttribArray(uint index) { _disableVertexAttribArray(index); Check("glDisableVertexAttribArray"); }

    // ---------------------------------------------------------------- draw calls

    public void DrawArrays(uint mode, int first, int count) { _drawArrays(mode, first, count); Check("glDrawArrays"); }
    /// <summary>Indexed draw from the bound ELEMENT_ARRAY_BUFFER; <paramref name="offset"/> in bytes.</summary>
    public void DrawElements(uint mode, int count, uint type, nint offset) { _drawElements(mode, count, type, offset); Check("glDrawElements"); }
    public void DrawElementsInstanced(uint mode, int count, uint type, nint offset, int instances)
    { _drawElementsInstanced(mode, count, type, offset, instances); Check("glDrawElementsInstanced"); }

    // ---------------------------------------------------------------- state

    public void Enable(uint cap) { _enable(cap); Check("glEnable"); }
    public void Disable(uint cap) { _disable(cap); Check("glDisable"); }
    public void BlendFunc(uint src, uint dst) { _blendFunc(src, dst); Check("glBlendFunc"); }
    public void BlendFuncSeparate(uint srcRgb, uint dstRgb, uint srcAlpha, uint dstAlpha)
    { _blendFuncSeparate(srcRgb, dstRgb, srcAlpha, dstAlpha); Check("glBlendFuncSeparate"); }
    public void DepthFunc(uint func) { _depthFunc(func); Check("glDepthFunc"); }
    public void DepthMask(bool write) { _depthMask((byte)(write ? 1 : 0)); Check("glDepthMask"); }
    public void CullFace(uint face) { _cullFace(face); Check("glCullFace"); }
    public void FrontFace(uint mode) { _frontFace(mode); Check("glFrontFace"); }
    public void Viewport(int x, int y, int width, int height) { _viewport(x, y, width, height); Check("glViewport"); }
    public void Scissor(int x, int y, int width, int height) { _scissor(x, y, width, height); Check("glScissor"); }
    public void LineWidth(float width) { _lineWidth(width); Check("glLineWidth"); }

    // ---------------------------------------------------------------- clears

    public void ClearColor(float r, float g, float b, float a) { _clearColor(r, g, b, a); Check("glClearColor"); }
    public void ClearDepth(double depth) { _clearDepth(depth); Check("glClearDepth"); }
    /// <summary>Mask of ColorBufferBit | DepthBufferBit | StencilBufferBit.</summary>
    public void Clear(uint mask) { _clear(mask); Check("glClear"); }

    // ---------------------------------------------------------------- uniforms GL.Core lacks

    public void Uniform3(int location, float x, float y, float z) { _uniform3f(location, x, y, z); Check("glUniform3f"); }
    public void Uniform1(int location, ReadOnlySpan<float> values) { fixed (float* p = values) _uniform1fv(location, values.Length, p); Check("glUniform1fv"); }
    /// <summary>vec3 array: values.Length must be a multiple of 3.</summary>
    public void Uniform3(int location, ReadOnlySpan<float> values) { fixed (float* p = values) _uniform3fv(location, values.Length / 3, p); Check("glUniform3fv"); }
    public void Uniform4(int location, ReadOnlySpan<float> values) { fixed (float* p = values) _uniform4fv(location, values.Length / 4, p); Check("glUniform4fv"); }

    // ---------------------------------------------------------------- renderbuffers

    public uint GenRenderbuffer() { uint r; _genRenderbuffers(1, &r); Check("glGenRenderbuffers"); return r; }
    public void DeleteRenderbuffer(uint rb) { if (rb != 0) { _deleteRenderbuffers(1, &rb); Check("glDeleteRenderbuffers"); } }
    public void BindRenderbuffer(uint target, uint rb) { _bindRenderbuffer(target, rb); Check("glBindRenderbuffer"); }
    public void RenderbufferStorage(uint target, uint internalFormat, int width, int height)
    { _renderbufferStorage(target, internalFormat, width, height); Check("glRenderbufferStorage"); }
    public void FramebufferRenderbuffer(uint target, uint attachment, uint rbTarget, uint rb)
    { _framebufferRenderbuffer(target, attachment, rbTarget, rb); Check("glFramebufferRenderbuffer"); }
}
