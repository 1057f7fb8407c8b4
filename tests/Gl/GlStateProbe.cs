using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// The host-visible GL state a host's renderer relies on, read with plain glGet calls (deliberately not through
/// <see cref="Runtime.Gl.GlHostState"/>, so a field that struct forgets shows up as a difference). One line per item;
/// tests compare the lists before and after our work.
/// </summary>
static class GlStateProbe
{
    public static List<string> Read(GL gl)
    {
        var s = new List<string>
        {
            $"program {gl.GetInteger(GLEnum.CurrentProgram)}",
            $"ssbo {gl.GetInteger(GLEnum.ShaderStorageBufferBinding)}", $"ubo {gl.GetInteger(GLEnum.UniformBufferBinding)}",
            $"copy read {gl.GetInteger(GLEnum.CopyReadBufferBinding)}", $"copy write {gl.GetInteger(GLEnum.CopyWriteBufferBinding)}",
            $"pack alignment {gl.GetInteger(GLEnum.PackAlignment)}", $"unpack alignment {gl.GetInteger(GLEnum.UnpackAlignment)}",
            $"draw fb {gl.GetInteger(GLEnum.DrawFramebufferBinding)}", $"read fb {gl.GetInteger(GLEnum.ReadFramebufferBinding)}",
        };
        int active = gl.GetInteger(GLEnum.ActiveTexture);
        s.Add($"active texture {active - (int)GLEnum.Texture0}, bound there {gl.GetInteger(GLEnum.TextureBinding2D)}");
        gl.ActiveTexture(GLEnum.Texture0);
        s.Add($"unit 0 texture {gl.GetInteger(GLEnum.TextureBinding2D)}");
        gl.ActiveTexture((GLEnum)active);
        var vp = new int[4];
        gl.GetInteger(GLEnum.Viewport, vp);
        s.Add($"viewport {string.Join(",", vp)}");
        gl.GetInteger(GLEnum.ImageBindingName, 0, out int img);
        gl.GetInteger(GLEnum.ImageBindingFormat, 0, out int imgFormat);
        s.Add($"image 0 {img} format {imgFormat}");
        for (uint i = 0; i < 8; i++) s.Add(Indexed(gl, "ssbo", i, GLEnum.ShaderStorageBufferBinding, GLEnum.ShaderStorageBufferStart, GLEnum.ShaderStorageBufferSize));
        for (uint i = 0; i < 4; i++) s.Add(Indexed(gl, "ubo", i, GLEnum.UniformBufferBinding, GLEnum.UniformBufferStart, GLEnum.UniformBufferSize));
        return s;
    }

    static string Indexed(GL gl, string what, uint i, GLEnum binding, GLEnum start, GLEnum size)
    {
        gl.GetInteger(binding, i, out int b);
        gl.GetInteger64(start, i, out long st);
        gl.GetInteger64(size, i, out long sz);
        return $"{what}[{i}] {b} {st}+{sz}";
    }
}
