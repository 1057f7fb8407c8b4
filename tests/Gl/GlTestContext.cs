using NUnit.Framework;
using ResNetRealtime.Runtime.Gl;

namespace ResNetRealtime.Tests.Gl;

/// <summary>
/// One headless context for the whole GL suite (creating contexts is slow on llvmpipe). Tests call
/// <see cref="Get"/>, which makes it current on the calling thread. No GL 4.3 → the tests FAIL (not skip):
/// CI must notice a missing Mesa, not pass silently.
/// </summary>
static class GlTestContext
{
    static GlContext _ctx;
    static Exception _error;
    static readonly object Gate = new();

    public static GlContext Get()
    {
        lock (Gate)
        {
            if (_error != null) Assert.Fail($"no headless OpenGL 4.3 context: {_error.Message}");
            if (_ctx == null)
            {
                try
                {
                    _ctx = GlContext.CreateHeadless();
                    _ctx.RequireCompute();
                    TestContext.Progress.WriteLine($"GL tests on {_ctx.Description}");
                }
                catch (Exception e)
                {
                    _error = e;
                    Assert.Fail($"no headless OpenGL 4.3 context: {e.Message}");
                }
            }
            _ctx.MakeCurrent();
            return _ctx;
        }
    }
}
