using System.Collections.Concurrent;
using System.Diagnostics;
using ResNetRealtime.Runtime.Backends;
using ResNetRealtime.Runtime.Backends.Gl;
using ResNetRealtime.Runtime.Gl;
using ResNetRealtime.Runtime.Onnx;
using ResNetRealtime.Runtime.Tensors;

namespace ResNetRealtime.Tests.Fuzz;

/// <summary>Counts of one fuzz run. A finding is anything that breaks the contract (see <see cref="FuzzRunner"/>).</summary>
public sealed class FuzzReport
{
    public int Cases, ModelCases, NpyCases, CleanErrors, Results, Agreements, Disagreements, GlUnsupported;
    public double Seconds, MaxRelativeDiff;
    public readonly List<string> Findings = [];
    public readonly Dictionary<string, int> ErrorsByStage = new(StringComparer.Ordinal);
    public bool Hung;

    public void Error(string stage) => ErrorsByStage[stage] = ErrorsByStage.GetValueOrDefault(stage) + 1;

    public string Summary =>
        $"fuzz: {Cases} cases ({ModelCases} models, {NpyCases} npy) in {Seconds:F1} s: {CleanErrors} clean errors " +
        $"({string.Join(", ", ErrorsByStage.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}"))}), {Results} results " +
        $"({GlUnsupported} ort-cpu only: gl unsupported), {Agreements} ort-cpu/gl agreements, {Disagreements} disagreements " +
        $"(max |Δlogit| {MaxRelativeDiff:G3} of max(1,|logit|)), {Findings.Count} findings{(Hung ? ", HUNG" : "")}";
}

/// <summary>
/// Feeds mutated models and .npy files through the loader (OnnxModel.Parse, Npy.Read), GraphValidator,
/// BackendFactory ("ort-cpu") and the gl builder (GlBackendFactory on a headless EGL context, llvmpipe in CI),
/// one case at a time on one worker thread (the GL context is current there) while the caller waits with a
/// per-case timeout. Contract checked per case:
/// - every error is an InvalidDataException, NotSupportedException or ArgumentException with a one-line message of
///   at most <see cref="MaxMessage"/> characters (a .npy error names the file);
/// - a model the validator refuses is refused by both backends with the validator's message;
/// - gl never builds a model ort-cpu refuses; a model both build runs on both from the same seeded input and the
///   logits agree within <see cref="Tolerance"/>·max(1, max|logit|), or both are flagged non-finite;
/// - a .npy reads the same from a seekable and a non-seekable stream and allocates at most a few times its size.
/// Case i of seed s uses Random(s·1000003 + i) alone, so RR_FUZZ_ONLY=i replays it.
/// </summary>
public sealed class FuzzRunner : IDisposable
{
    /// <summary>
    /// Relative logit tolerance between ort-cpu and gl. Trained models agree to 1e-4 (GlModelTests); mutated
    /// weights up to the validator's 1e10 bound amplify float32 reordering error, so 10× that. A wrong kernel,
    /// pad or stride moves logits by O(1) of their scale, far above it.
    /// </summary>
    public const double Tolerance = 1e-3;
    public const int MaxMessage = 300;
    /// <summary>Per case: the first gl case links every shader on llvmpipe (seconds); a hang is unbounded.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(60);

    readonly (string Name, byte[] Bytes, int Weight)[] _seeds;
    readonly int _weights;
    readonly BlockingCollection<Action> _jobs = new();
    readonly Thread _worker;
    GlContext _gl;
    IInferenceBackend _npyOrt, _npyGl;
    byte[] _npyValid;

    /// <summary>Seeds are drawn in proportion to their weight; the first is also the .npy cases' model.</summary>
    public FuzzRunner(IEnumerable<(string Name, byte[] Bytes, int Weight)> seeds)
    {
        _seeds = seeds.ToArray();
        _weights = _seeds.Sum(x => x.Weight);
        _worker = new Thread(() => { foreach (var job in _jobs.GetConsumingEnumerable()) job(); }) { IsBackground = true, Name = "fuzz" };
        _worker.Start();
        if (!OnWorker(() =>
            {
                _gl = GlContext.CreateHeadless();
                _gl.RequireCompute();
                var tiny = OnnxModel.Parse(_seeds[0].Bytes);
                _npyOrt = BackendFactory.Create(Backend.OrtCpu, tiny);
                _npyGl = GlBackendFactory.Create(tiny, new BackendOptions(), new GlBackendOptions { Context = _gl });
                _npyValid = NpyMutations.Valid(_npyOrt.Channels, _npyOrt.Height, _npyOrt.Width, new Random(0));
            }, out var error))
            throw new InvalidOperationException($"fuzz setup failed: {error}");
    }

    bool OnWorker(Action a, out string error)
    {
        string err = null;
        using var done = new ManualResetEventSlim();
        _jobs.Add(() => { try { a(); } catch (Exception e) { err = $"harness: {e.GetType().Name}: {e.Message}"; } finally { done.Set(); } });
        if (!done.Wait(CaseTimeout)) { error = $"no answer within {CaseTimeout.TotalSeconds:F0} s (hang)"; return false; }
        error = err;
        return err == null;
    }

    /// <summary>Runs <paramref name="cases"/> cases (or only case <paramref name="only"/>), stopping early after <paramref name="seconds"/> if &gt; 0.</summary>
    public FuzzReport Run(int seed, int cases, double seconds = 0, int only = -1)
    {
        var rep = new FuzzReport();
        var clock = Stopwatch.StartNew();
        for (int i = only >= 0 ? only : 0; i < (only >= 0 ? only + 1 : cases); i++)
        {
            if (seconds > 0 && clock.Elapsed.TotalSeconds > seconds) break;
            var r = new Random(unchecked(seed * 1000003 + i));
            bool npy = r.Next(5) == 0;
            var (seedName, bytes) = PickSeed(r.Next(_weights));
            var mt = npy ? NpyMutations.Mutate(_npyValid, r) : MutateModel(bytes, r);
            string id = $"case {i} (seed {seed}{(npy ? "" : ", model " + seedName)}): {Clip(mt.What, 160)}";
            rep.Cases++;
            if (npy) rep.NpyCases++; else rep.ModelCases++;
            var fr = new Random(r.Next());
            if (!OnWorker(() => { if (npy) NpyCase(rep, id, mt.Bytes); else ModelCase(rep, id, mt.Bytes, fr); }, out var error))
            {
                rep.Findings.Add($"{id}: {error}");
                if (error.Contains("hang")) { rep.Hung = true; break; }   // the worker is stuck: nothing more can run
            }
        }
        rep.Seconds = clock.Elapsed.TotalSeconds;
        return rep;
    }

    (string, byte[]) PickSeed(int w)
    {
        foreach (var (name, bytes, weight) in _seeds) { if (w < weight) return (name, bytes); w -= weight; }
        throw new InvalidOperationException("seed weights");
    }

    static Mutant MutateModel(byte[] seed, Random r) => r.Next(20) switch
    {
        < 3 => ByteMutations.Truncate(seed, r),
        < 7 => ByteMutations.FlipBytes(seed, r),
        < 9 => ByteMutations.WrongTag(seed, r),
        9 => ByteMutations.Splice(seed, r),
        10 => ByteMutations.NotOnnx(r),
        _ => ModelMutations.Mutate(seed, r),
    };

    /// <summary>Null when <paramref name="e"/> is a clean error of a documented type; else what is wrong with it.</summary>
    public static string Unclean(Exception e)
    {
        bool documented = e is InvalidDataException or NotSupportedException || e.GetType() == typeof(ArgumentException);
        if (!documented) return $"{e.GetType().Name}: {Clip(e.Message, 200)} at {Clip(e.StackTrace?.Split('\n').FirstOrDefault()?.Trim(), 160)}";
        if (e.Message.Length == 0 || e.Message.Contains('\n') || e.Message.Length > MaxMessage)
            return $"{e.GetType().Name} message is not one line of ≤ {MaxMessage} characters ({e.Message.Length}): {Clip(e.Message, 200)}";
        return null;
    }

    static string Clip(string s, int n) => s == null ? "" : s.Length <= n ? s : s[..n] + "…";

    static Exception Try(Action a)
    {
        try { a(); return null; }
        catch (Exception e) { return e; }
    }

    void CleanError(FuzzReport rep, string id, string stage, Exception e)
    {
        var bad = Unclean(e);
        if (bad != null) rep.Findings.Add($"{id}: {stage}: {bad}");
        else { rep.CleanErrors++; rep.Error(stage); }
    }

    void ModelCase(FuzzReport rep, string id, byte[] bytes, Random r)
    {
        OnnxModel m = null;
        var e = Try(() => m = OnnxModel.Parse(bytes, "fuzz.onnx"));
        if (e != null) { CleanError(rep, id, "parse", e); return; }
        var ev = Try(() => GraphValidator.Validate(m));
        if (ev != null)
        {
            var eo = Try(() => BackendFactory.Create(Backend.OrtCpu, m).Dispose());
            var eg = Try(() => GlNetworkBuilder.Build(m));
            if (eo?.Message != ev.Message || eg?.Message != ev.Message)
                rep.Findings.Add($"{id}: validator says \"{Clip(ev.Message, 120)}\" but ort-cpu says \"{Clip(eo?.Message, 120)}\", gl \"{Clip(eg?.Message, 120)}\"");
            CleanError(rep, id, "validate", ev);
            return;
        }
        IInferenceBackend ort = null, gl = null;
        try
        {
            var eo = Try(() => ort = BackendFactory.Create(Backend.OrtCpu, m));
            var eg = Try(() => gl = GlBackendFactory.Create(m, new BackendOptions(), new GlBackendOptions { Context = _gl }));
            if (ort == null && gl != null) { rep.Disagreements++; rep.Findings.Add($"{id}: gl builds what ort-cpu refuses: {Clip(eo.Message, 300)}"); return; }
            if (ort == null) { CleanError(rep, id, "ort-build", eo); if (Unclean(eg) is { } g) rep.Findings.Add($"{id}: gl-build: {g}"); return; }
            var x = new float[ort.Channels * ort.Height * ort.Width];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
            var lo = new float[ort.Classes];
            var ro = Try(() => ort.Run(x, 1, lo));
            if (gl == null)
            {
                if (Unclean(eg) is { } g) { rep.Findings.Add($"{id}: gl-build: {g}"); return; }
                rep.GlUnsupported++;
                if (ro != null) CleanError(rep, id, "ort-run", ro); else rep.Results++;
                return;
            }
            if ((gl.Channels, gl.Height, gl.Width, gl.Classes) != (ort.Channels, ort.Height, ort.Width, ort.Classes))
            {
                rep.Disagreements++;
                rep.Findings.Add($"{id}: shapes differ: ort-cpu {ort.Channels}x{ort.Height}x{ort.Width}→{ort.Classes}, gl {gl.Channels}x{gl.Height}x{gl.Width}→{gl.Classes}");
                return;
            }
            var lg = new float[gl.Classes];
            var rg = Try(() => gl.Run(x, 1, lg));
            if (ro != null || rg != null)
            {
                if (ro != null && rg != null) { CleanError(rep, id, "run", ro); return; }
                rep.Disagreements++;
                rep.Findings.Add($"{id}: only {(ro != null ? "ort-cpu" : "gl")} failed to run: {Clip((ro ?? rg).Message, 200)}");
                return;
            }
            Agree(rep, $"{id}: ort-cpu and gl disagree", lo, lg);
        }
        finally
        {
            ort?.Dispose();
            gl?.Dispose();
        }
    }

    /// <summary>Null when the logits agree (or both hold a non-finite value); else how they differ.</summary>
    public static string Compare(float[] a, float[] b, out double rel)
    {
        rel = 0;
        bool fa = Finite.FirstNonFinite(a) < 0, fb = Finite.FirstNonFinite(b) < 0;
        if (!fa || !fb) return fa == fb ? null : $"only {(fa ? "gl" : "ort-cpu")}'s logits are non-finite";
        double scale = 1, worst = 0; int at = 0, ta = 0, tb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[i]));
            if (Math.Abs(a[i] - b[i]) > worst) { worst = Math.Abs(a[i] - b[i]); at = i; }
            if (a[i] > a[ta]) ta = i;
            if (b[i] > b[tb]) tb = i;
        }
        rel = worst / scale;
        if (rel > Tolerance) return $"logit {at}: {a[at]:G6} vs {b[at]:G6} (|Δ| {rel:G3} of {scale:G3}; tolerance {Tolerance})";
        // Within tolerance, top-1 differs only on a near-tie: that is rounding, not a disagreement.
        if (ta != tb && a[ta] - a[tb] > 2 * Tolerance * scale) return $"top-1 {ta} vs {tb}";
        return null;
    }

    void NpyCase(FuzzReport rep, string id, byte[] bytes)
    {
        NpyArray a = null, b = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ea = Try(() => a = Npy.Read(new MemoryStream(bytes), "fuzz.npy"));
        long seekable = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        var eb = Try(() => b = Npy.Read(new NonSeekableStream(bytes), "fuzz.npy"));
        long streamed = GC.GetAllocatedBytesForCurrentThread() - before;
        // A read keeps the header, the raw bytes (≤ file size) and the floats (≤ file size): 3× the file plus slack.
        long bound = 3L * bytes.Length + (1 << 20);
        foreach (var (what, n) in new[] { ("seekable", seekable), ("non-seekable", streamed) })
            if (n > bound) rep.Findings.Add($"{id}: a {bytes.Length}-byte .npy made the {what} read allocate {n} bytes");
        // The two may word an error differently (a seekable stream knows its length up front); they must agree on the outcome.
        if ((ea == null) != (eb == null) || (ea == null && !a.Data.AsSpan().SequenceEqual(b.Data)))
            rep.Findings.Add($"{id}: seekable and non-seekable reads differ: \"{Clip(ea?.Message, 120)}\" vs \"{Clip(eb?.Message, 120)}\"");
        if (eb != null && Unclean(eb) is { } ub) rep.Findings.Add($"{id}: non-seekable npy: {ub}");
        if (ea != null)
        {
            if (!ea.Message.Contains("fuzz.npy")) rep.Findings.Add($"{id}: npy error does not name the file: {Clip(ea.Message, 200)}");
            CleanError(rep, id, "npy", ea);
            return;
        }
        if (a.Data.Length != _npyOrt.Channels * _npyOrt.Height * _npyOrt.Width) { rep.Results++; return; }
        var lo = new float[_npyOrt.Classes]; var lg = new float[_npyGl.Classes];
        var ro = Try(() => _npyOrt.Run(a.Data, 1, lo));
        var rg = Try(() => _npyGl.Run(a.Data, 1, lg));
        if (ro != null || rg != null)
        {
            if (ro?.Message != rg?.Message) { rep.Disagreements++; rep.Findings.Add($"{id}: npy input: ort-cpu \"{Clip(ro?.Message, 120)}\" vs gl \"{Clip(rg?.Message, 120)}\""); }
            else CleanError(rep, id, "npy-run", ro);
            return;
        }
        Agree(rep, $"{id}: npy input", lo, lg);
    }

    /// <summary>Counts a result of both backends as an agreement or a disagreement (a finding).</summary>
    static void Agree(FuzzReport rep, string what, float[] ort, float[] gl)
    {
        rep.Results++;
        var diff = Compare(ort, gl, out double rel);
        rep.MaxRelativeDiff = Math.Max(rep.MaxRelativeDiff, rel);
        if (diff == null) rep.Agreements++;
        else { rep.Disagreements++; rep.Findings.Add($"{what}: {diff}"); }
    }

    public void Dispose()
    {
        OnWorker(() => { _npyOrt?.Dispose(); _npyGl?.Dispose(); _gl?.Dispose(); }, out _);
        _jobs.CompleteAdding();
    }
}

/// <summary>A stream that cannot seek or say its length, as a pipe or /dev/stdin; reads at most 4 KB at a time.</summary>
internal sealed class NonSeekableStream(byte[] data) : Stream
{
    readonly MemoryStream _s = new(data);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _s.Read(buffer, offset, Math.Min(count, 4096));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
