#version 430
// Softmax over each row of logits [N, Classes] and its top-k. One 256-wide workgroup per row.
// probs[n, c] = exp(l - max) / sum exp(l - max). topk[n, j] = vec2(class index, probability), ordered
// by probability descending, ties by lower index (as a stable sort would): k rounds of an argmax
// reduction over the classes not yet taken ("smaller than the last pick in (prob desc, index asc) order").
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std140, binding = 0) uniform Params { int N, Classes, K, pad0; };

layout(std430, binding = 0) readonly buffer InBuf { float logits[]; };
layout(std430, binding = 4) buffer ProbBuf { float probs[]; };
layout(std430, binding = 5) writeonly buffer TopBuf { vec2 topk[]; };

shared float sv[256];
shared int si[256];

void main() {
    int n = int(gl_WorkGroupID.x);
    if (n >= N) return;
    int lid = int(gl_LocalInvocationID.x);
    int base = n * Classes;

    float m = -3.402823466e38;
    for (int c = lid; c < Classes; c += 256) m = max(m, logits[base + c]);
    sv[lid] = m;
    barrier();
    for (int s = 128; s > 0; s >>= 1) { if (lid < s) sv[lid] = max(sv[lid], sv[lid + s]); barrier(); }
    m = sv[0];
    barrier();
    float sum = 0.0;
    for (int c = lid; c < Classes; c += 256) sum += exp(logits[base + c] - m);
    sv[lid] = sum;
    barrier();
    for (int s = 128; s > 0; s >>= 1) { if (lid < s) sv[lid] += sv[lid + s]; barrier(); }
    float inv = 1.0 / sv[0];
    barrier();
    for (int c = lid; c < Classes; c += 256) probs[base + c] = exp(logits[base + c] - m) * inv;
    memoryBarrierBuffer();
    barrier();

    float lastV = 3.402823466e38;
    int lastI = -1;
    for (int j = 0; j < K; j++) {
        float bv = -1.0; int bi = 0x7fffffff;
        for (int c = lid; c < Classes; c += 256) {
            float v = probs[base + c];
            bool after = v < lastV || (v == lastV && c > lastI);   // not yet taken
            if (after && (v > bv || (v == bv && c < bi))) { bv = v; bi = c; }
        }
        sv[lid] = bv; si[lid] = bi;
        barrier();
        for (int s = 128; s > 0; s >>= 1) {
            if (lid < s) {
                float ov = sv[lid + s]; int oi = si[lid + s];
                if (ov > sv[lid] || (ov == sv[lid] && oi < si[lid])) { sv[lid] = ov; si[lid] = oi; }
            }
            barrier();
        }
        lastV = sv[0]; lastI = si[0];
        if (lid == 0) topk[n * K + j] = vec2(float(lastI), lastV);
        barrier();
    }
}
