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
    // Blocks are the GlParams structs, each at a multiple of ParamStride (≥ the largest, ConvParams' 96 B), rounded up to
    // UNIFORM_BUFFER_OFFSET_ALIGNMENT at runtime. Every layer binds ConvParams' size: for the smaller blocks the range
    // just reaches past the block's end, which std140 allows.
    const int ParamStride = 256;
    /// <summary>Enough workgroups to fill a big GPU (132 SMs on an H100) a couple of times over.</summary>
    const int TargetWorkgroups = 256;

    readonly GL _gl;
    readonly GlNetwork _net;
    readonly int _maxBatch, _topK;
    readonly bool _check;
    readonly uint[] _tensorBuf;        // per tensor index
    readonly List<uint> _pool = new(); // all activation buffers, for disposal
    readonly uint[] _wBuf, _bBuf;      // per op (0 when the op has no weights)
    readonly int[] _k4;                // per op: padded K (conv) or In (fc)
    readonly int[] _tn, _kSplit;
    readonly bool[] _oneByOne;
    readonly uint _params, _partial, _probs, _topk;
    readonly uint _pConv, _pConv1x1, _pConv16, _pConv1x1_16, _pReduce, _pPool, _pGap, _pElt, _pFc, _pSoftmax, _pBiasImage;
    int _paramsBatch = -1;

    /// <summary>Bytes between parameter blocks (uniform-offset aligned); the backend's small-block buffer uses it too.</summary>
    public int ParamStrideBytes { get; }
    /// <summary>-1 = idle, else the index of the next op to encode.</summary>
    public int Cursor { get; private set; } = -1;
    public int Batch { get; private set; }
    public uint TensorBuffer(int tensor) => _tensorBuf[tensor];
    public uint WeightBuffer(int op) => _wBuf[op];
    /// <summary>Padded row length of op <paramref name="op"/>'s weights (K of a conv, In of an FC, a multiple of 4).</summary>
    public int PaddedK(int op) => _k4[op];
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
            // Weights: rows padded to a multiple of 4 with zeros so shaders load whole vec4s.
            int nOps = _net.Ops.Count;
            _wBuf = new uint[nOps]; _bBuf = new uint[nOps]; _k4 = new int[nOps];
            _tensorBuf = new uint[_net.Tensors.Count];
            for (int i = 0; i < nOps; i++)
            {
                var op = _net.Ops[i];
                if (op.Kind == GlOpKind.BiasImage) _wBuf[i] = GlObjects.Buffer<float>(_gl, op.Weights);   // the constant image, as is
                if (op.Kind is not (GlOpKind.Conv or GlOpKind.FullyConnected)) continue;
                int rows = _net.Tensors[op.Output].C * (op.Kind == GlOpKind.FullyConnected ? _net.Tensors[op.Output].H * _net.Tensors[op.Output].W : 1);
                int k = op.Weights.Length / rows;
                int k4 = (k + 3) & ~3;
                var padded = new float[rows * k4];
                for (int r = 0; r < rows; r++) Array.Copy(op.Weights, r * k, padded, r * k4, k);
                _k4[i] = k4;
                _wBuf[i] = GlObjects.Buffer<float>(_gl, padded);
                _bBuf[i] = GlObjects.Buffer<float>(_gl, op.Bias);
            }
            AllocateActivations(pinned);

            _tn = new int[nOps]; _kSplit = new int[nOps];
            long partialFloats = 0;
            for (int b = 1; b <= _maxBatch; b++)
                for (int i = 0; i < nOps; i++)
                    if (_net.Ops[i].Kind == GlOpKind.Conv)
                    {
                        var (_, ks, _) = ConvSchedule(i, b);
                        var o = _net.Tensors[_net.Ops[i].Output];
                        if (ks > 1) partialFloats = Math.Max(partialFloats, (long)ks * o.C * b * o.H * o.W);
                    }
            _partial = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, partialFloats * 4);
            _params = GlObjects.Buffer(_gl, GLEnum.UniformBuffer, nOps * ParamStrideBytes);
            int k5 = Math.Min(_topK, Classes);
            _probs = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, _maxBatch * Classes * 4);
            _topk = GlObjects.Buffer(_gl, GLEnum.ShaderStorageBuffer, Math.Max(1, _maxBatch * k5) * 8);

            // Compile (or load from the binary cache) every program now, not inside the first frame, and keep the
            // ids so the per-layer path does no lookups or allocations.
            _pConv = shaders.Get("conv.comp"); _pConv1x1 = shaders.Get("conv.comp", "CONV_1X1");
            _pConv16 = shaders.Get("conv.comp", "TN=16"); _pConv1x1_16 = shaders.Get("conv.comp", "CONV_1X1", "TN=16");
            _pReduce = shaders.Get("conv.comp", "REDUCE");
            _pPool = shaders.Get("pool.comp"); _pGap = shaders.Get("pool.comp", "GLOBAL_AVG");
            _pElt = shaders.Get("eltwise.comp"); _pFc = shaders.Get("fc.comp"); _pSoftmax = shaders.Get("softmax.comp");
            _pBiasImage = _net.Ops.Any(op => op.Kind == GlOpKind.BiasImage) ? shaders.Get("bias_image.comp") : 0;
            _oneByOne = _net.Ops.Select(op => op.Kind == GlOpKind.Conv && op.KH == 1 && op.KW == 1 && op.PadTop == 0 && op.PadLeft == 0
                && GlNetwork.ConvOutput(_net.Tensors[op.Inputs[0]].H, _net.Tensors[op.Inputs[0]].W, op, 0, 0) == (_net.Tensors[op.Output].H, _net.Tensors[op.Output].W)).ToArray();
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

    /// <summary>
    /// Tile width and K split of conv layer <paramref name="i"/> at batch <paramref name="batch"/>: 16-pixel tiles when the
    /// layer has under 512 output pixels; K split in chunks (multiples of 16, at least 256 long) while the grid has fewer
    /// than <see cref="TargetWorkgroups"/> tiles. Pure function of the shapes, so every run of a layer is the same.
    /// </summary>
    (int Tn, int KSplit, int KChunk) ConvSchedule(int i, int batch)
    {
        var op = _net.Ops[i];
        var a = _net.Tensors[op.Inputs[0]];
        var o = _net.Tensors[op.Output];
        long p = (long)batch * o.H * o.W;
        int tn = p < 512 ? 16 : 64;
        int k = a.C / op.Groups * op.KH * op.KW;
        long tiles = (p + tn - 1) / tn * ((o.C / op.Groups + 63) / 64) * op.Groups;
        int split = 1;
        if (tiles < TargetWorkgroups && k >= 512)
            split = (int)Math.Min(Math.Min((TargetWorkgroups + tiles - 1) / tiles, k / 256), 16);
        int chunk = ((k + split - 1) / split + 15) / 16 * 16;
        split = (k + chunk - 1) / chunk;
        return (tn, split, chunk);
    }

    /// <summary>Writes every layer's block (at i × stride in one uniform buffer) and the softmax block (slot 1 of
    /// <paramref name="smallBlocks"/>) when the batch changed: a batch fixes every shape, so the blocks are written once
    /// per batch size, not per frame.</summary>
    void WriteParams(int batch, uint smallBlocks)
    {
        if (batch == _paramsBatch) return;
        var block = new byte[ParamStrideBytes * _net.Ops.Count];
        for (int i = 0; i < _net.Ops.Count; i++)
        {
            var op = _net.Ops[i];
            var a = _net.Tensors[op.Inputs[0]];
            var o = _net.Tensors[op.Output];
            var at = block.AsSpan(i * ParamStrideBytes);
            switch (op.Kind)
            {
                case GlOpKind.Conv:
                    var (tn, ks, kc) = ConvSchedule(i, batch);
                    _tn[i] = tn; _kSplit[i] = ks;
                    MemoryMarshal.Write(at, ConvParams.For(op, a, o, batch, _k4[i], ks, kc));
                    break;
                case GlOpKind.MaxPool:
                case GlOpKind.GlobalAvgPool:
                    MemoryMarshal.Write(at, PoolParams.For(op, a, o, batch));
                    break;
                case GlOpKind.FullyConnected:
                    MemoryMarshal.Write(at, new FcParams { N = batch, In = a.Size, Out = o.Size, In4 = _k4[i], Relu = op.Relu ? 1 : 0 });
                    break;
                case GlOpKind.Add:
                case GlOpKind.Relu:
                    MemoryMarshal.Write(at, EltwiseParams.For(op, o, batch));
                    break;
                case GlOpKind.BiasImage:
                    MemoryMarshal.Write(at, BiasImageParams.For(op, o, batch));
                    break;
            }
        }
        _gl.BindBuffer(GLEnum.UniformBuffer, _params);
        _gl.BufferSubData<byte>(GLEnum.UniformBuffer, 0, block);
        var softmax = new SoftmaxParams { N = batch, Classes = Classes, K = Math.Min(_topK, Classes) };
        _gl.BindBuffer(GLEnum.UniformBuffer, smallBlocks);
        _gl.BufferSubData(GLEnum.UniformBuffer, ParamStrideBytes, (nuint)sizeof(SoftmaxParams), &softmax);
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

    void Bind(int binding, uint buffer) => _gl.BindBufferBase(GLEnum.ShaderStorageBuffer, (uint)binding, buffer);

    void Encode(int i)
    {
        var op = _net.Ops[i];
        var o = _net.Tensors[op.Output];
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, _params, i * ParamStrideBytes, (nuint)sizeof(ConvParams));
        Bind(0, _tensorBuf[op.Inputs[0]]);
        Bind(4, _tensorBuf[op.Output]);
        switch (op.Kind)
        {
            case GlOpKind.Conv:
            {
                int tn = _tn[i], ks = _kSplit[i];
                _gl.UseProgram(tn == 16 ? (_oneByOne[i] ? _pConv1x1_16 : _pConv16) : (_oneByOne[i] ? _pConv1x1 : _pConv));
                Bind(1, _wBuf[i]); Bind(2, _bBuf[i]);
                Bind(3, op.Residual >= 0 ? _tensorBuf[op.Residual] : _bBuf[i]);
                Bind(5, _partial);
                long p = (long)Batch * o.H * o.W;
                _gl.DispatchCompute((uint)((p + tn - 1) / tn), (uint)((o.C / op.Groups + 63) / 64), (uint)(op.Groups * ks));
                if (ks > 1)
                {
                    _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
                    _gl.UseProgram(_pReduce);
                    var g = Grid((o.C * p + 255) / 256);
                    _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                }
                break;
            }
            case GlOpKind.MaxPool:
            {
                _gl.UseProgram(_pPool);
                var g = Grid(((long)Batch * o.Size + 63) / 64);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
            case GlOpKind.GlobalAvgPool:
            {
                _gl.UseProgram(_pGap);
                var g = Grid((long)Batch * o.C);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
            case GlOpKind.FullyConnected:
                _gl.UseProgram(_pFc);
                Bind(1, _wBuf[i]); Bind(2, _bBuf[i]);
                _gl.DispatchCompute((uint)o.Size, (uint)Batch, 1);
                break;
            case GlOpKind.Add:
            case GlOpKind.Relu:
            {
                _gl.UseProgram(_pElt);
                Bind(3, op.Kind == GlOpKind.Add ? _tensorBuf[op.Inputs[1]] : _tensorBuf[op.Inputs[0]]);
                var g = Grid(((long)Batch * o.Size + 255) / 256);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
            case GlOpKind.BiasImage:
            {
                _gl.UseProgram(_pBiasImage);
                Bind(1, _wBuf[i]);
                var g = Grid(((long)Batch * o.Size + 255) / 256);
                _gl.DispatchCompute((uint)g.X, (uint)g.Y, 1);
                break;
            }
        }
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        if (_check) GlErrors.ThrowIfError(_gl, $"gl layer {i} ({op})"); // the message is built only in check mode
    }

    /// <summary>Softmax and top-k of the logits into <see cref="ProbabilityBuffer"/> and <see cref="TopKBuffer"/>.</summary>
    public void EncodeSoftmax(uint smallBlocks)
    {
        _gl.UseProgram(_pSoftmax);
        _gl.BindBufferRange(GLEnum.UniformBuffer, 0, smallBlocks, ParamStrideBytes, (nuint)sizeof(SoftmaxParams));
        Bind(0, _tensorBuf[_net.Output]); Bind(4, _probs); Bind(5, _topk);
        _gl.DispatchCompute((uint)Batch, 1, 1);
        _gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
    }

    static (int Groups, int X, int Y) Grid(long groups)
    {
        int x = (int)Math.Min(groups, 65535);
        return ((int)groups, x, (int)((groups + x - 1) / x));
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _pool) GlObjects.DeleteBuffer(_gl, b);
        _pool.Clear();
        if (_wBuf != null) foreach (var b in _wBuf) GlObjects.DeleteBuffer(_gl, b);
        if (_bBuf != null) foreach (var b in _bBuf) GlObjects.DeleteBuffer(_gl, b);
        foreach (var b in new[] { _partial, _params, _probs, _topk }) GlObjects.DeleteBuffer(_gl, b);
    }
}
