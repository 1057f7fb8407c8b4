// ResNetRealtime for Unity: drop this file into Assets/Plugins and the native library (libresnet_realtime.so,
// resnet_realtime.dll or libresnet_realtime.dylib, with ONNX Runtime beside it) into Assets/Plugins/<platform>.
// Compiles against netstandard2.1 without unsafe code. Steady-state calls allocate nothing: the result lives in one
// native buffer made at creation and is read field by field; labels are turned into strings once per class.
//
//   var rt = ResNetRealtime.Unity.NativeClassifier.CreateOnRenderThread(path, ResNetRealtime.Unity.Backend.Gl, eglGetProcAddress);  // Start()
//   Update(): rt.QueueTexture((uint)tex.GetNativeTexturePtr(), tex.width, tex.height, true, Time.frameCount);
//             GL.IssuePluginEvent(ResNetRealtime.Unity.NativeClassifier.RenderEventFunc, rt.EventId);
//             if (rt.Poll()) label.text = rt.Label(0);
//   OnDestroy(): GL.IssuePluginEvent(ResNetRealtime.Unity.NativeClassifier.RenderEventFunc, rt.DestroyEventId);
// or, on a CPU backend from any thread: NativeClassifier.Create(path, Backend.OrtCpu); rt.SubmitPixels(...); rt.Poll().
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace ResNetRealtime.Unity
{
    public enum Backend { Auto = 0, OrtCpu = 1, Gl = 2, OrtDml = 3, OrtCuda = 4 }
    public enum PixelFormat { Rgb24 = 0, Bgr24 = 1, Rgba32 = 2, Bgra32 = 3 }

    /// <summary>A failed call: the rr_status and the library's last error line.</summary>
    public sealed class NativeException : Exception
    {
        public int Status { get; }
        public NativeException(int status, string message) : base(message) { Status = status; }
    }

    /// <summary>rr_options (resnet_realtime.h), blittable.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeOptions
    {
        public uint StructSize;
        public int Backend, Threads, TopK, Cam, Precision;
        public double FrameBudgetMs, CropRatio;
        public IntPtr GetProcAddress;
        /// <summary>ort-dml, ort-cuda: the GPU adapter index.</summary>
        public int DeviceId;
    }

    public static class Native
    {
        public const string Lib = "resnet_realtime";
        public const int Ok = 0, NotReady = -8, MaxTopK = 16, UnityEventDestroy = 1 << 30;
        // rr_result offsets, as in the header (the native tests check the header against the library)
        public const int ResultSize = 336, OffCount = 4, OffFrameId = 8, OffLatency = 16, OffCamW = 56, OffCamH = 60,
            OffCam = 64, OffCamTexture = 72, OffTop = 80, PredictionSize = 16;

        [DllImport(Lib, EntryPoint = "rr_version")] public static extern int Version(out IntPtr version, out uint abiVersion);
        [DllImport(Lib, EntryPoint = "rr_last_error")] public static extern IntPtr LastError();
        [DllImport(Lib, EntryPoint = "rr_options_init")] public static extern int OptionsInit(ref NativeOptions o);
        [DllImport(Lib, EntryPoint = "rr_create_from_path")] public static extern int CreateFromPath(byte[] utf8Path, ref NativeOptions o, out IntPtr c);
        [DllImport(Lib, EntryPoint = "rr_submit_pixels")] public static extern int SubmitPixels(IntPtr c, IntPtr pixels, UIntPtr size, int w, int h, int stride, PixelFormat f, long frameId);
        [DllImport(Lib, EntryPoint = "rr_submit_texture")] public static extern int SubmitTexture(IntPtr c, uint tex, int w, int h, int flipY, long frameId);
        [DllImport(Lib, EntryPoint = "rr_update")] public static extern int Update(IntPtr c);
        [DllImport(Lib, EntryPoint = "rr_poll")] public static extern int Poll(IntPtr c, IntPtr result, out int hasResult);
        [DllImport(Lib, EntryPoint = "rr_destroy")] public static extern int Destroy(IntPtr c);
        [DllImport(Lib, EntryPoint = "rr_allocated_bytes")] public static extern int AllocatedBytes(out long currentThread, out long total);
        [DllImport(Lib, EntryPoint = "rr_unity_render_event_func")] public static extern int RenderEventFunc(out IntPtr fn);
        [DllImport(Lib, EntryPoint = "rr_unity_create")] public static extern int UnityCreate(byte[] utf8Path, ref NativeOptions o, out IntPtr c);
        [DllImport(Lib, EntryPoint = "rr_unity_queue_texture")] public static extern int QueueTexture(IntPtr c, uint tex, int w, int h, int flipY, long frameId);

        public static string LastErrorText() => Marshal.PtrToStringAnsi(LastError()) ?? "";

        public static void Check(int status, string what)
        {
            if (status != Ok) throw new NativeException(status, what + ": " + LastErrorText());
        }

        public static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s + "\0");
    }

    /// <summary>One classifier of the native library; the result of the last successful <see cref="Poll"/> is read
    /// through the properties. Thread rules are the library's: CPU backends any thread; gl its render thread.</summary>
    public sealed class NativeClassifier : IDisposable
    {
        IntPtr _handle;
        readonly IntPtr _result; // one rr_result, made once
        readonly bool _renderThread;
        readonly Dictionary<IntPtr, string> _labels = new Dictionary<IntPtr, string>();
        static IntPtr _renderEventFunc;

        NativeClassifier(IntPtr handle, bool renderThread)
        {
            _handle = handle; _renderThread = renderThread;
            _result = Marshal.AllocHGlobal(Native.ResultSize);
            for (int i = 0; i < Native.ResultSize; i += 4) Marshal.WriteInt32(_result, i, 0);
            Marshal.WriteInt32(_result, 0, Native.ResultSize);
        }

        static NativeOptions Options(Backend backend, int topK)
        {
            var o = new NativeOptions();
            Native.Check(Native.OptionsInit(ref o), "rr_options_init");
            o.Backend = (int)backend; o.TopK = topK;
            return o;
        }

        /// <summary>Created on the calling thread (CPU backends: any thread may use it afterwards).</summary>
        public static NativeClassifier Create(string modelPath, Backend backend = Backend.OrtCpu, int topK = 5)
        {
            var o = Options(backend, topK);
            Native.Check(Native.CreateFromPath(Native.Utf8(modelPath), ref o, out IntPtr c), "rr_create_from_path");
            return new NativeClassifier(c, false);
        }

        /// <summary>Built by the first <see cref="RenderEventFunc"/> event (Unity's render thread and GL context).
        /// getProcAddress: the render thread's GL loader (e.g. eglGetProcAddress), or IntPtr.Zero for CPU backends.</summary>
        public static NativeClassifier CreateOnRenderThread(string modelPath, Backend backend, IntPtr getProcAddress, int topK = 5)
        {
            var o = Options(backend, topK);
            o.GetProcAddress = getProcAddress;
            Native.Check(Native.UnityCreate(Native.Utf8(modelPath), ref o, out IntPtr c), "rr_unity_create");
            return new NativeClassifier(c, true);
        }

        /// <summary>For GL.IssuePluginEvent(RenderEventFunc, EventId).</summary>
        public static IntPtr RenderEventFunc
        {
            get
            {
                if (_renderEventFunc == IntPtr.Zero) Native.Check(Native.RenderEventFunc(out _renderEventFunc), "rr_unity_render_event_func");
                return _renderEventFunc;
            }
        }

        public int EventId => (int)_handle.ToInt64();
        public int DestroyEventId => EventId | Native.UnityEventDestroy;
        public IntPtr Handle => _handle;

        public void SubmitPixels(IntPtr pixels, int sizeBytes, int width, int height, int strideBytes, PixelFormat format, long frameId) =>
            Native.Check(Native.SubmitPixels(_handle, pixels, (UIntPtr)(uint)sizeBytes, width, height, strideBytes, format, frameId), "rr_submit_pixels");

        public void QueueTexture(uint texture, int width, int height, bool flipY, long frameId) =>
            Native.Check(Native.QueueTexture(_handle, texture, width, height, flipY ? 1 : 0, frameId), "rr_unity_queue_texture");

        public void Update() => Native.Check(Native.Update(_handle), "rr_update");

        /// <summary>True when a new result was read; false when none yet (also before the render thread built it).</summary>
        public bool Poll()
        {
            int s = Native.Poll(_handle, _result, out int has);
            if (s == Native.NotReady) return false;
            Native.Check(s, "rr_poll");
            return has != 0;
        }

        public long FrameId => Marshal.ReadInt64(_result, Native.OffFrameId);
        public int Count => Marshal.ReadInt32(_result, Native.OffCount);
        public int ClassIndex(int i) => Marshal.ReadInt32(_result, Native.OffTop + i * Native.PredictionSize);
        public float Probability(int i) => BitConverter.Int32BitsToSingle(Marshal.ReadInt32(_result, Native.OffTop + i * Native.PredictionSize + 4));
        public string Label(int i)
        {
            IntPtr p = Marshal.ReadIntPtr(_result, Native.OffTop + i * Native.PredictionSize + 8);
            if (p == IntPtr.Zero) return null;
            if (!_labels.TryGetValue(p, out string s)) _labels[p] = s = Marshal.PtrToStringAnsi(p); // once per class
            return s;
        }
        /// <summary>Latency stage i (0 queue, 1 preprocess, 2 inference, 3 postprocess, 4 submit→result), ms.</summary>
        public double LatencyMs(int stage) => BitConverter.Int64BitsToDouble(Marshal.ReadInt64(_result, Native.OffLatency + stage * 8));
        public int CamWidth => Marshal.ReadInt32(_result, Native.OffCamW);
        public int CamHeight => Marshal.ReadInt32(_result, Native.OffCamH);
        public uint CamTexture => (uint)Marshal.ReadInt32(_result, Native.OffCamTexture);

        /// <summary>CPU-created classifiers only; a render-thread one is destroyed with GL.IssuePluginEvent(RenderEventFunc, DestroyEventId).</summary>
        public void Dispose()
        {
            if (_handle == IntPtr.Zero) return;
            if (!_renderThread) Native.Check(Native.Destroy(_handle), "rr_destroy");
            _handle = IntPtr.Zero;
            Marshal.FreeHGlobal(_result);
        }
    }
}
