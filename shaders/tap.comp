#version 430
// A tap tensor [C, H, W] of image 0 as a mosaic texture for the overlay: channel c goes to tile
// (c % cols, c / cols) of size W x H; values are divided by the tensor's max |v| (so post-ReLU maps
// land in [0, 1]); tiles past C are 0. MAXABS pass: one 256-wide workgroup reduces max |v| into
// stats[0]. Default pass: one invocation per mosaic texel.
#include "common.glsl"

layout(std140, binding = 0) uniform Params { int C, H, W, cols; int rows, pad0, pad1, pad2; };

layout(std430, binding = 0) readonly buffer InBuf { float inp[]; };
layout(std430, binding = 6) buffer StatBuf { float stats[]; };

#ifdef MAXABS
layout(local_size_x = 256) in;
shared float sm[256];
void main() {
    int lid = int(gl_LocalInvocationID.x);
    float m = 0.0;
    for (int i = lid; i < C * H * W; i += 256) m = max(m, abs(inp[i]));
    sm[lid] = m;
    barrier();
    for (int s = 128; s > 0; s >>= 1) { if (lid < s) sm[lid] = max(sm[lid], sm[lid + s]); barrier(); }
    if (lid == 0) stats[0] = sm[0];
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
        float m = stats[0];
        v = m > 0.0 ? inp[(c * H + q.y % H) * W + q.x % W] / m : 0.0;
    }
    imageStore(tapImage, q, vec4(v, 0.0, 0.0, 1.0));
}
#endif
