using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Realtime;

namespace ResNetRealtime.Native;

/// <summary>
/// Unity's native rendering-plugin interface. Unity calls UnityPluginLoad/Unload when it loads the library; C# gets
/// the render-event function (rr_unity_render_event_func) and fires it with GL.IssuePluginEvent(func, eventId), so
/// the GL work runs on Unity's render thread with Unity's context current. A classifier made by rr_unity_create is
/// built by its first render event, fed from textures queued on any thread (rr_unity_queue_texture), updated and
/// polled by each render event; rr_poll on any thread reads the newest result copied out under a lock.
/// eventId = (int)classifier for an update; the classifier's id with RR_UNITY_EVENT_DESTROY (1 &lt;&lt; 30) or'ed in destroys it.
/// </summary>
internal static unsafe class Unity
{
    const int DestroyFlag = 1 << 30;
    static nint _interfaces;

    [UnmanagedCallersOnly(EntryPoint = "UnityPluginLoad")]
    static void PluginLoad(nint interfaces) => _interfaces = interfaces;

    [UnmanagedCallersOnly(EntryPoint = "UnityPluginUnload")]
    static void PluginUnload() => _interfaces = 0;

    [UnmanagedCallersOnly(EntryPoint = "rr_unity_render_event_func")]
    static int RenderEventFunc(nint* fn)
    {
        if (fn == null) return Exports.Fail(Abi.ErrNullPointer, "fn is NULL");
        *fn = (nint)(delegate* unmanaged<int, void>)&RenderEvent;
        return Abi.Ok;
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_unity_create")]
    static int Create(byte* path, RrOptions* options, nint* outHandle)
    {
        try
        {
            if (outHandle == null) return Exports.Fail(Abi.ErrNullPointer, "out_classifier is NULL");
            *outHandle = 0;
            if (path == null) return Exports.Fail(Abi.ErrNullPointer, "model path is NULL");
            int s = Exports.CheckOptions(options, out var o);
            if (s != Abi.Ok) return s;
            var p = Marshal.PtrToStringUTF8((nint)path);
            if (!p.StartsWith("pretrained:", StringComparison.Ordinal) && !File.Exists(p))
                return Exports.Fail(Abi.ErrModel, $"model file not found: {p}");
            var e = Entry.Register(deferred: true);
            if (e.Id >= DestroyFlag) return Exports.Fail(Abi.ErrInternal, "render-event ids exhausted");
            e.DeferredModelPath = p;
            e.DeferredOptions = o;
            *outHandle = e.Id;
            return Abi.Ok;
        }
        catch (Exception ex) { return Exports.Fail(ex); }
    }

    [UnmanagedCallersOnly(EntryPoint = "rr_unity_queue_texture")]
    static int QueueTexture(nint handle, uint texture, int width, int height, int flipY, long frameId)
    {
        if (handle == 0) return Exports.Fail(Abi.ErrNullPointer, "classifier is NULL");
        var e = Entry.Find(handle);
        if (e is not { Deferred: true }) return Exports.Fail(Abi.ErrInvalidHandle, $"classifier {handle} is not a live classifier made by rr_unity_create");
        if (texture == 0 || width <= 0 || height <= 0) return Exports.Fail(Abi.ErrInvalidArgument, $"texture {texture} {width}x{height}: need a texture name > 0 and a size > 0");
        lock (e.Gate)
        {
            e.PendingTexture = texture; e.PendingWidth = width; e.PendingHeight = height; e.PendingFlip = flipY; e.PendingFrameId = frameId;
            e.HasPending = true;
        }
        return Abi.Ok;
    }

    /// <summary>Runs on the render thread. Errors cannot be returned from here: they are kept on the entry and the
    /// next rr_poll (any thread) returns them.</summary>
    [UnmanagedCallersOnly(EntryPoint = "rr_unity_render_event")]
    static void RenderEvent(int eventId)
    {
        var e = Entry.Find(eventId & ~DestroyFlag);
        if (e is not { Deferred: true }) return;
        try
        {
            if ((eventId & DestroyFlag) != 0)
            {
                Entry.Remove(e.Id);
                e.Dispose();
                return;
            }
            if (e.Classifier == null)
            {
                if (e.DeferredError != null) return;
                e.Build(e.DeferredModelPath, null, e.DeferredOptions);
            }
            bool submit;
            uint tex; int w, h, flip; long id;
            lock (e.Gate)
            {
                submit = e.HasPending; e.HasPending = false;
                tex = e.PendingTexture; w = e.PendingWidth; h = e.PendingHeight; flip = e.PendingFlip; id = e.PendingFrameId;
            }
            if (submit) e.Classifier.Submit(FrameInput.FromTexture(tex, w, h, flip != 0), id);
            e.Classifier.Update();
            if (e.Classifier.TryGetLatest(ref e.Result))
                lock (e.Gate)
                {
                    e.Mirror.StructSize = (uint)sizeof(RrResult);
                    fixed (RrResult* m = &e.Mirror) e.Fill(m);
                    e.MirrorFresh = true;
                }
        }
        catch (Exception ex)
        {
            lock (e.Gate)
            {
                e.DeferredError = $"render event: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}";
                e.DeferredErrorStatus = ex is ArgumentException ? Abi.ErrInvalidArgument : ex is FileNotFoundException or InvalidDataException ? Abi.ErrModel : Abi.ErrBackend;
            }
        }
    }

    internal static int PollMirror(Entry e, RrResult* result, int* hasResult)
    {
        lock (e.Gate)
        {
            if (e.DeferredError != null) return Exports.Fail(e.DeferredErrorStatus, e.DeferredError);
            if (!e.MirrorFresh) return Abi.Ok;
            *result = e.Mirror;
            e.MirrorFresh = false;
        }
        *hasResult = 1;
        return Abi.Ok;
    }
}
