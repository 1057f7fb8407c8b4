using ResNetRealtime.Runtime.IO;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Compute programs built from the GLSL embedded in this assembly ("shaders/&lt;file&gt;"):
/// <c>#include "x.glsl"</c> lines are replaced by that resource's text (once per file), and
/// <c>#define</c>s for a variant are inserted right after the <c>#version</c> line.
/// Linked programs are cached as program binaries (GL_ARB_get_program_binary) under
/// <see cref="CacheDirectory"/>, keyed by SHA-256 of (expanded source, GL_RENDERER, GL_VERSION);
/// a binary the driver rejects (driver update, other GPU) is deleted and the program recompiled.
/// </summary>
internal sealed unsafe class GlShaders : IDisposable
{
    static readonly Assembly Asm = typeof(GlShaders).Assembly;
    readonly GL _gl;
    readonly Dictionary<string, uint> _programs = new(StringComparer.Ordinal);
    readonly string _driverKey;
    readonly bool _binaries;

    /// <summary>Where program binaries live: $RR_GL_CACHE, else ~/.cache/resnet-realtime/gl (XDG_CACHE_HOME honoured).
    /// Set to null to disable the cache.</summary>
    public string CacheDirectory { get; }
    /// <summary>Programs loaded from the binary cache / compiled from source since creation (for tests and logs).</summary>
    public int CacheHits { get; private set; }
    public int Compiles { get; private set; }

    public GlShaders(GlContext context, string cacheDirectory = "")
    {
        _gl = context.Gl;
        _driverKey = context.Renderer + "|" + context.Version;
        if (cacheDirectory == "") cacheDirectory = DefaultCacheDirectory();
        CacheDirectory = cacheDirectory;
        _binaries = cacheDirectory != null && SupportsProgramBinary(_gl);
    }

    /// <summary>Whether glGetProgramBinary/glProgramBinary exist and the driver offers at least one binary format.</summary>
    public static bool SupportsProgramBinary(GL gl) =>
        gl.Context.TryGetProcAddress("glGetProgramBinary", out nint a) && a != 0
        && gl.Context.TryGetProcAddress("glProgramBinary", out nint b) && b != 0
        && gl.GetInteger(GetPName.NumProgramBinaryFormats) > 0;

    public static string DefaultCacheDirectory()
    {
        var env = Environment.GetEnvironmentVariable("RR_GL_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "resnet-realtime", "gl");
    }

    /// <summary>Text of an embedded shader file; throws naming the resources that exist when missing.</summary>
    public static string ReadResource(string file)
    {
        using var s = Asm.GetManifestResourceStream("shaders/" + file);
        if (s == null)
            throw new GlException($"shader resource shaders/{file} is not embedded in {Asm.GetName().Name} (have: {string.Join(", ", Asm.GetManifestResourceNames().Where(n => n.StartsWith("shaders/")))})");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }

    /// <summary>The full source of <paramref name="file"/> with includes expanded and <paramref name="defines"/> inserted.</summary>
    public static string Expand(string file, params string[] defines)
    {
        var included = new HashSet<string>(StringComparer.Ordinal);
        var body = ExpandIncludes(ReadResource(file), file, included, 0);
        var lines = body.Split('\n').ToList();
        int v = lines.FindIndex(l => l.TrimStart().StartsWith("#version", StringComparison.Ordinal));
        if (v < 0) throw new GlException($"shader {file} has no #version line");
        var defs = defines.Select(d =>
        {
            int eq = d.IndexOf('=');
            return eq < 0 ? $"#define {d}" : $"#define {d[..eq]} {d[(eq + 1)..]}";
        });
        // #line keeps the driver's error line numbers pointing into the original file.
        lines.InsertRange(v + 1, defs.Append($"#line {v + 2}"));
        return string.Join('\n', lines);
    }

    static string ExpandIncludes(string text, string file, HashSet<string> included, int depth)
    {
        if (depth > 8) throw new GlException($"shader {file}: #include nested too deep");
        var sb = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith("#include", StringComparison.Ordinal))
            {
                int a = t.IndexOf('"'), b = t.LastIndexOf('"');
                if (a < 0 || b <= a) throw new GlException($"shader {file}: malformed include line '{t}'");
                var inc = t[(a + 1)..b];
                if (included.Add(inc)) sb.Append(ExpandIncludes(ReadResource(inc), inc, included, depth + 1)).Append('\n');
                continue;
            }
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The linked program for (file, defines), compiled or loaded once per instance.</summary>
    public uint Get(string file, params string[] defines)
    {
        string key = defines.Length == 0 ? file : file + "|" + string.Join("|", defines);
        if (_programs.TryGetValue(key, out uint p)) return p;
        string source = Expand(file, defines);
        string name = defines.Length == 0 ? file : $"{file} [{string.Join(" ", defines)}]";
        p = _binaries ? LoadOrCompile(source, name) : Compile(source, name, false);
        _programs[key] = p;
        return p;
    }

    uint Compile(string source, string name, bool retrievable)
    {
        Compiles++;
        return GlPrograms.CreateCompute(_gl, source, name, retrievable);
    }

    uint LoadOrCompile(string source, string name)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source + "\0" + _driverKey)))[..32].ToLowerInvariant();
        string path = Path.Combine(CacheDirectory, hash + ".bin");
        if (File.Exists(path))
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                if (bytes.Length > 4)
                {
                    uint format = BitConverter.ToUInt32(bytes, 0);
                    uint prog = GlObjects.Program(_gl);
                    _gl.ProgramBinary<byte>(prog, (GLEnum)format, bytes.AsSpan(4));
                    // A rejected binary may set GL_INVALID_ENUM/VALUE: that is the documented "fall back to
                    // compile" signal (with LinkStatus 0), so drain errors here instead of throwing.
                    GlErrors.Drain(_gl);
                    if (_gl.GetProgram(prog, GLEnum.LinkStatus) != 0) { CacheHits++; return prog; }
                    GlObjects.DeleteProgram(_gl, prog);
                }
                File.Delete(path); // rejected (driver changed): recompile below and rewrite
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        uint p = Compile(source, name, true);
        try
        {
            int len = _gl.GetProgram(p, GLEnum.ProgramBinaryLength);
            var bytes = new byte[4 + Math.Max(0, len)];
            uint written = 0;
            GLEnum format = 0;
            if (len > 0)
                fixed (byte* b = bytes) _gl.GetProgramBinary(p, (uint)len, &written, &format, b + 4);
            if (written > 0)
            {
                Directory.CreateDirectory(CacheDirectory);
                BitConverter.GetBytes((uint)format).CopyTo(bytes, 0);
                if (written < len) Array.Resize(ref bytes, 4 + (int)written);
                // Write-then-rename: a concurrent reader never sees a half-written binary.
                AtomicFile.WriteAllBytes(path, bytes);
            }
        }
        catch (IOException) { }          // the cache only saves time: an unwritable cache is not an error
        catch (UnauthorizedAccessException) { }
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _programs.Values) GlObjects.DeleteProgram(_gl, p);
        _programs.Clear();
    }
}
