using NUnit.Framework;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// A backend in the host's context leaves the host's GL state as it found it (issue 9): bound program, SSBO/UBO
/// bindings (generic and indexed, with ranges), copy buffers, active unit and unit 0's texture, image unit 0, pack
/// alignment, viewport. The state is read here with plain glGet calls, not with <see cref="GlHostState"/>, so a field
/// that struct forgets shows up; the same sequence with <see cref="GlBackendOptions.RestoreHostState"/> off must differ.
/// </summary>
[TestFixture]
public class GlHostStateTests
{
    static List<string> Read(GL gl) => GlStateProbe.Read(gl);

    /// <summary>Binds a recognisable host state; returns the objects to delete.</summary>
    static unsafe (uint Program, uint Buffer, uint Texture) SetHostState(GL gl)
    {
        uint prog = GlPrograms.CreateCompute(gl, "#version 430\nlayout(local_size_x=1) in;\nvoid main() {}", "host.comp");
        uint buf = GlObjects.Buffer(gl, GLEnum.ShaderStorageBuffer, 4096);
        uint tex = GlObjects.TextureR32F(gl, 8, 8);
        gl.UseProgram(prog);
        for (uint i = 0; i < 7; i++)
            if (i % 2 == 0) gl.BindBufferRange(GLEnum.ShaderStorageBuffer, i, buf, (nint)(256 * i), 256);
            else gl.BindBufferBase(GLEnum.ShaderStorageBuffer, i, buf);
        gl.BindBufferRange(GLEnum.UniformBuffer, 0, buf, 512, 256);
        gl.BindBuffer(GLEnum.ShaderStorageBuffer, buf); gl.BindBuffer(GLEnum.UniformBuffer, buf);
        gl.BindBuffer(GLEnum.CopyReadBuffer, buf); gl.BindBuffer(GLEnum.CopyWriteBuffer, buf);
        gl.ActiveTexture(GLEnum.Texture0);
        gl.BindTexture(GLEnum.Texture2D, tex);
        gl.ActiveTexture(GLEnum.Texture3);
        gl.BindImageTexture(0, tex, 0, false, 0, GLEnum.ReadWrite, GLEnum.R32f);
        gl.PixelStore(GLEnum.PackAlignment, 1);
        gl.Viewport(13, 7, 50, 40);
        return (prog, buf, tex);
    }

    /// <summary>Every public path that touches GL, each followed by a state check; returns the first change.</summary>
    static string Exercise(GlContext ctx, bool restore)
    {
        var gl = ctx.Gl;
        var model = GlTestModels.ResNet(new[] { 1, 1 }, false, 16, cifar: true, stem: 8);
        var (prog, buf, tex) = SetHostState(gl);
        try
        {
            var expected = Read(gl);
            string Changed(string after)
            {
                var now = Read(gl);
                int i = Enumerable.Range(0, now.Count).FirstOrDefault(k => now[k] != expected[k], -1);
                return i < 0 ? null : $"after {after}: {expected[i]} became {now[i]}";
            }
            var rgba = new byte[20 * 12 * 4];
            new Random(1).NextBytes(rgba);
            int unpack = gl.GetInteger(GLEnum.UnpackAlignment);
            uint frame = GlTestContext.RgbaTexture(gl, rgba, 20, 12);
            // RgbaTexture binds its texture and sets unpack alignment 1; put the host's state back before comparing.
            gl.ActiveTexture(GLEnum.Texture0); gl.BindTexture(GLEnum.Texture2D, tex); gl.ActiveTexture(GLEnum.Texture3);
            gl.PixelStore(GLEnum.PackAlignment, 1); gl.PixelStore(GLEnum.UnpackAlignment, unpack);
            try
            {
                var steps = new List<(string, Action<GlBackend>)>
                {
                    ("SetInputTexture + Step(2)", b => { b.SetInputTexture(frame, 20, 12); b.Step(2); }),
                    ("Submit", b => b.Submit()),
                    ("WaitResult", b => b.WaitResult(new float[10])),
                    ("SetInputRgba + Submit + TryGetResult", b => { b.SetInputRgba(rgba, 20, 12); b.Submit(); while (!b.TryGetResult(new float[10])) { } }),
                    ("Run", b => b.Run(new float[3 * 16 * 16], 1, new float[10])),
                    ("RunFromTexture", b => b.RunFromTexture(frame, 20, 12, new float[10])),
                    ("GetTapTexture", b => b.GetTapTexture(b.Taps[0].Name, 4)),
                    ("ReadTexture (CAM)", b => b.ReadTexture(b.CamTexture, b.CamWidth, b.CamHeight)),
                    ("ReadProbabilities", b => b.ReadProbabilities(new float[10])),
                    ("Profile", b => b.Profile(new float[3 * 16 * 16], 1)),
                    ("a call that throws (Step without input)", b => Assert.Throws<InvalidOperationException>(() => b.Step(1))),
                };
                using var be = GlBackendFactory.Create(model, new BackendOptions { Taps = new[] { "layer1" } },
                    new GlBackendOptions { Context = ctx, RestoreHostState = restore });
                if (Changed("creating the backend") is { } c0) return c0;
                foreach (var (what, act) in steps)
                {
                    act(be);
                    if (Changed(what) is { } c) return c;
                }
                return null;
            }
            finally { gl.DeleteTexture(frame); }
        }
        finally
        {
            gl.UseProgram(0);
            GlObjects.DeleteProgram(gl, prog); GlObjects.DeleteBuffer(gl, buf); GlObjects.DeleteTexture(gl, tex);
            gl.ActiveTexture(GLEnum.Texture0);
            gl.PixelStore(GLEnum.PackAlignment, 4);
        }
    }

    [Test]
    public void HostStateIsUnchangedByEveryCall()
    {
        var ctx = GlTestContext.Get();
        Assert.That(Exercise(ctx, restore: true), Is.Null);
    }

    [Test]
    public void WithoutRestoreTheCheckSeesTheChange()
    {
        var ctx = GlTestContext.Get();
        Assert.That(Exercise(ctx, restore: false), Is.Not.Null, "the state check must be able to fail");
    }
}
