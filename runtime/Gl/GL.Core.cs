using System.Runtime.CompilerServices;
using System.Text;

namespace ResNetRealtime.Runtime.Gl;

/// <summary>
/// GL enum values used by the bindings (names as in the GL headers without the GL_ prefix, PascalCase
/// as Silk.NET's GLEnum). Partial: each GL.*.cs file may add the values its area needs.
/// </summary>
public static partial class GLEnum
{
    // errors
    public const uint NoError = 0, InvalidEnum = 0x0500, InvalidValue = 0x0501, InvalidOperation = 0x0502,
        StackOverflow = 0x0503, StackUnderflow = 0x0504, OutOfMemory = 0x0505, InvalidFramebufferOperation = 0x0506;
    // strings and getters
    public const uint Vendor = 0x1F00, Renderer = 0x1F01, Version = 0x1F02, Extensions = 0x1F03,
        ShadingLanguageVersion = 0x8B8C, MajorVersion = 0x821B, MinorVersion = 0x821C, NumExtensions = 0x821D,
        ContextFlags = 0x821E, ContextProfileMask = 0x9126, NumProgramBinaryFormats = 0x87FE, ProgramBinaryFormats = 0x87FF;
    // buffers
    public const uint ArrayBuffer = 0x8892, ElementArrayBuffer = 0x8893, UniformBuffer = 0x8A11, ShaderStorageBuffer = 0x90D2,
        CopyReadBuffer = 0x8F36, CopyWriteBuffer = 0x8F37, PixelPackBuffer = 0x88EB, PixelUnpackBuffer = 0x88EC,
        DispatchIndirectBuffer = 0x90EE, AtomicCounterBuffer = 0x92C0;
    public const uint StreamDraw = 0x88E0, StreamRead = 0x88E1, StaticDraw = 0x88E4, StaticRead = 0x88E5,
        DynamicDraw = 0x88E8, DynamicRead = 0x88E9, DynamicCopy = 0x88EA, StaticCopy = 0x88E6;
    public const uint MapReadBit = 0x0001, MapWriteBit = 0x0002, MapInvalidateRangeBit = 0x0004, MapInvalidateBufferBit = 0x0008,
        MapFlushExplicitBit = 0x0010, MapUnsynchronizedBit = 0x0020, MapPersistentBit = 0x0040, MapCoherentBit = 0x0080,
        DynamicStorageBit = 0x0100, ClientStorageBit = 0x0200;
    public const uint UniformBufferOffsetAlignment = 0x8A34, ShaderStorageBufferOffsetAlignment = 0x90DF,
        MaxShaderStorageBlockSize = 0x90DE, MaxUniformBlockSize = 0x8A30, MaxTextureSize = 0x0D33;
    // textures
    public const uint Texture2D = 0x0DE1, Texture0 = 0x84C0, TextureMinFilter = 0x2801, TextureMagFilter = 0x2800,
        TextureWrapS = 0x2802, TextureWrapT = 0x2803, Nearest = 0x2600, Linear = 0x2601, ClampToEdge = 0x812F,
        Repeat = 0x2901, TextureBaseLevel = 0x813C, TextureMaxLevel = 0x813D;
    public const uint Rgba = 0x1908, Rgb = 0x1907, Red = 0x1903, Rg = 0x8227, Bgra = 0x80E1,
        Rgba8 = 0x8058, Rgba32F = 0x8814, Rgba16F = 0x881A, R32F = 0x822E, R16F = 0x822D, Rg32F = 0x8230,
        UnsignedByte = 0x1401, Float = 0x1406, HalfFloat = 0x140B, Int = 0x1404, UnsignedInt = 0x1405;
    public const uint UnpackAlignment = 0x0CF5, PackAlignment = 0x0D05, UnpackRowLength = 0x0CF2;
    // shaders and programs
    public const uint ComputeShader = 0x91B9, VertexShader = 0x8B31, FragmentShader = 0x8B30;
    public const uint CompileStatus = 0x8B81, LinkStatus = 0x8B82, InfoLogLength = 0x8B84, ProgramBinaryLength = 0x8741,
        ProgramBinaryRetrievableHint = 0x8257, ComputeWorkGroupSize = 0x8267, ActiveUniforms = 0x8B86;
    public const uint InvalidIndex = 0xFFFFFFFF;
    // sync
    public const uint SyncGpuCommandsComplete = 0x9117, SyncFlushCommandsBit = 0x0001,
        AlreadySignaled = 0x911A, TimeoutExpired = 0x911B, ConditionSatisfied = 0x911C, WaitFailed = 0x911D,
        SyncStatus = 0x9114, Signaled = 0x9119;
    public const ulong TimeoutIgnored = 0xFFFFFFFFFFFFFFFF;
    // queries
    public const uint TimeElapsed = 0x88BF, Timestamp = 0x8E28, QueryResult = 0x8866, QueryResultAvailable = 0x8867;
    // framebuffers
    public const uint Framebuffer = 0x8D40, ReadFramebuffer = 0x8CA8, DrawFramebuffer = 0x8CA9, ColorAttachment0 = 0x8CE0,
        DepthAttachment = 0x8D00, FramebufferComplete = 0x8CD5, ColorBufferBit = 0x4000, DepthBufferBit = 0x0100;
    // debug output
    public const uint DebugOutput = 0x92E0, DebugOutputSynchronous = 0x8242;
}

/// <summary>Buffers, textures, shaders/programs (with program binaries), sync, queries, framebuffers,
/// errors and getters: everything that is not drawing (GL.Render.cs) or dispatch (GL.Compute.cs).</summary>
public sealed unsafe partial class GL
{
    /// <summary>
    /// Debug/check mode: every wrapper calls glGetError after its call and throws a GlException naming the
    /// entry point. Off by default (GetError forces a round trip on real drivers); tests turn it on.
    /// </summary>
    public bool CheckErrors { get; set; }

    delegate* unmanaged<uint> _getError;
    delegate* unmanaged<uint, byte*> _getString;
    delegate* unmanaged<uint, uint, byte*> _getStringi;
    delegate* unmanaged<uint, int*, void> _getIntegerv;
    delegate* unmanaged<uint, long*, void> _getInteger64v;
    delegate* unmanaged<uint, uint, int*, void> _getIntegeri_v;
    delegate* unmanaged<void> _finish, _flush;

    delegate* unmanaged<int, uint*, void> _genBuffers, _deleteBuffers;
    delegate* unmanaged<uint, uint, void> _bindBuffer;
    delegate* unmanaged<uint, uint, uint, void> _bindBufferBase;
    delegate* unmanaged<uint, uint, uint, nint, nint, void> _bindBufferRange;
    delegate* unmanaged<uint, nint, void*, uint, void> _bufferData;
    delegate* unmanaged<uint, nint, void*, uint, void> _bufferStorage;
    delegate* unmanaged<uint, nint, nint, void*, void> _bufferSubData, _getBufferSubData;
    delegate* unmanaged<uint, nint, nint, uint, void*> _mapBufferRange;
    delegate* unmanaged<uint, byte> _unmapBuffer;
    delegate* unmanaged<uint, nint, nint, void> _flushMappedBufferRange;
    delegate* unmanaged<uint, uint, nint, nint, nint, void> _copyBufferSubData;
    delegate* unmanaged<uint, uint, uint, uint, void*, void> _clearBufferData;

    delegate* unmanaged<int, uint*, void> _genTextures, _deleteTextures;
    delegate* unmanaged<uint, uint, void> _bindTexture;
    delegate* unmanaged<uint, void> _activeTexture;
    delegate* unmanaged<uint, int, uint, int, int, void> _texStorage2D;
    delegate* unmanaged<uint, int, int, int, int, int, uint, uint, void*, void> _texImage2D;
    delegate* unmanaged<uint, int, int, int, int, int, uint, uint, void*, void> _texSubImage2D;
    delegate* unmanaged<uint, uint, int, void> _texParameteri;
    delegate* unmanaged<uint, int, uint, uint, void*, void> _getTexImage;
    delegate* unmanaged<uint, int, void> _pixelStorei;
    delegate* unmanaged<uint, void> _generateMipmap;

    delegate* unmanaged<uint, uint> _createShader;
    delegate* unmanaged<uint, int, byte**, int*, void> _shaderSource;
    delegate* unmanaged<uint, void> _compileShader, _deleteShader, _linkProgram, _useProgram, _deleteProgram;
    delegate* unmanaged<uint, uint, int*, void> _getShaderiv, _getProgramiv;
    delegate* unmanaged<uint, int, int*, byte*, void> _getShaderInfoLog, _getProgramInfoLog;
    delegate* unmanaged<uint> _createProgram;
    delegate* unmanaged<uint, uint, void> _attachShader, _detachShader;
    delegate* unmanaged<uint, byte*, int> _getUniformLocation;
    delegate* unmanaged<uint, byte*, uint> _getUniformBlockIndex;
    delegate* unmanaged<uint, uint, uint, void> _uniformBlockBinding;
    delegate* unmanaged<int, int, void> _uniform1i;
    delegate* unmanaged<int, float, void> _uniform1f;
    delegate* unmanaged<int, int, int, void> _uniform2i;
    delegate* unmanaged<int, float, float, void> _uniform2f;
    delegate* unmanaged<int, float, float, float, float, void> _uniform4f;
    delegate* unmanaged<int, int, int, int, int, void> _uniform4i;
    delegate* unmanaged<int, int, byte, float*, void> _uniformMatrix4fv;
    delegate* unmanaged<uint, uint, int, void> _programParameteri;
    delegate* unmanaged<uint, int, int*, uint*, void*, void> _getProgramBinary;
    delegate* unmanaged<uint, uint, void*, int, void> _programBinary;

    delegate* unmanaged<uint, uint, nint> _fenceSync;
    delegate* unmanaged<nint, uint, ulong, uint> _clientWaitSync;
    delegate* unmanaged<nint, uint, ulong, void> _waitSync;
    delegate* unmanaged<nint, void> _deleteSync;
    delegate* unmanaged<nint, uint, int, int*, int*, void> _getSynciv;

    delegate* unmanaged<int, uint*, void> _genQueries, _deleteQueries;
    delegate* unmanaged<uint, uint, void> _beginQuery, _queryCounter;
    delegate* unmanaged<uint, void> _endQuery;
    delegate* unmanaged<uint, uint, ulong*, void> _getQueryObjectui64v;
    delegate* unmanaged<uint, uint, int*, void> _getQueryObjectiv;

    delegate* unmanaged<int, uint*, void> _genFramebuffers, _deleteFramebuffers;
    delegate* unmanaged<uint, uint, void> _bindFramebuffer;
    delegate* unmanaged<uint, uint, uint, uint, int, void> _framebufferTexture2D;
    delegate* unmanaged<uint, uint> _checkFramebufferStatus;
    delegate* unmanaged<int, int, int, int, uint, uint, void*, void> _readPixels;
    delegate* unmanaged<int, int, int, int, int, int, int, int, uint, uint, void> _blitFramebuffer;

    partial void LoadCore()
    {
        _getError = (delegate* unmanaged<uint>)Proc("glGetError");
        _getString = (delegate* unmanaged<uint, byte*>)Proc("glGetString");
        _getStringi = (delegate* unmanaged<uint, uint, byte*>)TryProc("glGetStringi");
        _getIntegerv = (delegate* unmanaged<uint, int*, void>)Proc("glGetIntegerv");
        _getInteger64v = (delegate* unmanaged<uint, long*, void>)TryProc("glGetInteger64v");
        _getIntegeri_v = (delegate* unmanaged<uint, uint, int*, void>)TryProc("glGetIntegeri_v");
        _finish = (delegate* unmanaged<void>)Proc("glFinish");
        _flush = (delegate* unmanaged<void>)Proc("glFlush");
        // Everything below exists from GL 3.x/4.x on: a version check (GlContext) precedes any use, so a
        // missing pointer stays null here and the version check reports the real problem.
        _genBuffers = (delegate* unmanaged<int, uint*, void>)TryProc("glGenBuffers");
        _deleteBuffers = (delegate* unmanaged<int, uint*, void>)TryProc("glDeleteBuffers");
        _bindBuffer = (delegate* unmanaged<uint, uint, void>)TryProc("glBindBuffer");
        _bindBufferBase = (delegate* unmanaged<uint, uint, uint, void>)TryProc("glBindBufferBase");
        _bindBufferRange = (delegate* unmanaged<uint, uint, uint, nint, nint, void>)TryProc("glBindBufferRange");
        _bufferData = (delegate* unmanaged<uint, nint, void*, uint, void>)TryProc("glBufferData");
        _bufferStorage = (delegate* unmanaged<uint, nint, void*, uint, void>)TryProc("glBufferStorage");
        _bufferSubData = (delegate* unmanaged<uint, nint, nint, void*, void>)TryProc("glBufferSubData");
        _getBufferSubData = (delegate* unmanaged<uint, nint, nint, void*, void>)TryProc("glGetBufferSubData");
        _mapBufferRange = (delegate* unmanaged<uint, nint, nint, uint, void*>)TryProc("glMapBufferRange");
        _unmapBuffer = (delegate* unmanaged<uint, byte>)TryProc("glUnmapBuffer");
        _flushMappedBufferRange = (delegate* unmanaged<uint, nint, nint, void>)TryProc("glFlushMappedBufferRange");
        _copyBufferSubData = (delegate* unmanaged<uint, uint, nint, nint, nint, void>)TryProc("glCopyBufferSubData");
        _clearBufferData = (delegate* unmanaged<uint, uint, uint, uint, void*, void>)TryProc("glClearBufferData");

        _genTextures = (delegate* unmanaged<int, uint*, void>)TryProc("glGenTextures");
        _deleteTextures = (delegate* unmanaged<int, uint*, void>)TryProc("glDeleteTextures");
        _bindTexture = (delegate* unmanaged<uint, uint, void>)TryProc("glBindTexture");
        _activeTexture = (delegate* unmanaged<uint, void>)TryProc("glActiveTexture");
        _texStorage2D = (delegate* unmanaged<uint, int, uint, int, int, void>)TryProc("glTexStorage2D");
        _texImage2D = (delegate* unmanaged<uint, int, int, int, int, int, uint, uint, void*, void>)TryProc("glTexImage2D");
        _texSubImage2D = (delegate* unmanaged<uint, int, int, int, int, int, uint, uint, void*, void>)TryProc("glTexSubImage2D");
        _texParameteri = (delegate* unmanaged<uint, uint, int, void>)TryProc("glTexParameteri");
        _getTexImage = (delegate* unmanaged<uint, int, uint, uint, void*, void>)TryProc("glGetTexImage");
        _pixelStorei = (delegate* unmanaged<uint, int, void>)TryProc("glPixelStorei");
        _generateMipmap = (delegate* unmanaged<uint, void>)TryProc("glGenerateMipmap");

        _createShader = (delegate* unmanaged<uint, uint>)TryProc("glCreateShader");
        _shaderSource = (delegate* unmanaged<uint, int, byte**, int*, void>)TryProc("glShaderSource");
        _compileShader = (delegate* unmanaged<uint, void>)TryProc("glCompileShader");
        _deleteShader = (delegate* unmanaged<uint, void>)TryProc("glDeleteShader");
        _getShaderiv = (delegate* unmanaged<uint, uint, int*, void>)TryProc("glGetShaderiv");
        _getShaderInfoLog = (delegate* unmanaged<uint, int, int*, byte*, void>)TryProc("glGetShaderInfoLog");
        _createProgram = (delegate* unmanaged<uint>)TryProc("glCreateProgram");
        _attachShader = (delegate* unmanaged<uint, uint, void>)TryProc("glAttachShader");
        _detachShader = (delegate* unmanaged<uint, uint, void>)TryProc("glDetachShader");
        _linkProgram = (delegate* unmanaged<uint, void>)TryProc("glLinkProgram");
        _getProgramiv = (delegate* unmanaged<uint, uint, int*, void>)TryProc("glGetProgramiv");
        _getProgramInfoLog = (delegate* unmanaged<uint, int, int*, byte*, void>)TryProc("glGetProgramInfoLog");
        _useProgram = (delegate* unmanaged<uint, void>)TryProc("glUseProgram");
        _deleteProgram = (delegate* unmanaged<uint, void>)TryProc("glDeleteProgram");
        _getUniformLocation = (delegate* unmanaged<uint, byte*, int>)TryProc("glGetUniformLocation");
        _getUniformBlockIndex = (delegate* unmanaged<uint, byte*, uint>)TryProc("glGetUniformBlockIndex");
        _uniformBlockBinding = (delegate* unmanaged<uint, uint, uint, void>)TryProc("glUniformBlockBinding");
        _uniform1i = (delegate* unmanaged<int, int, void>)TryProc("glUniform1i");
        _uniform1f = (delegate* unmanaged<int, float, void>)TryProc("glUniform1f");
        _uniform2i = (delegate* unmanaged<int, int, int, void>)TryProc("glUniform2i");
        _uniform2f = (delegate* unmanaged<int, float, float, void>)TryProc("glUniform2f");
        _uniform4f = (delegate* unmanaged<int, float, float, float, float, void>)TryProc("glUniform4f");
        _uniform4i = (delegate* unmanaged<int, int, int, int, int, void>)TryProc("glUniform4i");
        _uniformMatrix4fv = (delegate* unmanaged<int, int, byte, float*, void>)TryProc("glUniformMatrix4fv");
        _programParameteri = (delegate* unmanaged<uint, uint, int, void>)TryProc("glProgramParameteri");
        _getProgramBinary = (delegate* unmanaged<uint, int, int*, uint*, void*, void>)TryProc("glGetProgramBinary");
        _programBinary = (delegate* unmanaged<uint, uint, void*, int, void>)TryProc("glProgramBinary");

        _fenceSync = (delegate* unmanaged<uint, uint, nint>)TryProc("glFenceSync");
        _clientWaitSync = (delegate* unmanaged<nint, uint, ulong, uint>)TryProc("glClientWaitSync");
        _waitSync = (delegate* unmanaged<nint, uint, ulong, void>)TryProc("glWaitSync");
        _deleteSync = (delegate* unmanaged<nint, void>)TryProc("glDeleteSync");
        _getSynciv = (delegate* unmanaged<nint, uint, int, int*, int*, void>)TryProc("glGetSynciv");

        _genQueries = (delegate* unmanaged<int, uint*, void>)TryProc("glGenQueries");
        _deleteQueries = (delegate* unmanaged<int, uint*, void>)TryProc("glDeleteQueries");
        _beginQuery = (delegate* unmanaged<uint, uint, void>)TryProc("glBeginQuery");
        _endQuery = (delegate* unmanaged<uint, void>)TryProc("glEndQuery");
        _queryCounter = (delegate* unmanaged<uint, uint, void>)TryProc("glQueryCounter");
        _getQueryObjectui64v = (delegate* unmanaged<uint, uint, ulong*, void>)TryProc("glGetQueryObjectui64v");
        _getQueryObjectiv = (delegate* unmanaged<uint, uint, int*, void>)TryProc("glGetQueryObjectiv");

        _genFramebuffers = (delegate* unmanaged<int, uint*, void>)TryProc("glGenFramebuffers");
        _deleteFramebuffers = (delegate* unmanaged<int, uint*, void>)TryProc("glDeleteFramebuffers");
        _bindFramebuffer = (delegate* unmanaged<uint, uint, void>)TryProc("glBindFramebuffer");
        _framebufferTexture2D = (delegate* unmanaged<uint, uint, uint, uint, int, void>)TryProc("glFramebufferTexture2D");
        _checkFramebufferStatus = (delegate* unmanaged<uint, uint>)TryProc("glCheckFramebufferStatus");
        _readPixels = (delegate* unmanaged<int, int, int, int, uint, uint, void*, void>)TryProc("glReadPixels");
        _blitFramebuffer = (delegate* unmanaged<int, int, int, int, int, int, int, int, uint, uint, void>)TryProc("glBlitFramebuffer");
    }

    // ---------------------------------------------------------------- errors and getters

    public uint GetError() => _getError();

    public static string ErrorName(uint e) => e switch
    {
        GLEnum.NoError => "GL_NO_ERROR", GLEnum.InvalidEnum => "GL_INVALID_ENUM", GLEnum.InvalidValue => "GL_INVALID_VALUE",
        GLEnum.InvalidOperation => "GL_INVALID_OPERATION", GLEnum.StackOverflow => "GL_STACK_OVERFLOW",
        GLEnum.StackUnderflow => "GL_STACK_UNDERFLOW", GLEnum.OutOfMemory => "GL_OUT_OF_MEMORY",
        GLEnum.InvalidFramebufferOperation => "GL_INVALID_FRAMEBUFFER_OPERATION", _ => $"0x{e:X}",
    };

    /// <summary>Throws when glGetError reports an error, naming <paramref name="what"/>; drains the error queue.</summary>
    public void ThrowIfError(string what)
    {
        uint e = _getError();
        if (e == GLEnum.NoError) return;
        var names = new List<string> { ErrorName(e) };
        for (int i = 0; i < 8 && (e = _getError()) != GLEnum.NoError; i++) names.Add(ErrorName(e));
        throw new GlException($"{what}: {string.Join(", ", names)}");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Check(string entryPoint)
    {
        if (CheckErrors) ThrowIfError(entryPoint);
    }

    public string GetString(uint name) { var s = Utf8(_getString(name)); Check("glGetString"); return s; }

    public string GetString(uint name, uint index) { var s = Utf8(_getStringi(name, index)); Check("glGetStringi"); return s; }

    public int GetInteger(uint pname) { int v = 0; _getIntegerv(pname, &v); Check("glGetIntegerv"); return v; }

    public void GetInteger(uint pname, Span<int> values) { fixed (int* p = values) _getIntegerv(pname, p); Check("glGetIntegerv"); }

    public long GetInteger64(uint pname) { long v = 0; _getInteger64v(pname, &v); Check("glGetInteger64v"); return v; }

    /// <summary>Indexed getter (glGetIntegeri_v), e.g. MaxComputeWorkGroupSize for index 0..2.</summary>
    public int GetInteger(uint pname, uint index) { int v = 0; _getIntegeri_v(pname, index, &v); Check("glGetIntegeri_v"); return v; }

    /// <summary>All extension names of the current context (GL 3+ indexed query).</summary>
    public HashSet<string> GetExtensions()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (_getStringi == null) return set;
        int n = GetInteger(GLEnum.NumExtensions);
        for (uint i = 0; i < n; i++) set.Add(GetString(GLEnum.Extensions, i));
        return set;
    }

    public void Finish() => _finish();
    public void Flush() => _flush();

    // ---------------------------------------------------------------- buffers

    public uint GenBuffer() { uint b; _genBuffers(1, &b); Check("glGenBuffers"); return b; }
    public void DeleteBuffer(uint buffer) { if (buffer != 0) { _deleteBuffers(1, &buffer); Check("glDeleteBuffers"); } }
    public void BindBuffer(uint target, uint buffer) { _bindBuffer(target, buffer); Check("glBindBuffer"); }
    public void BindBufferBase(uint target, uint index, uint buffer) { _bindBufferBase(target, index, buffer); Check("glBindBufferBase"); }
    public void BindBufferRange(uint target, uint index, uint buffer, nint offset, nint size) { _bindBufferRange(target, index, buffer, offset, size); Check("glBindBufferRange"); }
    public void BufferData(uint target, nint size, void* data, uint usage) { _bufferData(target, size, data, usage); Check("glBufferData"); }
    public void BufferData<T>(uint target, ReadOnlySpan<T> data, uint usage) where T : unmanaged
    { fixed (T* p = data) BufferData(target, (nint)data.Length * sizeof(T), p, usage); }
    /// <summary>Immutable storage (GL 4.4 / ARB_buffer_storage); <see cref="HasBufferStorage"/> says whether it exists.</summary>
    public void BufferStorage(uint target, nint size, void* data, uint flags) { _bufferStorage(target, size, data, flags); Check("glBufferStorage"); }
    public bool HasBufferStorage => _bufferStorage != null;
    public void BufferSubData(uint target, nint offset, nint size, void* data) { _bufferSubData(target, offset, size, data); Check("glBufferSubData"); }
    public void BufferSubData<T>(uint target, nint offset, ReadOnlySpan<T> data) where T : unmanaged
    { fixed (T* p = data) BufferSubData(target, offset, (nint)data.Length * sizeof(T), p); }
    public void GetBufferSubData(uint target, nint offset, nint size, void* data) { _getBufferSubData(target, offset, size, data); Check("glGetBufferSubData"); }
    public void GetBufferSubData<T>(uint target, nint offset, Span<T> data) where T : unmanaged
    { fixed (T* p = data) GetBufferSubData(target, offset, (nint)data.Length * sizeof(T), p); }
    public void* MapBufferRange(uint target, nint offset, nint length, uint access)
    { var p = _mapBufferRange(target, offset, length, access); Check("glMapBufferRange"); return p; }
    public bool UnmapBuffer(uint target) { bool ok = _unmapBuffer(target) != 0; Check("glUnmapBuffer"); return ok; }
    public void FlushMappedBufferRange(uint target, nint offset, nint length) { _flushMappedBufferRange(target, offset, length); Check("glFlushMappedBufferRange"); }
    public void CopyBufferSubData(uint readTarget, uint writeTarget, nint readOffset, nint writeOffset, nint size)
    { _copyBufferSubData(readTarget, writeTarget, readOffset, writeOffset, size); Check("glCopyBufferSubData"); }
    /// <summary>Fills a buffer with one value (GL 4.3), e.g. zeroes: internalFormat R32F, format Red, type Float, data null.</summary>
    public void ClearBufferData(uint target, uint internalFormat, uint format, uint type, void* data)
    { _clearBufferData(target, internalFormat, format, type, data); Check("glClearBufferData"); }

    // ---------------------------------------------------------------- textures

    public uint GenTexture() { uint t; _genTextures(1, &t); Check("glGenTextures"); return t; }
    public void DeleteTexture(uint texture) { if (texture != 0) { _deleteTextures(1, &texture); Check("glDeleteTextures"); } }
    public void BindTexture(uint target, uint texture) { _bindTexture(target, texture); Check("glBindTexture"); }
    public void ActiveTexture(uint unit) { _activeTexture(unit); Check("glActiveTexture"); }
    public void TexStorage2D(uint target, int levels, uint internalFormat, int width, int height)
    { _texStorage2D(target, levels, internalFormat, width, height); Check("glTexStorage2D"); }
    public void TexImage2D(uint target, int level, int internalFormat, int width, int height, int border, uint format, uint type, void* pixels)
    { _texImage2D(target, level, internalFormat, width, height, border, format, type, pixels); Check("glTexImage2D"); }
    public void TexSubImage2D(uint target, int level, int x, int y, int width, int height, uint format, uint type, void* pixels)
    { _texSubImage2D(target, level, x, y, width, height, format, type, pixels); Check("glTexSubImage2D"); }
    public void TexSubImage2D<T>(uint target, int level, int x, int y, int width, int height, uint format, uint type, ReadOnlySpan<T> pixels) where T : unmanaged
    { fixed (T* p = pixels) TexSubImage2D(target, level, x, y, width, height, format, type, p); }
    public void TexParameter(uint target, uint pname, int value) { _texParameteri(target, pname, value); Check("glTexParameteri"); }
    public void GetTexImage(uint target, int level, uint format, uint type, void* pixels) { _getTexImage(target, level, format, type, pixels); Check("glGetTexImage"); }
    public void GetTexImage<T>(uint target, int level, uint format, uint type, Span<T> pixels) where T : unmanaged
    { fixed (T* p = pixels) GetTexImage(target, level, format, type, p); }
    public void PixelStore(uint pname, int value) { _pixelStorei(pname, value); Check("glPixelStorei"); }
    public void GenerateMipmap(uint target) { _generateMipmap(target); Check("glGenerateMipmap"); }

    // ---------------------------------------------------------------- shaders and programs

    public uint CreateShader(uint type) { uint s = _createShader(type); Check("glCreateShader"); return s; }
    public void ShaderSource(uint shader, string source)
    {
        fixed (byte* p = Utf8Z(source))
        {
            byte* ptr = p;
            _shaderSource(shader, 1, &ptr, null);
        }
        Check("glShaderSource");
    }
    public void CompileShader(uint shader) { _compileShader(shader); Check("glCompileShader"); }
    public void DeleteShader(uint shader) { if (shader != 0) { _deleteShader(shader); Check("glDeleteShader"); } }
    public int GetShader(uint shader, uint pname) { int v = 0; _getShaderiv(shader, pname, &v); Check("glGetShaderiv"); return v; }
    public string GetShaderInfoLog(uint shader)
    {
        int len = GetShader(shader, GLEnum.InfoLogLength);
        if (len <= 1) return "";
        var buf = new byte[len];
        fixed (byte* p = buf) _getShaderInfoLog(shader, len, &len, p);
        return Encoding.UTF8.GetString(buf, 0, Math.Max(0, len)).TrimEnd('\0', '\n');
    }
    public uint CreateProgram() { uint p = _createProgram(); Check("glCreateProgram"); return p; }
    public void AttachShader(uint program, uint shader) { _attachShader(program, shader); Check("glAttachShader"); }
    public void DetachShader(uint program, uint shader) { _detachShader(program, shader); Check("glDetachShader"); }
    public void LinkProgram(uint program) { _linkProgram(program); Check("glLinkProgram"); }
    public int GetProgram(uint program, uint pname) { int v = 0; _getProgramiv(program, pname, &v); Check("glGetProgramiv"); return v; }
    public void GetProgram(uint program, uint pname, Span<int> values) { fixed (int* p = values) _getProgramiv(program, pname, p); Check("glGetProgramiv"); }
    public string GetProgramInfoLog(uint program)
    {
        int len = GetProgram(program, GLEnum.InfoLogLength);
        if (len <= 1) return "";
        var buf = new byte[len];
        fixed (byte* p = buf) _getProgramInfoLog(program, len, &len, p);
        return Encoding.UTF8.GetString(buf, 0, Math.Max(0, len)).TrimEnd('\0', '\n');
    }
    public void UseProgram(uint program) { _useProgram(program); Check("glUseProgram"); }
    public void DeleteProgram(uint program) { if (program != 0) { _deleteProgram(program); Check("glDeleteProgram"); } }
    public int GetUniformLocation(uint program, string name) { fixed (byte* p = Utf8Z(name)) { int l = _getUniformLocation(program, p); Check("glGetUniformLocation"); return l; } }
    public uint GetUniformBlockIndex(uint program, string name) { fixed (byte* p = Utf8Z(name)) { uint i = _getUniformBlockIndex(program, p); Check("glGetUniformBlockIndex"); return i; } }
    public void UniformBlockBinding(uint program, uint blockIndex, uint binding) { _uniformBlockBinding(program, blockIndex, binding); Check("glUniformBlockBinding"); }
    public void Uniform1(int location, int v) { _uniform1i(location, v); Check("glUniform1i"); }
    public void Uniform1(int location, float v) { _uniform1f(location, v); Check("glUniform1f"); }
    public void Uniform2(int location, int x, int y) { _uniform2i(location, x, y); Check("glUniform2i"); }
    public void Uniform2(int location, float x, float y) { _uniform2f(location, x, y); Check("glUniform2f"); }
    public void Uniform4(int location, int x, int y, int z, int w) { _uniform4i(location, x, y, z, w); Check("glUniform4i"); }
    public void Uniform4(int location, float x, float y, float z, float w) { _uniform4f(location, x, y, z, w); Check("glUniform4f"); }
    public void UniformMatrix4(int location, bool transpose, ReadOnlySpan<float> m16)
    { fixed (float* p = m16) _uniformMatrix4fv(location, m16.Length / 16, transpose ? (byte)1 : (byte)0, p); Check("glUniformMatrix4fv"); }
    public void ProgramParameter(uint program, uint pname, int value) { _programParameteri(program, pname, value); Check("glProgramParameteri"); }

    /// <summary>Whether glGetProgramBinary/glProgramBinary exist and the driver offers at least one binary format.</summary>
    public bool SupportsProgramBinary => _getProgramBinary != null && _programBinary != null && GetInteger(GLEnum.NumProgramBinaryFormats) > 0;

    /// <summary>The linked program as (format, bytes), for a cache; null when the driver returns none.</summary>
    public (uint Format, byte[] Binary)? GetProgramBinary(uint program)
    {
        int len = GetProgram(program, GLEnum.ProgramBinaryLength);
        if (len <= 0) return null;
        var bytes = new byte[len];
        uint format = 0;
        int written = 0;
        fixed (byte* p = bytes) _getProgramBinary(program, len, &written, &format, p);
        Check("glGetProgramBinary");
        return written > 0 ? (format, bytes.AsSpan(0, written).ToArray()) : null;
    }

    /// <summary>Loads a cached binary; the caller checks LinkStatus (drivers reject stale binaries that way, not with an error).</summary>
    public void ProgramBinary(uint program, uint format, ReadOnlySpan<byte> binary)
    {
        fixed (byte* p = binary) _programBinary(program, format, p, binary.Length);
        // A rejected binary may set GL_INVALID_ENUM/VALUE; that is the documented "fall back to compile" signal,
        // so drain errors here instead of throwing.
        while (_getError() != GLEnum.NoError) { }
    }

    /// <summary>Compiles one shader; on failure deletes it and throws with <paramref name="name"/> and the full info log.</summary>
    public uint CompileShader(uint type, string source, string name)
    {
        uint s = CreateShader(type);
        if (s == 0) throw new GlException($"glCreateShader failed for {name} ({ErrorName(GetError())})");
        ShaderSource(s, source);
        CompileShader(s);
        if (GetShader(s, GLEnum.CompileStatus) == 0)
        {
            string log = GetShaderInfoLog(s);
            DeleteShader(s);
            throw new GlException($"shader {name} failed to compile:\n{log}");
        }
        return s;
    }

    /// <summary>Links shaders into a program (shaders are detached afterwards, not deleted); throws with the info log on failure.</summary>
    public uint LinkProgram(string name, bool retrievableBinary, params uint[] shaders)
    {
        uint p = CreateProgram();
        if (retrievableBinary && _programParameteri != null) ProgramParameter(p, GLEnum.ProgramBinaryRetrievableHint, 1);
        foreach (var s in shaders) AttachShader(p, s);
        LinkProgram(p);
        foreach (var s in shaders) DetachShader(p, s);
        if (GetProgram(p, GLEnum.LinkStatus) == 0)
        {
            string log = GetProgramInfoLog(p);
            DeleteProgram(p);
            throw new GlException($"program {name} failed to link:\n{log}");
        }
        return p;
    }

    /// <summary>Compute program from one source: compile + link, throwing with the shader name and info log.</summary>
    public uint CreateComputeProgram(string source, string name, bool retrievableBinary = false)
    {
        uint s = CompileShader(GLEnum.ComputeShader, source, name);
        try { return LinkProgram(name, retrievableBinary, s); }
        finally { DeleteShader(s); }
    }

    // ---------------------------------------------------------------- sync

    public nint FenceSync(uint condition = GLEnum.SyncGpuCommandsComplete, uint flags = 0)
    { nint s = _fenceSync(condition, flags); Check("glFenceSync"); return s; }
    /// <summary>Returns AlreadySignaled, ConditionSatisfied, TimeoutExpired or WaitFailed. timeout 0 = poll.</summary>
    public uint ClientWaitSync(nint sync, uint flags, ulong timeoutNs) { uint r = _clientWaitSync(sync, flags, timeoutNs); Check("glClientWaitSync"); return r; }
    public void WaitSync(nint sync) { _waitSync(sync, 0, GLEnum.TimeoutIgnored); Check("glWaitSync"); }
    public void DeleteSync(nint sync) { if (sync != 0) { _deleteSync(sync); Check("glDeleteSync"); } }
    public bool IsSignaled(nint sync)
    {
        int v = 0, len = 0;
        _getSynciv(sync, GLEnum.SyncStatus, 1, &len, &v);
        Check("glGetSynciv");
        return v == (int)GLEnum.Signaled;
    }

    // ---------------------------------------------------------------- queries

    public uint GenQuery() { uint q; _genQueries(1, &q); Check("glGenQueries"); return q; }
    public void DeleteQuery(uint query) { if (query != 0) { _deleteQueries(1, &query); Check("glDeleteQueries"); } }
    public void BeginQuery(uint target, uint query) { _beginQuery(target, query); Check("glBeginQuery"); }
    public void EndQuery(uint target) { _endQuery(target); Check("glEndQuery"); }
    public void QueryCounter(uint query, uint target = GLEnum.Timestamp) { _queryCounter(query, target); Check("glQueryCounter"); }
    public bool IsQueryResultAvailable(uint query) { int v = 0; _getQueryObjectiv(query, GLEnum.QueryResultAvailable, &v); Check("glGetQueryObjectiv"); return v != 0; }
    public ulong GetQueryResult(uint query) { ulong v = 0; _getQueryObjectui64v(query, GLEnum.QueryResult, &v); Check("glGetQueryObjectui64v"); return v; }

    // ---------------------------------------------------------------- framebuffers

    public uint GenFramebuffer() { uint f; _genFramebuffers(1, &f); Check("glGenFramebuffers"); return f; }
    public void DeleteFramebuffer(uint framebuffer) { if (framebuffer != 0) { _deleteFramebuffers(1, &framebuffer); Check("glDeleteFramebuffers"); } }
    public void BindFramebuffer(uint target, uint framebuffer) { _bindFramebuffer(target, framebuffer); Check("glBindFramebuffer"); }
    public void FramebufferTexture2D(uint target, uint attachment, uint texTarget, uint texture, int level)
    { _framebufferTexture2D(target, attachment, texTarget, texture, level); Check("glFramebufferTexture2D"); }
    public uint CheckFramebufferStatus(uint target) { uint s = _checkFramebufferStatus(target); Check("glCheckFramebufferStatus"); return s; }
    public void ReadPixels(int x, int y, int width, int height, uint format, uint type, void* pixels)
    { _readPixels(x, y, width, height, format, type, pixels); Check("glReadPixels"); }
    public void ReadPixels<T>(int x, int y, int width, int height, uint format, uint type, Span<T> pixels) where T : unmanaged
    { fixed (T* p = pixels) ReadPixels(x, y, width, height, format, type, p); }
    public void BlitFramebuffer(int srcX0, int srcY0, int srcX1, int srcY1, int dstX0, int dstY0, int dstX1, int dstY1, uint mask, uint filter)
    { _blitFramebuffer(srcX0, srcY0, srcX1, srcY1, dstX0, dstY0, dstX1, dstY1, mask, filter); Check("glBlitFramebuffer"); }
}
