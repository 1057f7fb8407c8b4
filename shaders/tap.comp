#version 430
// A tap tensor [C, H, W] of image 0 as a mosaic texture for the overlay (ActivationMosaic.cs is the CPU
// reference): channels 0..C-1 (C here = the channels shown) on a cols x rows grid of W x H tiles, each
// channel scaled to its own min..max (a flat channel is 0), tiles past C are 0.
// MINMAX pass: one 256-wide workgroup per channel reduces (min, max) into stats[2c], stats[2c+1].
// Default pass: one invocation per mosaic texel.
#include "common.glsl"

layout(std140, binding = 0) uniform Params { int C, H, W, cols; int rows, pad0, pad1, pad2; };

layout(std430, binding = 0) readonly buffer InBuf { float inp[]; };
layout(std430, binding = 6) buffer StatBuf { float stats[]; };

#ifdef MINMAX
layout(local_size_x = 256) in;
shared float smin[256];
shared float smax[256];
void main() {
    int c = int(gl_WorkGroupID.x);
    int lid = int(gl_LocalInvocationID.x);
    int hw = H * W;
    float lo = 3.402823e38, hi = -3.402823e38;
    for (int i = lid; i < hw; i += 256) { float v = inp[c * hw + i]; lo = min(lo, v); hi = max(hi, v); }
    smin[lid] = lo; smax[lid] = hi;
    barrier();
    for (int s = 128; s > 0; s >>= 1) {
        if (lid < s) { smin[lid] = min(smin[lid], smin[lid + s]); smax[lid] = max(smax[lid], smax[lid + s]); }
        barrier();
    }
    if (lid == 0) { stats[2 * c] = smin[0]; stats[2 * c + 1] = smax[0]; }
}
#else
layout(local_size_x = 16, local_size_y = 16) in;
layout(r32f, binding = 0) writeonly uniform image2D tapImage;
void main() {
    ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (q.x >= cols * W || q.y >= rows * H) return;
    int c = (q.y / H) * cols + q.x / W;
    float v = 0.0;
    if (c < C) {
        float lo = stats[2 * c], hi = stats[2 * c + 1];
        // The same float ops as the reference: (x - lo) * (1 / (hi - lo)).
        v = hi > lo ? (inp[(c * H + q.y % H) * W + q.x % W] - lo) * (1.0 / (hi - lo)) : 0.0;
    }
    imageStore(tapImage, q, vec4(v, 0.0, 0.0, 1.0));
}
#endif
