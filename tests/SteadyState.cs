namespace ResNetRealtime.Tests;

/// <summary>What a hot path allocates on this thread once it has reached steady state.</summary>
/// <remarks>
/// Why windows and a minimum rather than one count: a method's first calls run unoptimised code, and the
/// runtime recompiles hot methods (tiered compilation, on-stack replacement of long loops). That
/// compilation can allocate a few runtime objects on whichever thread triggers it — CI once saw 744 bytes
/// inside a 20-call window of the preprocessor, which allocates nothing itself. It happens once per
/// method, so it contaminates at most a window or two. An allocation the code makes itself happens on
/// every call (or every few calls), so it shows in every window: the minimum is 0 only if the code
/// allocates nothing per call.
/// </remarks>
static class SteadyState
{
    public static long BytesPerWindow(Action call, int callsPerWindow = 20, int windows = 8)
    {
        call(); // first call: lazily built tables and buffers are allowed
        long min = long.MaxValue;
        for (int w = 0; w < windows && min > 0; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < callsPerWindow; i++) call();
            min = Math.Min(min, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return min;
    }
}
