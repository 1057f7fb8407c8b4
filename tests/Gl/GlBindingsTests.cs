using NUnit.Framework;
using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Tests.Gl;

[TestFixture, Category("Gl")]
public class GlBindingsTests
{
    [Test]
    public void HeadlessContextIsDesktopGl43Core()
    {
        var ctx = GlTestContext.Get();
        Assert.That(ctx.Major * 10 + ctx.Minor, Is.GreaterThanOrEqualTo(43), ctx.Description);
        Assert.That(ctx.Gl.HasCompute, Is.True);
        Assert.That(ctx.Gl.GetInteger(GLEnum.MaxComputeWorkGroupSize, 0), Is.GreaterThanOrEqualTo(128));
    }

    [Test]
    public void ComputeShaderDispatchesAndReadsBack()
    {
        var gl = GlTestContext.Get().Gl;
        const string src = """
            #version 430
            layout(local_size_x = 64) in;
            layout(std430, binding = 0) buffer Data { float v[]; };
            uniform int n;
            uniform float scale;
            void main() {
                uint i = gl_GlobalInvocationID.x;
                if (i >= uint(n)) return;
                v[i] = v[i] * scale + float(i);
            }
            """;
        uint prog = gl.CreateComputeProgram(src, "test-scale");
        uint buf = gl.GenBuffer();
        try
        {
            const int n = 1000; // not a multiple of the 64-wide group: exercises the bounds check
            var data = new float[n + 7];
            for (int i = 0; i < data.Length; i++) data[i] = 0.5f * i - 3;
            gl.BindBuffer(GLEnum.ShaderStorageBuffer, buf);
            gl.BufferData<float>(GLEnum.ShaderStorageBuffer, data, GLEnum.DynamicCopy);
            gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, buf);
            gl.UseProgram(prog);
            gl.Uniform1(gl.GetUniformLocation(prog, "n"), n);
            gl.Uniform1(gl.GetUniformLocation(prog, "scale"), 2f);
            gl.DispatchCompute((n + 63) / 64, 1, 1);
            gl.MemoryBarrier(GLEnum.BufferUpdateBarrierBit);
            var back = new float[data.Length];
            gl.GetBufferSubData<float>(GLEnum.ShaderStorageBuffer, 0, back);
            for (int i = 0; i < data.Length; i++)
                Assert.That(back[i], Is.EqualTo(i < n ? data[i] * 2 + i : data[i]), $"element {i}");
        }
        finally { gl.DeleteBuffer(buf); gl.DeleteProgram(prog); }
    }

    [Test]
    public void CompileErrorThrowsWithShaderNameAndInfoLog()
    {
        var gl = GlTestContext.Get().Gl;
        var e = Assert.Throws<GlException>(() => gl.CreateComputeProgram("#version 430\nlayout(local_size_x=1) in;\nvoid main() { undefined_thing = 1; }", "broken.comp"));
        Assert.That(e.Message, Does.Contain("broken.comp").And.Contain("undefined_thing"));
    }

    [Test]
    public void CheckModeThrowsNamingTheEntryPoint()
    {
        var gl = GlTestContext.Get().Gl;
        // Binding a buffer name that was never generated is GL_INVALID_OPERATION in a core profile.
        var e = Assert.Throws<GlException>(() => gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, 987654));
        Assert.That(e.Message, Does.Contain("glBindBufferBase").And.Contain("GL_INVALID"));
    }

    [Test]
    public void FenceSignalsAfterFinish()
    {
        var gl = GlTestContext.Get().Gl;
        nint sync = gl.FenceSync();
        gl.Finish();
        uint r = gl.ClientWaitSync(sync, 0, 0);
        gl.DeleteSync(sync);
        Assert.That(r, Is.EqualTo(GLEnum.AlreadySignaled).Or.EqualTo(GLEnum.ConditionSatisfied));
    }

    [Test]
    public void FromCurrentWrapsTheCurrentContext()
    {
        var own = GlTestContext.Get();
        using var host = GlContext.FromCurrent(name => Egl.GetProcAddress(name));
        Assert.That(host.IsOwned, Is.False);
        Assert.That(host.Renderer, Is.EqualTo(own.Renderer));
        Assert.That(host.SupportsCompute, Is.True);
    }
}
