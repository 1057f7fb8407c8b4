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
#include "common.glsl"

#define TM 64
#define TN 64
#define TK 16

layout(local_size_x = 16, local_size_y = 16) in;

layout(std140, binding = 0) uniform Params {
    int N, Cin, H, W;
    int Cout, OH, OW, groups;
    int KH, KW, strideH, strideW;
    int padT, padL, dilH, dilW;
    int K, K4, hasResidual, relu;
};

layout(std430, binding = 0) readonly buffer InBuf { float inp[]; };
layout(std430, binding = 1) readonly buffer WBuf { vec4 wt[]; };
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };
layout(std430, binding = 3) readonly buffer ResBuf { float res[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

shared float As[TK][TM + 4];
shared float Bs[TK][TN];

void main() {
    int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    int t = ty * 16 + tx;
    int g = int(gl_WorkGroupID.z);
    int Mg = Cout / groups, Cg = Cin / groups;
    int m0 = int(gl_WorkGroupID.y) * TM;
    int p0 = int(gl_WorkGroupID.x) * TN;
    int OHW = OH * OW, HW = H * W, KHW = KH * KW;
    int P = N * OHW;

    // This thread always gathers im2col column bcol, rows bk, bk+4, bk+8, bk+12 of each K tile.
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

    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0.0;

    for (int k0 = 0; k0 < K; k0 += TK) {
        int ka = k0 + akq * 4;
        vec4 a = (avalid && ka < K4) ? wt[wrow + ka / 4] : vec4(0.0);
        As[akq * 4 + 0][arow] = a.x;
        As[akq * 4 + 1][arow] = a.y;
        As[akq * 4 + 2][arow] = a.z;
        As[akq * 4 + 3][arow] = a.w;
        for (int j = 0; j < 4; j++) {
            int kl = bk + 4 * j, k = k0 + kl;
            float v = 0.0;
            if (pvalid && k < K) {
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
            float a4[4], b4[4];
            for (int i = 0; i < 4; i++) a4[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) b4[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = fma(a4[i], b4[j], acc[i][j]);
        }
        barrier();
    }

    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= Mg) continue;
        int co = g * Mg + m;
        float b = bias[co];
        for (int j = 0; j < 4; j++) {
            int pp = p0 + tx + 16 * j;
            if (pp >= P) continue;
            int n = pp / OHW, r = pp - n * OHW;
            int idx = (n * Cout + co) * OHW + r;
            float v = acc[i][j] + b;
            if (hasResidual != 0) v += res[idx];
            outp[idx] = relu_if(v, relu);
        }
    }
}
