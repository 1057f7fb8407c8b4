using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Native;

/// <summary>
/// The C entry points (include/resnet_realtime.h documents each). Every export catches everything: no exception
/// crosses into the host; a failure returns an rr_status and leaves one line in the calling thread's last error.
/// </summary>
internal static unsafe class Exports
{
    [ThreadStatic] static nint _error;     // UTF-8, NativeMemory, grown as needed; one per thread
    [ThreadStatic] static int _errorCap;
    static readonly byte* VersionString = Utf8Const(typeof(Exports).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    static readonly byte* Empty = Utf8Const("");

    internal static byte* Utf8Const(string s)
    {
        var b = Encoding.UTF8.GetBytes(s + "\0");
        var p = (byte*)NativeMemory.Alloc((nuint)b.Length);
        b.CopyTo(new Span<byte>(p, b.Length));
        return p;
    }

    internal static int Fail(int status, string message)
    {
        int n = Encoding.UTF8.GetByteCount(message);
        if (_errorCap < n + 1) { NativeMemory.Free((void*)_error); _error = (nint)NativeMemory.Alloc((nuint)n + 1); _errorCap = n + 1; }
        var p = (byte*)_error;
        Encoding.UTF8.GetBytes(message, new Span<byte>(p, n));
        p[n] = 0;
        return status;
    }

    internal static int Fail(Exception e) => Fail(StatusOf(e), FirstLine(e));

    static readonly string OrtFile = OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so";

    static string FirstLine(Exception e)
    {
        if (e is TypeInitializationException { InnerException: { } inner }) e = inner;
        if (e is DllNotFoundException && e.Message.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase))
            return $"ONNX Runtime ({OrtFile}) was not found: it must lie beside the resnet_realtime library (the native archive's lib/ " +
                   $"folder has it) or on the system library path. Backend gl needs no ONNX Runtime. ({e.Message.Split('\n')[0].Split(". ")[0]})";
        return $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
    }

    static int StatusOf(Exception e) => e switch
    {
        TypeInitializationException { InnerException: { } inner } => StatusOf(inner),
        ArgumentException => Abi.ErrInvalidArgument,
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or IOException => Abi.ErrModel,
        DllNotFoundException or EntryPointNotFoundException or GlException or PlatformNotSupportedException => Abi.ErrBackend,
        Microsoft.ML.OnnxRuntime.OnnxRuntimeException => Abi.ErrModel,
        ObjectDisposedException => Abi.ErrInvalidHandle,
        _ => Abi.ErrInternal,
    };

    /// <summary>The handle's entry after the shared checks (NULL, destroyed, wrong thread, not built yet).</summary>
    internal static int Get(nint handle, out Entry e, bool needBuilt = true)
    {
        e = null;
        if (handle == 0) return Fail(Abi.ErrNullPointer, "classifier is NULL");
        e = Entry.Find(handle);
        if (e == null) return Fail(Abi.ErrInvalidHandle, $"classifier {handle} is not a live classifier (destroyed, or never created by rr_create_*)");
        if (e.OwnerThread >= 0 && e.OwnerThread != Environment.CurrentManagedThreadId)
            return Fail(Abi.ErrWrongThread, "a gl classifier may be called only from the thread that created it (the thread whose GL context it uses); " +
                                            "call it from that thread, or use RR_BACKEND_ORT_CPU, which any thread may call");
        if (needBuilt && e.Classifier == null)
            return e.DeferredError != null ? Fail(e.DeferredErrorStatus, e.DeferredError)
                                           : Fail(Abi.ErrNotReady, "the classifier is created on the render thread by the first render event (rr_unity_create); none has run yet");
        return Abi.Ok;
    }

    internal static int CheckOptions(RrOptions* o, out RrOptions copy)
    {
        copy = default;
        if (o == null) return Fail(Abi.ErrNullPointer, "options is NULL (fill an rr_options with rr_options_init)");
        uint size = o->StructSize;
        if (size != (uint)sizeof(RrOptions))
            return Fail(Abi.ErrStructSize, $"rr_options.struct_size is {size}; this library (ABI {Abi.Version}) knows {sizeof(RrOptions)}: " +
                        (size > sizeof(RrOptions) ? "the header is newer than the library" : "set struct_size = sizeof(rr_options) (rr_options_init does)"));
        copy = *o;
        return Abi.Ok;
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_version")]
    static int Version(byte** version, uint* abiVersion)
    {
        if (version == null && abiVersion == null) return Fail(Abi.ErrNullPointer, "rr_version: both out-pointers are NULL");
        if (version != null) *version = VersionString;
        if (abiVersion != null) *abiVersion = Abi.Version;
        return Abi.Ok;
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_last_error")]
    static byte* LastError() => _error == 0 ? Empty : (byte*)_error;

    [UnmanagedCallersOnly(EntryPoint = "rr_options_init")]
    static int OptionsInit(RrOptions* o)
    {
        if (o == null) return Fail(Abi.ErrNullPointer, "rr_options_init: options is NULL");
        *o = default;
        o->StructSize = (uint)sizeof(RrOptions);
        o->TopK = 5;
        return Abi.Ok;
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_create_from_path")]
    static int CreateFromPath(byte* path, RrOptions* options, nint* outHandle) => Create(path, null, 0, options, outHandle);

    [UnmanagedCallersOnly(EntryPoint = "rr_create_from_bytes")]
    static int CreateFromBytes(byte* data, nuint size, RrOptions* options, nint* outHandle) => Create(null, data, size, options, outHandle);

    static int Create(byte* path, byte* data, nuint size, RrOptions* options, nint* outHandle)
    {
        try
        {
            if (outHandle == null) return Fail(Abi.ErrNullPointer, "out_classifier is NULL");
            *outHandle = 0;
            if (path == null && data == null) return Fail(Abi.ErrNullPointer, path == null && size == 0 ? "model path is NULL" : "model bytes are NULL");
            if (data != null && (size == 0 || size > int.MaxValue)) return Fail(Abi.ErrInvalidArgument, $"model size {size} bytes is not in 1..{int.MaxValue}");
            int s = CheckOptions(options, out var o);
            if (s != Abi.Ok) return s;
            var e = Entry.Register(deferred: false);
            try
            {
                e.Build(path != null ? Marshal.PtrToStringUTF8((nint)path) : null, data != null ? new ReadOnlySpan<byte>(data, (int)size).ToArray() : null, o);
            }
            catch
            {
                Entry.Remove(e.Id);
                e.Dispose();
                throw;
            }
            *outHandle = e.Id;
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_submit_pixels")]
    static int SubmitPixels(nint handle, byte* pixels, nuint sizeBytes, int width, int height, int strideBytes, int format, long frameId)
    {
        try
        {
            int s = Get(handle, out var e);
            if (s != Abi.Ok) return s;
            if (pixels == null) return Fail(Abi.ErrNullPointer, "pixels is NULL");
            if (sizeBytes > int.MaxValue) return Fail(Abi.ErrInvalidArgument, $"size_bytes {sizeBytes} is over {int.MaxValue}");
            if ((uint)format > (uint)PixelFormat.Bgra32) return Fail(Abi.ErrInvalidArgument, $"format {format} is not an rr_pixel_format (0 RGB24, 1 BGR24, 2 RGBA32, 3 BGRA32)");
            e.Classifier.Submit(FrameInput.FromPixels(new ReadOnlySpan<byte>(pixels, (int)sizeBytes), width, height, strideBytes, (PixelFormat)format), frameId);
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_submit_texture")]
    static int SubmitTexture(nint handle, uint texture, int width, int height, int flipY, long frameId)
    {
        try
        {
            int s = Get(handle, out var e);
            if (s != Abi.Ok) return s;
            if (texture == 0) return Fail(Abi.ErrInvalidArgument, "texture 0 is not a texture");
            if (!e.Classifier.AcceptsTextures) return Fail(Abi.ErrInvalidArgument, $"backend {e.Classifier.Backend.ToName()} takes CPU pixels (rr_submit_pixels); textures need RR_BACKEND_GL");
            e.Classifier.Submit(FrameInput.FromTexture(texture, width, height, flipY != 0), frameId);
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_update")]
    static int Update(nint handle)
    {
        try
        {
            int s = Get(handle, out var e);
            if (s != Abi.Ok) return s;
            e.Classifier.Update();
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_poll")]
    static int Poll(nint handle, RrResult* result, int* hasResult) => PollCore(handle, result, hasResult);

    internal static int PollCore(nint handle, RrResult* result, int* hasResult)
    {
        try
        {
            if (hasResult != null) *hasResult = 0;
            if (result == null || hasResult == null) return Fail(Abi.ErrNullPointer, result == null ? "result is NULL" : "has_result is NULL");
            if (result->StructSize != (uint)sizeof(RrResult))
                return Fail(Abi.ErrStructSize, $"rr_result.struct_size is {result->StructSize}; this library (ABI {Abi.Version}) knows {sizeof(RrResult)} (set it to sizeof(rr_result))");
            if (handle != 0 && Entry.Find(handle) is { Deferred: true } d) return Unity.PollMirror(d, result, hasResult);
            int s = Get(handle, out var e);
            if (s != Abi.Ok) return s;
            lock (e.Gate)
            {
                if (!e.Classifier.TryGetLatest(ref e.Result)) return Abi.Ok;
                e.Fill(result);
            }
            *hasResult = 1;
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_get_stats")]
    static int GetStats(nint handle, RrStats* stats)
    {
        try
        {
            if (stats == null) return Fail(Abi.ErrNullPointer, "stats is NULL");
            if (stats->StructSize != (uint)sizeof(RrStats))
                return Fail(Abi.ErrStructSize, $"rr_stats.struct_size is {stats->StructSize}; this library (ABI {Abi.Version}) knows {sizeof(RrStats)}");
            int s = Get(handle, out var e);
            if (s != Abi.Ok) return s;
            e.Stats(stats);
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_destroy")]
    static int Destroy(nint handle)
    {
        try
        {
            int s = Get(handle, out var e, needBuilt: false);
            if (s != Abi.Ok) return s;
            if (e.Deferred && e.Classifier != null) return Fail(Abi.ErrWrongThread, "a classifier made by rr_unity_create is destroyed on the render thread: issue the render event with RR_UNITY_EVENT_DESTROY");
            Entry.Remove(handle);
            e.Dispose();
            return Abi.Ok;
        }
        catch (Exception ex) { return Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_allocated_bytes")]
    static int AllocatedBytes(long* currentThread, long* total)
    {
        if (currentThread == null && total == null) return Fail(Abi.ErrNullPointer, "rr_allocated_bytes: both out-pointers are NULL");
        if (currentThread != null) *currentThread = GC.GetAllocatedBytesForCurrentThread();
        if (total != null) *total = GC.GetTotalAllocatedBytes(precise: false);
        return Abi.Ok;
    }

    /// <summary>An export that does nothing, for measuring the cost of a call from C into the library.</summary>
    [UnmanagedCallersOnly(EntryPoint = "rr_noop")]
    static int Noop() => Abi.Ok;

    /// <summary>Prints the managed layout of the ABI structs (one line per struct), for the header/exports test.</summary>
    [UnmanagedCallersOnly(EntryPoint = "rr_debug_layout")]
    static int DebugLayout(byte* buffer, nuint size)
    {
        if (buffer == null) return Fail(Abi.ErrNullPointer, "buffer is NULL");
        var text = string.Join("\n", Abi.Layout()) + "\n";
        int n = Encoding.UTF8.GetByteCount(text);
        if ((nuint)n + 1 > size) return Fail(Abi.ErrInvalidArgument, $"buffer of {size} bytes is too small; {n + 1} needed");
        Encoding.UTF8.GetBytes(text, new Span<byte>(buffer, n));
        buffer[n] = 0;
        return Abi.Ok;
    }
}
