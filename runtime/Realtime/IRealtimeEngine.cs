namespace ResNetRealtime.Runtime.Realtime;

/// <summary>What <see cref="RealtimeClassifier"/> runs on: a CPU worker thread (<see cref="CpuEngine"/>) or the
/// host's GL thread (<see cref="GlEngine"/>). The facade owns argument checks; the engines own scheduling.</summary>
internal interface IRealtimeEngine : IDisposable
{
    Backend Backend { get; }
    int Classes { get; }
    IReadOnlyList<string> Labels { get; }
    bool AcceptsTextures { get; }
    Backends.SelfCheckResult SelfCheck { get; }
    long Submitted { get; }
    long Dropped { get; }
    long Completed { get; }
    RealtimeResult CreateResult(object owner);
    void Submit(in FrameInput frame, long frameId);
    void Update();
    bool TryGetLatest(ref RealtimeResult into);
    Action<RealtimeResult> ResultReady { set; }
}
