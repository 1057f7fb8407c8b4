using System.Runtime.InteropServices;

namespace ResNetRealtime.Native;

/// <summary>The C ABI's types, mirrored field for field from include/resnet_realtime.h (NativeAbiTests compares
/// sizeof/offsetof printed by a C program with <see cref="Layout"/>). Changing one is an ABI break: bump
/// <see cref="Abi.Version"/>, and let structs grow only at the end (struct_size tells the versions apart).</summary>
internal static class Abi
{
    /// <summary>RR_ABI_VERSION: bumped on any incompatible change to the header.</summary>
    public const uint Version = 1;
    public const int MaxTopK = 16;

    // rr_status
    public const int Ok = 0, ErrInvalidArgument = -1, ErrNullPointer = -2, ErrStructSize = -3, ErrInvalidHandle = -4,
        ErrWrongThread = -5, ErrModel = -6, ErrBackend = -7, ErrNotReady = -8, ErrInternal = -9;

    /// <summary>rr_backend → the managed API's <see cref="Runtime.Backend"/> (the C numbering is the header's, not the enum's).</summary>
    public static Runtime.Backend BackendOf(int b) => b switch
    {
        0 => Runtime.Backend.Auto, 1 => Runtime.Backend.OrtCpu, 2 => Runtime.Backend.Gl, 3 => Runtime.Backend.OrtDml, 4 => Runtime.Backend.OrtCuda,
        _ => throw new ArgumentException($"rr_options.backend {b} is not an rr_backend (0 auto, 1 ort-cpu, 2 gl, 3 ort-dml, 4 ort-cuda)"),
    };

    /// <summary>rr_precision → <see cref="Runtime.Precision"/>.</summary>
    public static Runtime.Precision PrecisionOf(int p) => p switch
    {
        0 => Runtime.Precision.Fp32, 1 => Runtime.Precision.Int8,
        _ => throw new ArgumentException($"rr_options.precision {p} is not an rr_precision (0 fp32, 1 int8)"),
    };

    /// <summary>"name size offsets..." of every struct, for the layout test (the C side prints the same with offsetof).
    /// Pointer arithmetic, not Marshal.OffsetOf: these are the blittable layouts the exports read and write.</summary>
    public static unsafe string[] Layout()
    {
        RrOptions o; RrPrediction p; RrLatency l; RrResult r; RrStats s;
        static long Off(void* field, void* start) => (byte*)field - (byte*)start;
        return
        [
            $"rr_options {sizeof(RrOptions)} {Off(&o.FrameBudgetMs, &o)} {Off(&o.GetProcAddress, &o)} {Off(&o.DeviceId, &o)}",
            $"rr_prediction {sizeof(RrPrediction)} {Off(&p.Label, &p)}",
            $"rr_latency {sizeof(RrLatency)} {Off(&l.SubmitToResultMs, &l)}",
            $"rr_result {sizeof(RrResult)} {Off(&r.Latency, &r)} {Off(&r.Cam, &r)} {Off(&r.CamTexture, &r)} {Off(&r.Top, &r)}",
            $"rr_stats {sizeof(RrStats)} {Off(&s.Backend, &s)}",
        ];
    }
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RrOptions
{
    public uint StructSize;
    public int Backend, Threads, TopK, Cam, Precision;
    public double FrameBudgetMs, CropRatio;
    public delegate* unmanaged<byte*, void*> GetProcAddress;
    public int DeviceId;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RrPrediction
{
    public int ClassIndex;
    public float Probability;
    public byte* Label;
}

[StructLayout(LayoutKind.Sequential)]
internal struct RrLatency
{
    public double QueueMs, PreprocessMs, InferenceMs, PostprocessMs, SubmitToResultMs;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RrResult
{
    public uint StructSize;
    public int Count;
    public long FrameId;
    public RrLatency Latency;
    public int CamWidth, CamHeight;
    public float* Cam;
    public uint CamTexture;
    public int Updates;
    public RrPredictions Top;
}

[System.Runtime.CompilerServices.InlineArray(Abi.MaxTopK)]
internal struct RrPredictions { RrPrediction _0; }

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RrStats
{
    public uint StructSize;
    public int Classes;
    public long Submitted, Dropped, Completed;
    public int AcceptsTextures, IsGl;
    public byte* Backend;
}
