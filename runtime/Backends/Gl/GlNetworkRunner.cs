using System.Runtime.InteropServices;
using ResNetRealtime.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ResNetRealtime.Runtime.Backends.Gl;

/// <summary>
/// The network on the GPU and the dispatches that run it: weights (BatchNorm folded, rows vec4-padded), activation
/// buffers reused by liveness (input, output, taps and CAM features pinned), one std140 parameter block per layer,
/// and softmax + top-k. <see cref="EncodeNext"/> records layers from a cursor, so one inference can be spread over
/// frames; nothing here waits on the GPU. Owned by <see cref="GlBackend"/>; its context must be current.
/// </summary>
sealed unsafe class GlNetworkRunner : IDisposable
{
    // Blocks are the kernels' Params structs, each at a multiple of ParamStride (≥ the largest, ConvParams' 96 B), rounded up
    // to UNIFORM_BUFFER_OFFSET_ALIGNMENT at runtime. Every layer binds ConvParams' size: for the smaller blocks the range
    // just reaches past the block's end, which std140 allows.
    const int ParamStride = 256;

    readonly GL _gl;
    readonly GlNetwork _net;
    readonly int _maxBatch, _topK;
    readonly bool _check;
    readonly uint[] _tensorBuf;        // per tensor index
    readonly List<uint> _pool = new(); // all activation buffers, for disposal
    readonly GlLayer[] _layers;        // per op: what its kernel built
    readonly uint _params, _partial, _probs, _topk;
    readonly uint _pSoftmax;
    int _paramsBatch = -1;

    /// <summary>Bytes between parameter blocks (uniform-offset aligned); the backend's small-block buffer uses it too.</summary>
    public int ParamStrideBytes { get; }
    /// <summary>-1 = idle, else the index of the next op to encode.</summary>
    public int Cursor { get; private set; } = -1;
    public int Batch { get; private set; }
    public GL Gl => _gl;
    public uint TensorBuffer(int tensor) => _tensorBuf[tensor];
    public uint WeightBuffer(int op) => _layers[op].Weights;
    /// <summary>Padded row length of op <paramref name="op"/>'s weights (K of a conv, In of an FC, a multiple of 4).</summary>
    public int PaddedK(int op) => _layers[op].PaddedK;
    /// <summary>Scratch shared by the layers (split-K partial sums), sized for the largest need.</summary>
    public uint Scratch => _partial;
    public uint ProbabilityBuffer => _probs;
    /// <summary>(class, probability) pairs, top-k of each image.</summary>
    public uint TopKBuffer => _topk;

    public GlNetworkRunner(GL gl, GlShaders shaders, GlNetwork net, int maxBatch, int topK, IReadOnlyList<int> pinned, bool checkErrors)
    {
        _gl = gl; _net = net; _maxBatch = maxBatch; _topK = topK; _check = checkErrors;
        int align = Math.Max(16, _gl.GetInteger(GLEnum.UniformBufferOffsetAlignment));
        ParamStrideBytes = (ParamStride + align - 1) / align * align;

        try
        {
            // Each kernel uploads its layer's constants and compiles (or loads from the binary cache) its programs now,
            // not inside the first frame; the layer keeps the ids, so the per-layer path does no lookups or allocations.
            int nOps = _net.Ops.Count;
            _layers = new GlLayer[nOps];
            _tensorBuf = new uint[_net.Tensors.Count];
            for (int i = 0; i < nOps; i++) _layers[i] = _net.Ops[i].Kind.Build(_gl, shaders, _net, _net.Ops[i], _maxBatch);
            AllocateActivations(pinned);

            long partialFloats = _layers.Max(l => (long?)l.ScratchFloats) ?? 0;
            _partial = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, partialFloats * 4);
            _params = GlObjects.Buffer(_gl, GLEnum.UniformBuffer, nOps * ParamStrideBytes);
            int k5 = Math.Min(_topK, Classes);
            _probs = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, _maxBatch * Classes * 4);
            _topk = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, Math.Max(1, _maxBatch * k5) * 8);
            _pSoftmax = shaders.Get(GlSoftmax.Shader);
        }
        catch
        {
            Dispose(); // a failed setup frees what it made
            throw;
        }
    }

    int Classes => _net.Tensors[_net.Output].Size;

    /// <summary>
    /// One buffer per tensor, reused by liveness: a tensor's buffer returns to the pool after its last reader,
    /// and the next producer takes the smallest free buffer that fits. Input, output, taps and the CAM features
    /// are pinned (never reused), because they are read after the inference.
    /// </summary>
    void AllocateActivations(IReadOnlyList<int> tapIndex)
    {
        int nt = _net.Tensors.Count;
        var lastUse = new int[nt];
        Array.Fill(lastUse, -1);
        for (int i = 0; i < _net.Ops.Count; i++)
        {
            foreach (var t in _net.Ops[i].Inputs) lastUse[t] = i;
            if (_net.Ops[i].Residual >= 0) lastUse[_net.Ops[i].Residual] = i;
        }
        var pinned = new HashSet<int>(tapIndex) { _net.Input, _net.Output };
        if (_net.CamFeatures >= 0) pinned.Add(_net.CamFeatures);
        var buf = _tensorBuf;
        var free = new List<(uint Buf, long Bytes)>();
        var sizeOf = new Dictionary<uint, long>();
        uint Take(int t)
        {
            long bytes = (long)_maxBatch * _net.Tensors[t].Size * 4;
            if (!pinned.Contains(t))
            {
                int best = -1;
                for (int j = 0; j < free.Count; j++)
                    if (free[j].Bytes >= bytes && (best < 0 || free[j].Bytes < free[best].Bytes)) best = j;
                if (best >= 0) { var b = free[best].Buf; free.RemoveAt(best); return b; }
            }
            uint nb = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, bytes);
            _pool.Add(nb); sizeOf[nb] = bytes;
            return nb;
        }
        buf[_net.Input] = Take(_net.Input);
        for (int i = 0; i < _net.Ops.Count; i++)
        {
            var op = _net.Ops[i];
            buf[op.Output] = Take(op.Output);
            foreach (var t in op.Inputs.Append(op.Residual))
                if (t >= 0 && lastUse[t] == i && !pinned.Contains(t) && buf[t] != 0 && !free.Any(f => f.Buf == buf[t]))
                    free.Add((buf[t], sizeOf[buf[t]]));
        }
    }

    /// <summary>Writes every layer's block (at i × stride in one uniform buffer) and the softmax block (slot 1 of
    /// <paramref name="smallBlocks"/>) when the batch changed: a batch fixes every shape, so the blocks are written once
    /// per batch size, not per frame.</summary>
    void WriteParams(int batch, uint smallBlocks)
    {
        if (batch == _paramsBatch) return;
        var block = new byte[ParamStrideBytes * _net.Ops.Count];
        for (int i = 0; i < _net.Ops.Count; i++)
            _net.Ops[i].Kind.WriteParams(_layers[i], batch, block.AsSpan(i * ParamStrideBytes, ParamStrideBytes));
        _gl.BindBuffer(GLEnum.UniformBuffer, _params);
        _gl.BufferSubData<byte>(GLEnum.UniformBuffer, 0, block);
        GlSoftmax.WriteParams(_gl, smallBlocks, ParamStrideBytes, batch, Classes, Math.Min(_topK, Classes));
        _paramsBatch = batch;
    }

    /// <summary>Starts an inference of <paramref name="batch"/> images whose input buffer is (about to be) filled.</summary>
    public void Begin(int batch, uint smallBlocks)
    {
        CheckCanBegin(batch);
        Batch = batch;
        WriteParams(batch, smallBlocks);
    }

    /// <summary>Throws unless idle and <paramref name="batch"/> fits (before any GL call, so bad calls fail the same on any thread).</summary>
    public void CheckCanBegin(int batch)
    {
        if (Cursor >= 0) throw new InvalidOperationException($"gl backend: an inference is still being scheduled ({Cursor} of {_net.Ops.Count} layers encoded); call Step until it returns true");
        if (batch < 1 || batch > _maxBatch) throw new ArgumentOutOfRangeException(nameof(batch), $"batch must be in [1, {_maxBatch}] (got {batch})");
    }

    /// <summary>The input is in place: layers may be encoded from the first.</summary>
    public void Ready() => Cursor = 0;

    /// <summary>Encodes up to <paramref name="maxLayers"/> more layers; true when every layer is encoded (the cursor is then
    /// at the end until <see cref="End"/>).</summary>
    public bool EncodeNext(int maxLayers)
    {
        int end = (int)Math.Min(_net.Ops.Count, (long)Cursor + maxLayers);
        for (; Cursor < end; Cursor++) Encode(Cursor);
        return Cursor >= _net.Ops.Count;
    }

    /// <summary>The inference is fully submitted (head included): idle again.</summary>
    public void End() => Cursor = -1;

    public void Bind(int binding, uint buffer) => _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, (uint)binding, buffer);

    void Encode(int i)
    {
        var op = _net.Ops[i];
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _params, i * ParamStrideBytes, (nuint)sizeof(ConvParams));
        Bind(0, _tensorBuf[op.Inputs[0]]);
        Bind(4, _tensorBuf[op.Output]);
        op.Kind.Dispatch(this, _layers[i]);
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        if (_check) GlErrors.ThrowIfError(_gl, $"gl layer {i} ({op})"); // the message is built only in check mode
    }

    /// <summary>Softmax and top-k of the logits into <see cref="ProbabilityBuffer"/> and <see cref="TopKBuffer"/>.</summary>
    public void EncodeSoftmax(uint smallBlocks)
    {
        GlSoftmax.Encode(_gl, _pSoftmax, smallBlocks, ParamStrideBytes, _tensorBuf[_net.Output], _probs, _topk, Batch);
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _pool) GlObjects.DeleteBuffer(_gl, b);
        _pool.Clear();
        if (_layers != null)
            foreach (var l in _layers)
                if (l != null) { GlObjects.DeleteBuffer(_gl, l.Weights); GlObjects.DeleteBuffer(_gl, l.Bias); }
        foreach (var b in new[] { _partial, _params, _probs, _topk }) GlObjects.DeleteBuffer(_gl, b);
    }
}
