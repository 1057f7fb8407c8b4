namespace ResNetRealtime.Runtime.Backends;

/// <summary>How a backend is created. Plain data; every backend reads what applies to it.</summary>
internal sealed class BackendOptions
{
    /// <summary>Intra-op threads (ORT) / worker threads; 0 = the backend's default (all cores for ORT).</summary>
    public int Threads { get; init; }
    /// <summary>Intermediate tensors to return: stage names "layer1".."layer4" or any node output name.</summary>
    public IReadOnlyList<string> Taps { get; init; } = Array.Empty<string>();
    /// <summary>Most images per Run. Buffers are sized for it at creation.</summary>
    public int MaxBatch { get; init; } = 1;
    /// <summary>GPU adapter index (DirectML, CUDA).</summary>
    public int DeviceId { get; init; }
}
