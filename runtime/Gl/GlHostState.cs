using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The host-visible GL state the compute backend changes, saved before its work and put back after, so an engine
/// that shares its context sees its own bindings again: current program, active texture unit and unit 0's 2-D texture,
/// image unit 0, the generic SSBO/UBO/copy buffer bindings, SSBO bindings 0..6 and UBO binding 0 (with their ranges),
/// and the pack alignment. The viewport and framebuffers are never touched. A struct of fixed fields: saving and
/// restoring allocates nothing (about 40 glGet calls, client-side state on Mesa and desktop drivers).
/// </summary>
public unsafe struct GlHostState
{
    /// <summary>SSBO binding points the shaders use (0..6).</summary>
    public const int StorageBindings = 7;

    int _program, _activeTexture, _texture0, _ssbo, _ubo, _copyRead, _copyWrite, _packAlignment;
    int _imageName, _imageLevel, _imageLayered, _imageLayer, _imageAccess, _imageFormat;
    fixed int _ssboName[StorageBindings];
    fixed long _ssboStart[StorageBindings];
    fixed long _ssboSize[StorageBindings];
    int _uboName;
    long _uboStart, _uboSize;

    public static GlHostState Save(GL gl)
    {
        var s = new GlHostState();
        s._program = gl.GetInteger(GLEnum.CurrentProgram);
        s._activeTexture = gl.GetInteger(GLEnum.ActiveTexture);
        gl.ActiveTexture(GLEnum.Texture0);
        s._texture0 = gl.GetInteger(GLEnum.TextureBinding2D);
        gl.ActiveTexture((GLEnum)s._activeTexture);
        s._ssbo = gl.GetInteger(GLEnum.ShaderStorageBufferBinding);
        s._ubo = gl.GetInteger(GLEnum.UniformBufferBinding);
        s._copyRead = gl.GetInteger(GLEnum.CopyReadBufferBinding);
        s._copyWrite = gl.GetInteger(GLEnum.CopyWriteBufferBinding);
        s._packAlignment = gl.GetInteger(GLEnum.PackAlignment);
        gl.GetInteger(GLEnum.ImageBindingName, 0, out s._imageName);
        gl.GetInteger(GLEnum.ImageBindingLevel, 0, out s._imageLevel);
        gl.GetInteger(GLEnum.ImageBindingLayered, 0, out s._imageLayered);
        gl.GetInteger(GLEnum.ImageBindingLayer, 0, out s._imageLayer);
        gl.GetInteger(GLEnum.ImageBindingAccess, 0, out s._imageAccess);
        gl.GetInteger(GLEnum.ImageBindingFormat, 0, out s._imageFormat);
        for (uint i = 0; i < StorageBindings; i++)
        {
            gl.GetInteger(GLEnum.ShaderStorageBufferBinding, i, out s._ssboName[i]);
            gl.GetInteger64(GLEnum.ShaderStorageBufferStart, i, out s._ssboStart[i]);
            gl.GetInteger64(GLEnum.ShaderStorageBufferSize, i, out s._ssboSize[i]);
        }
        gl.GetInteger(GLEnum.UniformBufferBinding, 0, out s._uboName);
        gl.GetInteger64(GLEnum.UniformBufferStart, 0, out s._uboStart);
        gl.GetInteger64(GLEnum.UniformBufferSize, 0, out s._uboSize);
        return s;
    }

    public readonly void Restore(GL gl)
    {
        // A program deleted while current stays current until replaced, then is gone: binding it back would be
        // GL_INVALID_VALUE (the host had already let it go), so such a program is restored as 0.
        gl.UseProgram(_program != 0 && gl.IsProgram((uint)_program) ? (uint)_program : 0);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindTexture(GLEnum.Texture2D, (uint)_texture0);
        gl.ActiveTexture((GLEnum)_activeTexture);
        // Unbound image units may report format/access 0, which glBindImageTexture rejects: use the spec defaults.
        gl.BindImageTexture(0, (uint)_imageName, _imageLevel, _imageLayered != 0, _imageLayer,
            _imageAccess != 0 ? (GLEnum)_imageAccess : GLEnum.ReadOnly, _imageFormat != 0 ? (GLEnum)_imageFormat : GLEnum.R8);
        for (uint i = 0; i < StorageBindings; i++) Rebind(gl, GLEnum.ShaderStorageBuffer, i, _ssboName[i], _ssboStart[i], _ssboSize[i]);
        Rebind(gl, GLEnum.UniformBuffer, 0, _uboName, _uboStart, _uboSize);
        // The indexed binds above also set the generic bindings: restore those last.
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, (uint)_ssbo);
        gl.BindBuffer(GLEnum.UniformBuffer, (uint)_ubo);
        gl.BindBuffer(GLEnum.CopyReadBuffer, (uint)_copyRead);
        gl.BindBuffer(GLEnum.CopyWriteBuffer, (uint)_copyWrite);
        gl.PixelStore(GLEnum.PackAlignment, _packAlignment);
    }

    static void Rebind(GL gl, GLEnum target, uint index, int name, long start, long size)
    {
        // Size 0 = bound whole (glBindBufferBase) or nothing bound.
        if (name == 0 || size == 0) gl.BindBufferBase(target, index, (uint)name);
        else gl.BindBufferRange(target, index, (uint)name, (nint)start, (nuint)size);
    }
}
