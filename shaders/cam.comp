#version 430
// Class-activation map (Zhou et al. 2016) for image n = 0:  cam[y, x] = sum_c Wfc[cls, c] * F[c, y, x]
// over the last feature map F [C, h, w] (the input of global average pooling). cls is the given class,
// or the top-1 class the softmax shader wrote (cls < 0), so the overlay needs no CPU read-back.
// The map is min-max normalised to [0, 1] and written to an r32f image of size w x h, row 0 = top.
// One 256-wide workgroup: h*w is small (7x7 at 224 input) and the C-long dot products dominate.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std140, binding = 0) uniform Params { int C, h, w, In4; int cls, pad0, pad1, pad2; };

layout(std430, binding = 0) readonly buffer FeatBuf { float feat[]; };
layout(std430, binding = 1) readonly buffer WBuf { vec4 wt[]; };
layout(std430, binding = 5) readonly buffer TopBuf { vec2 topk[]; };
layout(std430, binding = 6) buffer CamBuf { float cam[]; };
layout(r32f, binding = 0) writeonly uniform image2D camImage;

shared float smin[256], smax[256];

void main() {
    int lid = int(gl_LocalInvocationID.x);
    int c0 = cls >= 0 ? cls : int(topk[0].x);
    int HW = h * w;
    float lo = 3.402823466e38, hi = -3.402823466e38;
    for (int p = lid; p < HW; p += 256) {
        float s = 0.0;
        for (int c = 0; c < C; c++) s += wt[c0 * (In4 / 4) + c / 4][c % 4] * feat[c * HW + p];
        cam[p] = s;
        lo = min(lo, s); hi = max(hi, s);
    }
    smin[lid] = lo; smax[lid] = hi;
    memoryBarrierBuffer();
    barrier();
    for (int s = 128; s > 0; s >>= 1) {
        if (lid < s) { smin[lid] = min(smin[lid], smin[lid + s]); smax[lid] = max(smax[lid], smax[lid + s]); }
        barrier();
    }
    float range = smax[0] - smin[0];
    float scale = range > 0.0 ? 1.0 / range : 0.0;
    for (int p = lid; p < HW; p += 256) {
        float v = (cam[p] - smin[0]) * scale;
        imageStore(camImage, ivec2(p % w, p / w), vec4(v, 0.0, 0.0, 1.0));
    }
}
