#version 430
// Pooling. Default: max pool, one invocation per output element of [N, C, OH, OW]; padded taps are
// skipped (ONNX MaxPool pads with -inf). GLOBAL_AVG: global average pool, one 64-wide workgroup per
// (n, c) plane reducing H*W values through shared memory; output [N, C] (= [N, C, 1, 1]).
#include "common.glsl"

layout(std140, binding = 0) uniform Params {
    int N, C, H, W;
    int OH, OW, KH, KW;
    int strideH, strideW, padT, padL;
};

layout(std430, binding = 0) readonly buffer InBuf { float inp[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

#ifdef GLOBAL_AVG
layout(local_size_x = 64) in;
shared float partial[64];
void main() {
    int plane = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);
    if (plane >= N * C) return;             // whole group leaves together: no barrier divergence
    int lid = int(gl_LocalInvocationID.x);
    int HW = H * W, base = plane * HW;
    float s = 0.0;
    for (int i = lid; i < HW; i += 64) s += inp[base + i];
    partial[lid] = s;
    barrier();
    for (int step = 32; step > 0; step >>= 1) {
        if (lid < step) partial[lid] += partial[lid + step];
        barrier();
    }
    if (lid == 0) outp[plane] = partial[0] / float(HW);
}
#else
layout(local_size_x = 64) in;
void main() {
    int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u);
    int total = N * C * OH * OW;
    if (idx >= total) return;
    int ox = idx % OW, t = idx / OW;
    int oy = t % OH, plane = t / OH;
    int base = plane * H * W;
    float m = -3.402823466e38;
    for (int ky = 0; ky < KH; ky++) {
        int iy = oy * strideH - padT + ky;
        if (iy < 0 || iy >= H) continue;
        for (int kx = 0; kx < KW; kx++) {
            int ix = ox * strideW - padL + kx;
            if (ix < 0 || ix >= W) continue;
            m = max(m, inp[base + iy * W + ix]);
        }
    }
    outp[idx] = m;
}
#endif
