namespace ResNetRealtime.Runtime.Gl;

/// <summary>The kinds of GL object <see cref="GlObjects"/> makes. Framebuffers are listed for hosts' code; the runtime makes none.</summary>
internal enum GlObjectKind { Buffer, Texture, Program, Shader, Framebuffer, Sync, Query, VertexArray, Renderbuffer }

/// <summary>Created and deleted counts of one kind; <see cref="Live"/> = created − deleted.</summary>
internal readonly record struct GlObjectCount(GlObjectKind Kind, long Created, long Deleted)
{
    public long Live => Created - Deleted;
    public override string ToString() => $"{Kind}: {Created} created, {Deleted} deleted, {Live} live";
}

/// <summary>
/// Process-wide tally of the GL objects made and freed through <see cref="GlObjects"/> (every context together:
/// object names are per context, so only counts are kept). A leak shows as a <see cref="GlObjectCount.Live"/>
/// that grows across create/dispose cycles: compare <see cref="Snapshot"/>s taken before and after.
/// Counting is two interlocked adds per object at setup/teardown time, nothing per frame.
/// </summary>
internal static class GlObjectCounter
{
    static readonly long[] CreatedCounts = new long[Enum.GetValues<GlObjectKind>().Length];
    static readonly long[] DeletedCounts = new long[CreatedCounts.Length];

    internal static void Created(GlObjectKind kind, uint name) { if (kind == GlObjectKind.Sync || name != 0) Interlocked.Increment(ref CreatedCounts[(int)kind]); }
    internal static void Deleted(GlObjectKind kind, uint name) { if (kind == GlObjectKind.Sync || name != 0) Interlocked.Increment(ref DeletedCounts[(int)kind]); }

    public static GlObjectCount Get(GlObjectKind kind) =>
        new(kind, Interlocked.Read(ref CreatedCounts[(int)kind]), Interlocked.Read(ref DeletedCounts[(int)kind]));

    /// <summary>The counts of every kind now.</summary>
    public static GlObjectCount[] Snapshot() => Enum.GetValues<GlObjectKind>().Select(Get).ToArray();

    /// <summary>Per kind, what happened between two snapshots (created and deleted in between).</summary>
    public static GlObjectCount[] Since(GlObjectCount[] before) =>
        Snapshot().Select((c, i) => new GlObjectCount(c.Kind, c.Created - before[i].Created, c.Deleted - before[i].Deleted)).ToArray();

    /// <summary>Objects created and not yet deleted, all kinds.</summary>
    public static long Live => Snapshot().Sum(c => c.Live);
}
