using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// Asynchronous readback of results: each finished inference's logits and top-k are copied on the GPU into the next of
/// a ring of slot buffers and a fence is set after the copy. <see cref="TryTake"/> polls the oldest fence with timeout 0,
/// so a frame loop never blocks. Slots are persistently mapped (GL_ARB_buffer_storage) where the driver allows, else
/// read with glGetBufferSubData. Slot layout: logits [maxBatch × classes] floats, then top-k (class, p) pairs.
/// </summary>
sealed unsafe class GlReadbackRing : IDisposable
{
    /// <summary>GL_TIMEOUT_IGNORED: wait for the fence however long it takes.</summary>
    public const ulong TimeoutIgnored = ulong.MaxValue;

    readonly GL _gl;
    readonly int _maxBatch, _classes, _k;
    readonly bool _check;
    readonly uint[] _slotBuf;
    readonly float*[] _slotPtr;
    readonly nint[] _slotFence;
    readonly int[] _slotBatch;
    int _head;

    /// <summary>Results copied and not yet taken.</summary>
    public int Count { get; private set; }
    /// <summary>Results overwritten because every slot was pending (the caller did not poll).</summary>
    public long Dropped { get; private set; }

    public GlReadbackRing(GL gl, int slots, int maxBatch, int classes, int k, bool checkErrors)
    {
        _gl = gl; _maxBatch = maxBatch; _classes = classes; _k = k; _check = checkErrors;
        bool hasBufferStorage = _gl.Context.TryGetProcAddress("glBufferStorage", out nint bs) && bs != 0;
        int slotFloats = maxBatch * classes + Math.Max(1, maxBatch * k) * 2;
        _slotBuf = new uint[slots]; _slotPtr = new float*[slots]; _slotFence = new nint[slots]; _slotBatch = new int[slots];
        for (int i = 0; i < slots; i++)
        {
            _slotBuf[i] = GlObjects.NewBufferName(_gl);
            _gl.BindBuffer(GLEnum.CopyWriteBuffer, _slotBuf[i]);
            if (hasBufferStorage)
            {
                // Persistent + coherent mapping: after the fence signals, the CPU reads the values in place.
                const uint flags = (uint)(GLEnum.MapReadBit | GLEnum.MapPersistentBit | GLEnum.MapCoherentBit);
                _gl.BufferStorage(GLEnum.CopyWriteBuffer, (nuint)(slotFloats * 4), null, flags);
                _slotPtr[i] = (float*)_gl.MapBufferRange(GLEnum.CopyWriteBuffer, 0, (nuint)(slotFloats * 4), flags);
            }
            else _gl.BufferData(GLEnum.CopyWriteBuffer, (nuint)(slotFloats * 4), null, GLEnum.StreamRead);
        }
    }

    /// <summary>Copies <paramref name="batch"/> images' logits and top-k into the next slot and fences it. When every slot is
    /// pending, waits for the oldest and drops it rather than grow.</summary>
    public void Put(uint logits, uint topk, int batch)
    {
        if (Count == _slotBuf.Length)
        {
            int old = _head;
            _gl.ClientWaitSync(_slotFence[old], SyncObjectMask.Bit, TimeoutIgnored);
            GlObjects.DeleteSync(_gl, _slotFence[old]); _slotFence[old] = 0;
            _head = (_head + 1) % _slotBuf.Length; Count--;
            Dropped++;
        }
        int s = (_head + Count) % _slotBuf.Length;
        _gl.BindBuffer(GLEnum.CopyReadBuffer, logits);
        _gl.BindBuffer(GLEnum.CopyWriteBuffer, _slotBuf[s]);
        _gl.CopyBufferSubData(GLEnum.CopyReadBuffer, GLEnum.CopyWriteBuffer, 0, 0, (nuint)(batch * _classes * 4));
        _gl.BindBuffer(GLEnum.CopyReadBuffer, topk);
        _gl.CopyBufferSubData(GLEnum.CopyReadBuffer, GLEnum.CopyWriteBuffer, 0, _maxBatch * _classes * 4, (nuint)(Math.Max(1, batch * _k) * 8));
        _gl.MemoryBarrier(MemoryBarrierMask.ClientMappedBufferBarrierBit);
        _slotFence[s] = GlObjects.Fence(_gl);
        _gl.Flush(); // the fence must reach the GPU, or a poll with timeout 0 could wait forever
        _slotBatch[s] = batch;
        Count++;
    }

    /// <summary>When the oldest result's fence has signalled (within <paramref name="timeoutNs"/>; 0 = poll), copies its
    /// logits into <paramref name="logits"/> and its top-k pairs into <paramref name="topk"/>, frees the slot, returns true.</summary>
    public bool TryTake(Span<float> logits, Span<float> topk, out int batch, ulong timeoutNs)
    {
        batch = 0;
        if (Count == 0) return false;
        int s = _head;
        var r = _gl.ClientWaitSync(_slotFence[s], timeoutNs == 0 ? 0 : (uint)SyncObjectMask.Bit, timeoutNs);
        if (r == GLEnum.TimeoutExpired) return false;
        if (r == GLEnum.WaitFailed) throw new GlException($"glClientWaitSync failed ({GlErrors.Name(_gl.GetError())})");
        batch = _slotBatch[s];
        int n = batch * _classes;
        if (logits.Length < n) throw new ArgumentException($"logits span has {logits.Length} floats, need {batch}x{_classes} = {n}");
        if (_slotPtr[s] != null)
        {
            new ReadOnlySpan<float>(_slotPtr[s], n).CopyTo(logits);
            new ReadOnlySpan<float>(_slotPtr[s] + _maxBatch * _classes, topk.Length).CopyTo(topk);
        }
        else
        {
            _gl.BindBuffer(GLEnum.CopyWriteBuffer, _slotBuf[s]);
            _gl.GetBufferSubData(GLEnum.CopyWriteBuffer, 0, logits[..n]);
            _gl.GetBufferSubData<float>(GLEnum.CopyWriteBuffer, _maxBatch * _classes * 4, topk);
        }
        GlObjects.DeleteSync(_gl, _slotFence[s]); _slotFence[s] = 0;
        _head = (_head + 1) % _slotBuf.Length;
        Count--;
        if (_check) GlErrors.ThrowIfError(_gl, "gl result readback");
        return true;
    }

    /// <summary>Waits for and discards every pending result (a synchronous run must not return an older one).</summary>
    public void Drain()
    {
        while (Count > 0)
        {
            int s = _head;
            _gl.ClientWaitSync(_slotFence[s], SyncObjectMask.Bit, TimeoutIgnored);
            GlObjects.DeleteSync(_gl, _slotFence[s]); _slotFence[s] = 0;
            _head = (_head + 1) % _slotBuf.Length; Count--;
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _slotBuf.Length; i++)
        {
            GlObjects.DeleteSync(_gl, _slotFence[i]); _slotFence[i] = 0;
            GlObjects.DeleteBuffer(_gl, _slotBuf[i]); _slotBuf[i] = 0;
        }
    }
}
