using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Realtime;

/// <summary>
/// Saves the host context's GL state that the gl backend changes and puts it back afterwards, so a host's
/// renderer finds its own program, buffers, textures, viewport and framebuffer after each of our calls
/// (Sentis does the same around its command buffers). Covered: the program; SSBO bindings 0..7 and UBO
/// bindings 0..3 (indexed, with their ranges) and the generic SSBO/UBO/copy bindings; image unit 0; the
/// active texture unit and the 2D texture bound on unit 0 and on the host's active unit; pack/unpack
/// alignment; viewport; draw and read framebuffers. Pre-allocated: Save/Restore allocate nothing.
/// </summary>
internal sealed unsafe class GlStateGuard
{
    const int Ssbos = 8, Ubos = 4;
    readonly GL _gl;
    readonly int[] _ssbo = new int[Ssbos], _ubo = new int[Ubos];
    readonly long[] _ssboStart = new long[Ssbos], _ssboSize = new long[Ssbos], _uboStart = new long[Ubos], _uboSize = new long[Ubos];
    readonly int[] _viewport = new int[4];
    int _program, _ssboGeneric, _uboGeneric, _copyRead, _copyWrite, _activeTexture, _tex0, _texActive, _drawFb, _readFb, _pack, _unpack;
    int _image, _imageLevel, _imageLayered, _imageLayer, _imageAccess, _imageFormat;

    public GlStateGuard(GL gl) => _gl = gl;

    public void Save()
    {
        var gl = _gl;
        gl.GetInteger(GLEnum.CurrentProgram, out _program);
        for (uint i = 0; i < Ssbos; i++)
        {
            gl.GetInteger(GLEnum.ShaderStorageBufferBinding, i, out _ssbo[i]);
            gl.GetInteger64(GLEnum.ShaderStorageBufferStart, i, out _ssboStart[i]);
            gl.GetInteger64(GLEnum.ShaderStorageBufferSize, i, out _ssboSize[i]);
        }
        for (uint i = 0; i < Ubos; i++)
        {
            gl.GetInteger(GLEnum.UniformBufferBinding, i, out _ubo[i]);
            gl.GetInteger64(GLEnum.UniformBufferStart, i, out _uboStart[i]);
            gl.GetInteger64(GLEnum.UniformBufferSize, i, out _uboSize[i]);
        }
        gl.GetInteger(GLEnum.ShaderStorageBufferBinding, out _ssboGeneric);
        gl.GetInteger(GLEnum.UniformBufferBinding, out _uboGeneric);
        gl.GetInteger(GLEnum.CopyReadBufferBinding, out _copyRead);
        gl.GetInteger(GLEnum.CopyWriteBufferBinding, out _copyWrite);
        gl.GetInteger(GLEnum.ImageBindingName, 0, out _image);
        gl.GetInteger(GLEnum.ImageBindingLevel, 0, out _imageLevel);
        gl.GetInteger(GLEnum.ImageBindingLayered, 0, out _imageLayered);
        gl.GetInteger(GLEnum.ImageBindingLayer, 0, out _imageLayer);
        gl.GetInteger(GLEnum.ImageBindingAccess, 0, out _imageAccess);
        gl.GetInteger(GLEnum.ImageBindingFormat, 0, out _imageFormat);
        gl.GetInteger(GLEnum.ActiveTexture, out _activeTexture);
        gl.GetInteger(GLEnum.TextureBinding2D, out _texActive);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.GetInteger(GLEnum.TextureBinding2D, out _tex0);
        gl.GetInteger(GLEnum.PackAlignment, out _pack);
        gl.GetInteger(GLEnum.UnpackAlignment, out _unpack);
        fixed (int* v = _viewport) gl.GetInteger(GLEnum.Viewport, v);
        gl.GetInteger(GLEnum.DrawFramebufferBinding, out _drawFb);
        gl.GetInteger(GLEnum.ReadFramebufferBinding, out _readFb);
    }

    public void Restore()
    {
        var gl = _gl;
        gl.UseProgram(_program != 0 && gl.IsProgram((uint)_program) ? (uint)_program : 0);
        for (uint i = 0; i < Ssbos; i++) Rebind(GLEnum.ShaderStorageBuffer, i, _ssbo[i], _ssboStart[i], _ssboSize[i]);
        for (uint i = 0; i < Ubos; i++) Rebind(GLEnum.UniformBuffer, i, _ubo[i], _uboStart[i], _uboSize[i]);
        // Indexed binds also set the generic binding point: the generic ones go back last.
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, Buf(_ssboGeneric));
        gl.BindBuffer(GLEnum.UniformBuffer, Buf(_uboGeneric));
        gl.BindBuffer(GLEnum.CopyReadBuffer, Buf(_copyRead));
        gl.BindBuffer(GLEnum.CopyWriteBuffer, Buf(_copyWrite));
        gl.BindImageTexture(0, Tex(_image), _imageLevel, _imageLayered != 0, _imageLayer, (GLEnum)_imageAccess,
            _imageFormat == 0 ? GLEnum.R32f : (GLEnum)_imageFormat); // unit never bound: format reads 0, which is no valid format
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindTexture(GLEnum.Texture2D, Tex(_tex0));
        gl.ActiveTexture((GLEnum)_activeTexture);
        gl.BindTexture(GLEnum.Texture2D, Tex(_texActive));
        gl.PixelStore(GLEnum.PackAlignment, _pack);
        gl.PixelStore(GLEnum.UnpackAlignment, _unpack);
        gl.Viewport(_viewport[0], _viewport[1], (uint)_viewport[2], (uint)_viewport[3]);
        gl.BindFramebuffer(GLEnum.DrawFramebuffer, (uint)_drawFb);
        gl.BindFramebuffer(GLEnum.ReadFramebuffer, (uint)_readFb);
    }

    // A name the host (or a disposed backend) deleted while it was bound reads back as bound on some drivers, and
    // rebinding it is GL_INVALID_VALUE/OPERATION: such a binding goes back to 0, which is what deletion means.
    uint Buf(int name) => name != 0 && _gl.IsBuffer((uint)name) ? (uint)name : 0;
    uint Tex(int name) => name != 0 && _gl.IsTexture((uint)name) ? (uint)name : 0;

    void Rebind(GLEnum target, uint index, int buffer, long start, long size)
    {
        uint b = Buf(buffer);
        if (b == 0 || size == 0) _gl.BindBufferBase(target, index, b);
        else _gl.BindBufferRange(target, index, b, (nint)start, (nuint)size);
    }
}
