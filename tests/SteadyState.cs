namespace ResNetRealtime.Tests;

/// <summary>What a hot path allocates on this thread once it has reached steady state.</summary>
/// <remarks>
/// The measure is the total over all <c>windows × callsPerWindow</c> calls, so an allocation made once in that many calls
/// is seen (a minimum over windows missed anything made less often than once a window). Why measure again when the
/// total is not 0: a method's first calls run unoptimised code, and the runtime recompiles hot methods (tiered
/// compilation, on-stack replacement of long loops). That compilation can allocate a few runtime objects on whichever
/// thread triggers it — CI once saw 744 bytes inside 20 calls of the preprocessor, which allocates nothing itself. It
/// happens once per method, so a second or third measurement of the same length does not see it again; an allocation
/// the code makes itself recurs in every measurement. The result is the smallest of up to three totals.
/// </remarks>
static class SteadyState
{
    public static long BytesPerWindow(Action call, int callsPerWindow = 20, int windows = 8) =>
        Measure(call, callsPerWindow * windows, attempts: 3);

    /// <summary>Bytes allocated by <paramref name="calls"/> calls after a first one, measured up to <paramref name="attempts"/> times until one allocates nothing.</summary>
    internal static long Measure(Action call, int calls, int attempts)
    {
        call(); // first call: lazily built tables and buffers are allowed
        long least = long.MaxValue;
        for (int a = 0; a < attempts && least > 0; a++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++) call();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
