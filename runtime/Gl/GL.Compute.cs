namespace ResNetRealtime.Runtime.Gl;

public static partial class GLEnum
{
    public const uint MaxComputeWorkGroupCount = 0x91BE, MaxComputeWorkGroupSize = 0x91BF,
        MaxComputeWorkGroupInvocations = 0x90EB, MaxComputeSharedMemorySize = 0x8262,
        MaxShaderStorageBufferBindings = 0x90DD, MaxImageUnits = 0x8F38;
    // glMemoryBarrier bits
    public const uint ShaderStorageBarrierBit = 0x2000, ShaderImageAccessBarrierBit = 0x0020, TextureFetchBarrierBit = 0x0008,
        BufferUpdateBarrierBit = 0x0200, PixelBufferBarrierBit = 0x0080, TextureUpdateBarrierBit = 0x0100,
        UniformBarrierBit = 0x0004, CommandBarrierBit = 0x0040, ClientMappedBufferBarrierBit = 0x4000, AllBarrierBits = 0xFFFFFFFF;
    // glBindImageTexture access
    public const uint ReadOnly = 0x88B8, WriteOnly = 0x88B9, ReadWrite = 0x88BA;
}

/// <summary>Compute dispatch (GL 4.3): DispatchCompute, MemoryBarrier, image units, SSBO block bindings.</summary>
public sealed unsafe partial class GL
{
    delegate* unmanaged<uint, uint, uint, void> _dispatchCompute;
    delegate* unmanaged<nint, void> _dispatchComputeIndirect;
    delegate* unmanaged<uint, void> _memoryBarrier;
    delegate* unmanaged<uint, uint, int, byte, int, uint, uint, void> _bindImageTexture;
    delegate* unmanaged<uint, uint, uint, void> _shaderStorageBlockBinding;

    /// <summary>Whether the context exported the GL 4.3 compute entry points.</summary>
    public bool HasCompute => _dispatchCompute != null && _memoryBarrier != null;

    partial void LoadCompute()
    {
        _dispatchCompute = (delegate* unmanaged<uint, uint, uint, void>)TryProc("glDispatchCompute");
        _dispatchComputeIndirect = (delegate* unmanaged<nint, void>)TryProc("glDispatchComputeIndirect");
        _memoryBarrier = (delegate* unmanaged<uint, void>)TryProc("glMemoryBarrier");
        _bindImageTexture = (delegate* unmanaged<uint, uint, int, byte, int, uint, uint, void>)TryProc("glBindImageTexture");
        _shaderStorageBlockBinding = (delegate* unmanaged<uint, uint, uint, void>)TryProc("glShaderStorageBlockBinding");
    }

    public void DispatchCompute(uint groupsX, uint groupsY, uint groupsZ) { _dispatchCompute(groupsX, groupsY, groupsZ); Check("glDispatchCompute"); }
    public void DispatchComputeIndirect(nint offset) { _dispatchComputeIndirect(offset); Check("glDispatchComputeIndirect"); }
    public void MemoryBarrier(uint barriers) { _memoryBarrier(barriers); Check("glMemoryBarrier"); }
    public void BindImageTexture(uint unit, uint texture, int level, bool layered, int layer, uint access, uint format)
    { _bindImageTexture(unit, texture, level, layered ? (byte)1 : (byte)0, layer, access, format); Check("glBindImageTexture"); }
    public void ShaderStorageBlockBinding(uint program, uint blockIndex, uint binding) { _shaderStorageBlockBinding(program, blockIndex, binding); Check("glShaderStorageBlockBinding"); }
}
