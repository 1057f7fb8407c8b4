#version 430
// Convolution as implicit GEMM:  out[n, co, oy, ox] = epilogue( sum_k W[co, k] * im2col[k, (n, oy, ox)] )
//   M = Cout/groups output channels of one group, P = N*OH*OW output pixels, K = Cin/groups*KH*KW.
//   W is [Cout][K4] with each row zero-padded to K4 = roundup(K, 4) so a row loads as whole vec4s;
//   BatchNorm is already folded into W and bias at load. Epilogue: + bias[co], + residual (same shape
//   as out) when hasResidual, ReLU when relu.
// Grid: x = ceil(P/TN) pixel tiles, y = ceil(M/TM) channel tiles, z = groups. 16x16 threads; each
// computes a 4x4 micro-tile, channels ty+16i and pixels tx+16j, so stores and shared reads are
// consecutive across tx (coalesced, bank-conflict free). Shared tiles: A = TK x TM weights (vec4 loads
// along K), B = TK x TN im2col gathered on the fly (consecutive threads read consecutive pixels).
// CONV_1X1 (kernel 1x1, pad 0, any stride) skips the k -> (ci, ky, kx) decode and the padding test.
// TN (pixels per tile, 64 or 16, set by the host): 16 for layers with few output pixels (late stages),
// so a 7x7 map does not leave 3/4 of every tile idle.
// SPLIT_K: late layers have few tiles (ResNet-50 layer4 at 224: P = 49, M = 512 -> 8 tiles) but long K,
// which would leave most of a GPU idle; the grid's z then also splits K into kSplit chunks of kChunk,
// each writing raw partial sums to part[s][co][p]; the REDUCE variant adds them up and applies the epilogue.
#include "common.glsl"

#define TM 64
#ifndef TN
#define TN 64
#endif
#define TK 16
#define JN (TN / 16)
#define BROWS (256 / TN)

layout(std140, binding = 0) uniform Params {
    int N, Cin, H, W;
    int Cout, OH, OW, groups;
    int KH, KW, strideH, strideW;
    int padT, padL, dilH, dilW;
    int K, K4, hasResidual, relu;
    int kSplit, kChunk, pad0, pad1;
};

layout(std430, binding = 0) readonly buffer InBuf { float inp[]; };
layout(std430, binding = 1) readonly buffer WBuf { vec4 wt[]; };
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };
layout(std430, binding = 3) readonly buffer ResBuf { float res[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };
layout(std430, binding = 5) buffer PartBuf { float part[]; };

#ifdef REDUCE
layout(local_size_x = 256) in;
void main() {
    int OHW = OH * OW;
    int P = N * OHW;
    int idx = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u);
    if (idx >= Cout * P) return;
    int co = idx / P, pp = idx - co * P;
    float v = bias[co];
    for (int s = 0; s < kSplit; s++) v += part[(s * Cout + co) * P + pp];
    int n = pp / OHW, r = pp - n * OHW;
    int o = (n * Cout + co) * OHW + r;
    if (hasResidual != 0) v += res[o];
    outp[o] = relu_if(v, relu);
}
#else
layout(local_size_x = 16, local_size_y = 16) in;

shared float As[TK][TM + 4];
shared float Bs[TK][TN];

void main() {
    int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    int t = ty * 16 + tx;
    int g = int(gl_WorkGroupID.z) / kSplit, split = int(gl_WorkGroupID.z) - g * kSplit;
    int kBegin = split * kChunk, kEnd = min(K, kBegin + kChunk);
    int Mg = Cout / groups, Cg = Cin / groups;
    int m0 = int(gl_WorkGroupID.y) * TM;
    int p0 = int(gl_WorkGroupID.x) * TN;
    int OHW = OH * OW, HW = H * W, KHW = KH * KW;
    int P = N * OHW;

    // This thread always gathers im2col column bcol, rows bk, bk+BROWS, ... of each K tile.
    int bcol = t % TN, bk = t / TN;
    int p = p0 + bcol;
    bool pvalid = p < P;
    int pn = p / OHW, prem = p - pn * OHW;
    int oy = prem / OW, ox = prem - oy * OW;
    int iy0 = oy * strideH - padT, ix0 = ox * strideW - padL;
    int inBase = (pn * Cin + g * Cg) * HW;

    // ... and weight row arow, vec4 number akq of each K tile.
    int arow = t / 4, akq = t % 4;
    bool avalid = m0 + arow < Mg;
    int wrow = (g * Mg + m0 + arow) * (K4 / 4);

    float acc[4][JN];
    for (int i = 0; i < 4; i++) for (int j = 0; j < JN; j++) acc[i][j] = 0.0;

    for (int k0 = kBegin; k0 < kEnd; k0 += TK) {
        int ka = k0 + akq * 4;
        vec4 a = (avalid && ka < K4) ? wt[wrow + ka / 4] : vec4(0.0);
        As[akq * 4 + 0][arow] = a.x;
        As[akq * 4 + 1][arow] = a.y;
        As[akq * 4 + 2][arow] = a.z;
        As[akq * 4 + 3][arow] = a.w;
        for (int j = 0; j < JN; j++) {
            int kl = bk + BROWS * j, k = k0 + kl;
            float v = 0.0;
            if (pvalid && k < kEnd) {
#ifdef CONV_1X1
                v = inp[inBase + k * HW + iy0 * W + ix0];
#else
                int ci = k / KHW, r = k - ci * KHW;
                int ky = r / KW, kx = r - ky * KW;
                int iy = iy0 + ky * dilH, ix = ix0 + kx * dilW;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = inp[inBase + ci * HW + iy * W + ix];
#endif
            }
            Bs[kl][bcol] = v;
        }
        barrier();
        for (int kk = 0; kk < TK; kk++) {
            float a4[4], b4[JN];
            for (int i = 0; i < 4; i++) a4[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < JN; j++) b4[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++) for (int j = 0; j < JN; j++) acc[i][j] = fma(a4[i], b4[j], acc[i][j]);
        }
        barrier();
    }

    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= Mg) continue;
        int co = g * Mg + m;
        float b = bias[co];
        for (int j = 0; j < JN; j++) {
            int pp = p0 + tx + 16 * j;
            if (pp >= P) continue;
            if (kSplit > 1) { part[(split * Cout + co) * P + pp] = acc[i][j]; continue; }
            int n = pp / OHW, r = pp - n * OHW;
            int idx = (n * Cout + co) * OHW + r;
            float v = acc[i][j] + b;
            if (hasResidual != 0) v += res[idx];
            outp[idx] = relu_if(v, relu);
        }
    }
}
#endif
