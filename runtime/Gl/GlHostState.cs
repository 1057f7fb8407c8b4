using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// The one owner of "put the host's GL state back": what our GL work (the compute backend and the real-time engine)
/// changes in a context it shares with a host, saved before that work and restored after, so the host's renderer finds
/// its own bindings again (Sentis does the same around its command buffers). Covered: the current program; SSBO
/// bindings 0..7 and UBO bindings 0..3 (indexed, with their ranges) and the generic SSBO/UBO/copy bindings; image
/// unit 0; the active texture unit and the 2-D texture bound on unit 0 and on the host's active unit; pack and unpack
/// alignment; the viewport; the draw and read framebuffers. A struct of fixed fields: saving and restoring allocates
/// nothing (about 70 glGet calls, client-side state on Mesa and desktop drivers).
/// </summary>
internal unsafe struct GlHostState
{
    /// <summary>SSBO binding points saved (the shaders use 0..6; 8 is the minimum GL 4.3 guarantees).</summary>
    public const int StorageBindings = 8;
    /// <summary>UBO binding points saved (the backend uses 0; a host's renderer typically its first few).</summary>
    public const int UniformBindings = 4;

    int _program, _activeTexture, _texture0, _textureActive, _ssbo, _ubo, _copyRead, _copyWrite;
    int _packAlignment, _unpackAlignment, _drawFb, _readFb;
    int _imageName, _imageLevel, _imageLayered, _imageLayer, _imageAccess, _imageFormat;
    fixed int _viewport[4];
    fixed int _ssboName[StorageBindings];
    fixed long _ssboStart[StorageBindings];
    fixed long _ssboSize[StorageBindings];
    fixed int _uboName[UniformBindings];
    fixed long _uboStart[UniformBindings];
    fixed long _uboSize[UniformBindings];

    public static GlHostState Save(GL gl)
    {
        var s = new GlHostState();
        s._program = gl.GetInteger(GLEnum.CurrentProgram);
        s._activeTexture = gl.GetInteger(GLEnum.ActiveTexture);
        s._textureActive = gl.GetInteger(GLEnum.TextureBinding2D);
        gl.ActiveTexture(GLEnum.Texture0);
        s._texture0 = gl.GetInteger(GLEnum.TextureBinding2D);
        gl.ActiveTexture((GLEnum)s._activeTexture);
        s._ssbo = gl.GetInteger(GLEnum.ShaderStorageBufferBinding);
        s._ubo = gl.GetInteger(GLEnum.UniformBufferBinding);
        s._copyRead = gl.GetInteger(GLEnum.CopyReadBufferBinding);
        s._copyWrite = gl.GetInteger(GLEnum.CopyWriteBufferBinding);
        s._packAlignment = gl.GetInteger(GLEnum.PackAlignment);
        s._unpackAlignment = gl.GetInteger(GLEnum.UnpackAlignment);
        s._drawFb = gl.GetInteger(GLEnum.DrawFramebufferBinding);
        s._readFb = gl.GetInteger(GLEnum.ReadFramebufferBinding);
        gl.GetInteger(GLEnum.Viewport, s._viewport);
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
        for (uint i = 0; i < UniformBindings; i++)
        {
            gl.GetInteger(GLEnum.UniformBufferBinding, i, out s._uboName[i]);
            gl.GetInteger64(GLEnum.UniformBufferStart, i, out s._uboStart[i]);
            gl.GetInteger64(GLEnum.UniformBufferSize, i, out s._uboSize[i]);
        }
        return s;
    }

    public readonly void Restore(GL gl)
    {
        // A program deleted while current stays current until replaced, then is gone: binding it back would be
        // GL_INVALID_VALUE (the host had already let it go), so such a program is restored as 0.
        gl.UseProgram(_program != 0 && gl.IsProgram((uint)_program) ? (uint)_program : 0);
        for (uint i = 0; i < StorageBindings; i++) Rebind(gl, GLEnum.ShaderStorageBuffer, i, _ssboName[i], _ssboStart[i], _ssboSize[i]);
        for (uint i = 0; i < UniformBindings; i++) Rebind(gl, GLEnum.UniformBuffer, i, _uboName[i], _uboStart[i], _uboSize[i]);
        // The indexed binds above also set the generic bindings: restore those last.
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, Buf(gl, _ssbo));
        gl.BindBuffer(GLEnum.UniformBuffer, Buf(gl, _ubo));
        gl.BindBuffer(GLEnum.CopyReadBuffer, Buf(gl, _copyRead));
        gl.BindBuffer(GLEnum.CopyWriteBuffer, Buf(gl, _copyWrite));
        // Unbound image units may report format/access 0, which glBindImageTexture rejects: use the spec defaults.
        gl.BindImageTexture(0, Tex(gl, _imageName), _imageLevel, _imageLayered != 0, _imageLayer,
            _imageAccess != 0 ? (GLEnum)_imageAccess : GLEnum.ReadOnly, _imageFormat != 0 ? (GLEnum)_imageFormat : GLEnum.R8);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindTexture(GLEnum.Texture2D, Tex(gl, _texture0));
        gl.ActiveTexture((GLEnum)_activeTexture);
        gl.BindTexture(GLEnum.Texture2D, Tex(gl, _textureActive));
        gl.PixelStore(GLEnum.PackAlignment, _packAlignment);
        gl.PixelStore(GLEnum.UnpackAlignment, _unpackAlignment);
        gl.Viewport(_viewport[0], _viewport[1], (uint)_viewport[2], (uint)_viewport[3]);
        // Deleting a bound framebuffer reverts the binding to 0 (spec), so a saved name is still valid here.
        gl.BindFramebuffer(GLEnum.DrawFramebuffer, (uint)_drawFb);
        gl.BindFramebuffer(GLEnum.ReadFramebuffer, (uint)_readFb);
    }

    // A name the host (or a disposed backend) deleted while it was bound reads back as bound on some drivers, and
    // rebinding it is GL_INVALID_VALUE/OPERATION: such a binding goes back to 0, which is what deletion means.
    static uint Buf(GL gl, int name) => name != 0 && gl.IsBuffer((uint)name) ? (uint)name : 0;
    static uint Tex(GL gl, int name) => name != 0 && gl.IsTexture((uint)name) ? (uint)name : 0;

    static void Rebind(GL gl, GLEnum target, uint index, int name, long start, long size)
    {
        uint b = Buf(gl, name);
        // Size 0 = bound whole (glBindBufferBase) or nothing bound.
        if (b == 0 || size == 0) gl.BindBufferBase(target, index, b);
        else gl.BindBufferRange(target, index, b, (nint)start, (nuint)size);
    }
}
