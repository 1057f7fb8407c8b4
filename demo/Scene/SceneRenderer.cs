using System.Numerics;
using System.Runtime.InteropServices;
using ResNetRealtime.Demo.Render;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Demo.Scene;

/// <summary>
/// Draws a <see cref="SceneState"/> with GL 3.3 (vertex/fragment shaders): a gradient background
/// pass, then the object with per-pixel Phong lighting and a depth test, into whichever framebuffer
/// is bound. Meshes of all classes are uploaded once; Draw allocates nothing.
/// Requires a current context (GLFW window or EGL headless) on the calling thread.
/// </summary>
public sealed unsafe class SceneRenderer : IDisposable
{
    readonly GL _gl;
    readonly uint _meshProgram, _bgProgram, _emptyVao;
    readonly uint[] _vaos, _vbos, _ibos;
    readonly int[] _indexCounts;
    readonly int _uModel, _uViewProjection, _uColor, _uLight, _uEye, _uAmbient, _uSpecular, _uShininess;
    readonly int _uTop, _uBottom, _uStripes;
    readonly float[] _m16 = new float[16];

    public SceneRenderer(GL gl)
    {
        _gl = gl;
        _meshProgram = ShaderSources.Program(gl, "scene_mesh.vert", "scene_mesh.frag");
        _bgProgram = ShaderSources.Program(gl, "scene_background.vert", "scene_background.frag");
        _uModel = gl.GetUniformLocation(_meshProgram, "uModel");
        _uViewProjection = gl.GetUniformLocation(_meshProgram, "uViewProjection");
        _uColor = gl.GetUniformLocation(_meshProgram, "uColor");
        _uLight = gl.GetUniformLocation(_meshProgram, "uLightDirection");
        _uEye = gl.GetUniformLocation(_meshProgram, "uEye");
        _uAmbient = gl.GetUniformLocation(_meshProgram, "uAmbient");
        _uSpecular = gl.GetUniformLocation(_meshProgram, "uSpecular");
        _uShininess = gl.GetUniformLocation(_meshProgram, "uShininess");
        _uTop = gl.GetUniformLocation(_bgProgram, "uTop");
        _uBottom = gl.GetUniformLocation(_bgProgram, "uBottom");
        _uStripes = gl.GetUniformLocation(_bgProgram, "uStripes");
        _emptyVao = GlObjects.VertexArray(gl);

        int n = SceneScript.Classes.Length;
        _vaos = new uint[n]; _vbos = new uint[n]; _ibos = new uint[n]; _indexCounts = new int[n];
        for (int c = 0; c < n; c++)
        {
            var mesh = SceneScript.BuildMesh(c);
            _vaos[c] = GlObjects.VertexArray(gl);
            gl.BindVertexArray(_vaos[c]);
            _vbos[c] = GlObjects.NewBufferName(gl);
            gl.BindBuffer(GLEnum.ArrayBuffer, _vbos[c]);
            gl.BufferData<float>(GLEnum.ArrayBuffer, mesh.Vertices, GLEnum.StaticDraw);
            _ibos[c] = GlObjects.NewBufferName(gl);
            gl.BindBuffer(GLEnum.ElementArrayBuffer, _ibos[c]);
            gl.BufferData<ushort>(GLEnum.ElementArrayBuffer, mesh.Indices, GLEnum.StaticDraw);
            gl.VertexAttribPointer(0, 3, GLEnum.Float, false, Mesh.FloatsPerVertex * 4, (void*)0);
            gl.EnableVertexAttribArray(0);
            gl.VertexAttribPointer(1, 3, GLEnum.Float, false, Mesh.FloatsPerVertex * 4, (void*)12);
            gl.EnableVertexAttribArray(1);
            _indexCounts[c] = mesh.Indices.Length;
        }
        gl.BindVertexArray(0);
    }

    /// <summary>Draws into the bound framebuffer over a viewport of <paramref name="width"/>×<paramref name="height"/>.</summary>
    public void Draw(in SceneState s, int width, int height)
    {
        var gl = _gl;
        gl.Viewport(0, 0, (uint)width, (uint)height);
        gl.Disable(EnableCap.Blend);
        gl.Disable(EnableCap.CullFace);
        gl.Disable(EnableCap.DepthTest);
        gl.ClearDepth(1.0);
        gl.DepthMask(true);
        gl.Clear(ClearBufferMask.DepthBufferBit);

        gl.UseProgram(_bgProgram);
        gl.Uniform3(_uTop, s.BackgroundTop.X, s.BackgroundTop.Y, s.BackgroundTop.Z);
        gl.Uniform3(_uBottom, s.BackgroundBottom.X, s.BackgroundBottom.Y, s.BackgroundBottom.Z);
        gl.Uniform1(_uStripes, s.BackgroundStripes);
        gl.BindVertexArray(_emptyVao);
        gl.DrawArrays(PrimitiveType.Triangles, 0, 3);

        var (view, proj, eye) = SceneScript.Camera(width / (float)height);
        gl.Enable(EnableCap.DepthTest);
        gl.DepthFunc(DepthFunction.Less);
        gl.UseProgram(_meshProgram);
        SetMatrix(_uModel, s.Model);
        SetMatrix(_uViewProjection, view * proj);
        gl.Uniform3(_uColor, s.Color.X, s.Color.Y, s.Color.Z);
        gl.Uniform3(_uLight, s.LightDirection.X, s.LightDirection.Y, s.LightDirection.Z);
        gl.Uniform3(_uEye, eye.X, eye.Y, eye.Z);
        gl.Uniform1(_uAmbient, s.Ambient);
        gl.Uniform1(_uSpecular, s.Specular);
        gl.Uniform1(_uShininess, s.Shininess);
        gl.BindVertexArray(_vaos[s.Label]);
        gl.DrawElements(PrimitiveType.Triangles, (uint)_indexCounts[s.Label], DrawElementsType.UnsignedShort, (void*)0);
        gl.BindVertexArray(0);
        gl.Disable(EnableCap.DepthTest);
    }

    void SetMatrix(int location, in Matrix4x4 m)
    {
        MemoryMarshal.Write(MemoryMarshal.AsBytes(_m16.AsSpan()), in m);
        // The pointer overload with an explicit count of 1: one mat4, not an array of them.
        fixed (float* p = _m16) _gl.UniformMatrix4(location, 1, false, p);
    }

    public void Dispose()
    {
        for (int c = 0; c < _vaos.Length; c++)
        {
            GlObjects.DeleteVertexArray(_gl, _vaos[c]);
            GlObjects.DeleteBuffer(_gl, _vbos[c]);
            GlObjects.DeleteBuffer(_gl, _ibos[c]);
        }
        GlObjects.DeleteVertexArray(_gl, _emptyVao);
        GlObjects.DeleteProgram(_gl, _meshProgram);
        GlObjects.DeleteProgram(_gl, _bgProgram);
    }
}
