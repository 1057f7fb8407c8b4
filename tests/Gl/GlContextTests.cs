using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// What stays ours on top of Silk.NET's GL: the headless EGL context, the two ways a host hands its context over
/// (its own Silk <see cref="GL"/>, or a getProcAddress), the "needs OpenGL 4.3" checks, shader errors that carry the
/// driver's info log, and glGetError turned into exceptions that name what failed. Silk's own calls are not re-tested.
/// </summary>
[TestFixture, Category("Gl")]
public unsafe class GlContextTests
{
    [Test]
    public void HeadlessContextIsDesktopGl43CoreWithEveryComputeEntryPoint()
    {
        var ctx = GlTestContext.Get();
        Assert.That(ctx.Major * 10 + ctx.Minor, Is.GreaterThanOrEqualTo(43), ctx.Description);
        Assert.That(ctx.IsOwned, Is.True);
        Assert.That(ctx.Platform, Is.AnyOf("surfaceless", "device", "default+pbuffer"));
        Assert.That(ctx.MissingEntryPoint(), Is.Null);
        Assert.That(ctx.SupportsCompute, Is.True);
        Assert.That(ctx.Gl.GetInteger(GLEnum.MaxComputeWorkGroupSize, 0), Is.GreaterThanOrEqualTo(128));
    }

    [Test]
    public void ComputeProgramFromGlProgramsRunsInTheHeadlessContext()
    {
        // The verified recipe end to end: our EGL context + GL.GetApi(eglGetProcAddress) + our compile helper.
        var gl = GlTestContext.Get().Gl;
        const string src = """
            #version 430
            layout(local_size_x = 64) in;
            layout(std430, binding = 0) buffer Data { float v[]; };
            uniform int n;
            void main() {
                uint i = gl_GlobalInvocationID.x;
                if (i >= uint(n)) return;
                v[i] = v[i] * 2.0 + float(i);
            }
            """;
        uint prog = GlPrograms.CreateCompute(gl, src, "test-scale");
        uint buf = gl.GenBuffer();
        try
        {
            const int n = 1000; // not a multiple of the 64-wide group: the bounds check must hold the tail
            var data = new float[n + 7];
            for (int i = 0; i < data.Length; i++) data[i] = 0.5f * i - 3;
            gl.BindBuffer(GLEnum.ShaderStorageBuffer, buf);
            gl.BufferData<float>(GLEnum.ShaderStorageBuffer, data, GLEnum.DynamicCopy);
            gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, buf);
            gl.UseProgram(prog);
            gl.Uniform1(gl.GetUniformLocation(prog, "n"), n);
            gl.DispatchCompute((n + 63) / 64, 1, 1);
            gl.MemoryBarrier(MemoryBarrierMask.BufferUpdateBarrierBit);
            var back = new float[data.Length];
            gl.GetBufferSubData<float>(GLEnum.ShaderStorageBuffer, 0, back);
            GlErrors.ThrowIfError(gl, "test dispatch");
            for (int i = 0; i < data.Length; i++)
                Assert.That(back[i], Is.EqualTo(i < n ? data[i] * 2 + i : data[i]), $"element {i}");
        }
        finally { gl.DeleteBuffer(buf); GlObjects.DeleteProgram(gl, prog); }
    }

    [Test]
    public void CompileErrorThrowsWithShaderNameAndInfoLog()
    {
        var gl = GlTestContext.Get().Gl;
        var e = Assert.Throws<GlException>(() => GlPrograms.CreateCompute(gl, "#version 430\nlayout(local_size_x=1) in;\nvoid main() { undefined_thing = 1; }", "broken.comp"));
        Assert.That(e.Message, Does.Contain("broken.comp").And.Contain("failed to compile").And.Contain("undefined_thing"));
    }

    [Test]
    public void LinkErrorThrowsWithProgramNameAndInfoLog()
    {
        var gl = GlTestContext.Get().Gl;
        // A vertex shader alone links, so link two compute shaders: "more than one compute shader main" style errors
        // differ per driver; what must hold is the name and a non-empty log.
        uint a = GlPrograms.Compile(gl, ShaderType.ComputeShader, "#version 430\nlayout(local_size_x=1) in;\nvoid main() {}", "a.comp");
        uint b = GlPrograms.Compile(gl, ShaderType.ComputeShader, "#version 430\nlayout(local_size_x=2) in;\nvoid main() {}", "b.comp");
        try
        {
            var e = Assert.Throws<GlException>(() => GlPrograms.Link(gl, "a+b", false, a, b));
            Assert.That(e.Message, Does.StartWith("program a+b failed to link:\n"));
            Assert.That(e.Message.Length, Is.GreaterThan("program a+b failed to link:\n".Length), "the info log is empty");
        }
        finally { GlObjects.DeleteShader(gl, a); GlObjects.DeleteShader(gl, b); }
    }

    [Test]
    public void ThrowIfErrorNamesWhatFailedAndDrainsTheQueue()
    {
        var gl = GlTestContext.Get().Gl;
        GlErrors.Drain(gl);
        // Binding a buffer name that was never generated is GL_INVALID_OPERATION in a core profile.
        gl.BindBufferBase(GLEnum.ShaderStorageBuffer, 0, 987654);
        var e = Assert.Throws<GlException>(() => GlErrors.ThrowIfError(gl, "binding buffer 987654"));
        Assert.That(e.Message, Does.StartWith("binding buffer 987654: GL_INVALID_OPERATION"));
        Assert.DoesNotThrow(() => GlErrors.ThrowIfError(gl, "after the throw"), "the error queue was drained");
    }

    [Test]
    public void FromCurrentWrapsTheCurrentContextWithoutOwningIt()
    {
        var own = GlTestContext.Get();
        var host = GlContext.FromCurrent(name => Egl.GetProcAddress(name));
        Assert.That(host.IsOwned, Is.False);
        Assert.That(host.Platform, Is.EqualTo("host"));
        Assert.That(host.Renderer, Is.EqualTo(own.Renderer));
        Assert.That(host.SupportsCompute, Is.True);
        host.Dispose();
        // The context is the host's: still current and working after our wrapper is gone.
        Assert.That(Egl.GetCurrentContext(), Is.Not.Zero);
        Assert.That(own.Gl.GetStringS(StringName.Version), Is.EqualTo(own.Version));
    }

    [Test]
    public void FromCurrentWithoutACurrentContextSaysSo()
    {
        var e = Assert.Throws<GlException>(() => GlContext.FromCurrent(_ => 0));
        Assert.That(e.Message, Does.Contain("glGetString").And.Contain("current on this thread"));
    }

    [Test]
    public void FromGlRunsTheBackendOnTheHostsSilkGlAndLeavesItToTheHost()
    {
        var own = GlTestContext.Get();
        var model = GlTestModels.ResNet(new[] { 1, 1 }, false, 24, classes: 10, cifar: true, stem: 8, seed: 5);
        var x = GlOpTests.Random(3 * 24 * 24, 11);
        var expect = new float[10];
        using (var be = GlBackendFactory.Create(model, new BackendOptions(), new GlBackendOptions { Context = own, CheckErrors = true }))
            be.Run(x, 1, expect);

        // What a Silk.NET host has: its own GL over the context current on its thread (here: ours, through EGL).
        using var hostGl = GL.GetApi(name => Egl.GetProcAddress(name));
        var got = new float[10];
        using (var ctx = GlContext.FromGl(hostGl))
        {
            Assert.That(ctx.Gl, Is.SameAs(hostGl));
            Assert.That((ctx.IsOwned, ctx.Platform), Is.EqualTo((false, "host Silk.NET")));
            using var be = GlBackendFactory.Create(model, new BackendOptions(), new GlBackendOptions { Context = ctx, CheckErrors = true });
            be.Run(x, 1, got);
        }
        Assert.That(got, Is.EqualTo(expect), "same context, same shaders: the same logits bit for bit");
        // Disposing our wrapper (and the backend) leaves the host's GL usable.
        Assert.That(hostGl.GetStringS(StringName.Renderer), Is.EqualTo(own.Renderer));
        Assert.That(hostGl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void ContextMissingAComputeEntryPointIsRefusedWithOneLine()
    {
        GlTestContext.Get();
        // A GL 4.3 context whose loader lacks glDispatchCompute (as a host's trimmed loader or an old driver would).
        using var ctx = GlContext.FromCurrent(name => name == "glDispatchCompute" ? 0 : Egl.GetProcAddress(name));
        Assert.That(ctx.MissingEntryPoint(), Is.EqualTo("glDispatchCompute"));
        Assert.That(ctx.SupportsCompute, Is.False);
        var e = Assert.Throws<GlException>(ctx.RequireCompute);
        Assert.That(e.Message, Does.Contain("glDispatchCompute").And.Contain("OpenGL 4.3").And.Contain("Backend = Backend.OrtCpu"));
        var model = GlTestModels.ResNet(new[] { 1 }, false, 16, classes: 4, cifar: true, stem: 4, seed: 2);
        var b = Assert.Throws<GlException>(() => GlBackendFactory.Create(model, new BackendOptions(), new GlBackendOptions { Context = ctx }));
        Assert.That(b.Message, Is.EqualTo(e.Message), "the backend refuses the context with the same line, before making anything");
    }
}
