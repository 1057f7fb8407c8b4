#version 430
// Fully connected: out[n, o] = bias[o] + sum_i W[o, i] * x[n, i]  (Gemm with transB=1, or MatMul+Add).
// W is [Out][In4] with rows zero-padded to a multiple of 4 (vec4 loads). One 64-wide workgroup per
// (o, n): the threads stride over i (coalesced), then reduce through shared memory.
#include "common.glsl"

layout(local_size_x = 64) in;

layout(std140, binding = 0) uniform Params { int N, In, Out, In4; int relu, pad0, pad1, pad2; };

layout(std430, binding = 0) readonly buffer InBuf { float x[]; };
layout(std430, binding = 1) readonly buffer WBuf { vec4 wt[]; };
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

shared float partial[64];

void main() {
    int o = int(gl_WorkGroupID.x), n = int(gl_WorkGroupID.y);
    if (o >= Out || n >= N) return;
    int lid = int(gl_LocalInvocationID.x);
    int xb = n * In, wb = o * (In4 / 4);
    float s = 0.0;
    for (int q = lid; q < In4 / 4; q += 64) {
        vec4 w = wt[wb + q];
        int i = q * 4;
        // Rows of W are zero-padded but x is not: guard the tail so we never read the next image.
        s += w.x * x[xb + i];
        if (i + 1 < In) s += w.y * x[xb + i + 1];
        if (i + 2 < In) s += w.z * x[xb + i + 2];
        if (i + 3 < In) s += w.w * x[xb + i + 3];
    }
    partial[lid] = s;
    barrier();
    for (int step = 32; step > 0; step >>= 1) {
        if (lid < step) partial[lid] += partial[lid + step];
        barrier();
    }
    if (lid == 0) outp[n * Out + o] = relu_if(partial[0] + bias[o], relu);
}
