/* The library's preprocessor (rr_debug_preprocess) on two fixed frames: writes their model inputs (3x224x224 floats
   each, native byte order) to argv[2] for NativePreprocessTests to hold against the managed Preprocessor bit for bit,
   prints "simd <path>", then times the 640x480 frame argv[3] times: "p50_ms <median>". argv[1]: model (unused). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "resnet_realtime.h"

enum { N = 3 * 224 * 224, W0 = 640, H0 = 480, S0 = W0 * 4, W1 = 97, H1 = 61, S1 = W1 * 3 + 5 };

/* The same formula as NativePreprocessTests.Pixel. */
static unsigned char pixel(int x, int y, int ch, int frame) { return (unsigned char)((x * 7 + y * 13 + ch * 29 + (x * y) % 17 + frame * 101) & 255); }

static int cmp(const void* a, const void* b) { double d = *(const double*)a - *(const double*)b; return (d > 0) - (d < 0); }

int main(int argc, char** argv)
{
    if (argc < 4) { fprintf(stderr, "usage: preprocess MODEL OUT.bin ITERATIONS\n"); return 2; }
    int iters = atoi(argv[3]);
    static unsigned char f0[S0 * H0], f1[S1 * H1];
    static float out[2 * N];
    for (int y = 0; y < H0; y++) for (int x = 0; x < W0; x++) for (int c = 0; c < 4; c++) f0[y * S0 + x * 4 + c] = pixel(x, y, c, 0);
    for (int y = 0; y < H1; y++) for (int x = 0; x < W1; x++) for (int c = 0; c < 3; c++) f1[y * S1 + x * 3 + c] = pixel(x, y, c, 1);
    const char* simd = NULL;
    if (rr_debug_preprocess(f0, sizeof f0, W0, H0, S0, RR_PIXEL_BGRA32, 224, 224, out, N, &simd) != RR_OK ||
        rr_debug_preprocess(f1, sizeof f1, W1, H1, S1, RR_PIXEL_BGR24, 224, 224, out + N, N, NULL) != RR_OK)
    { fprintf(stderr, "rr_debug_preprocess: %s\n", rr_last_error()); return 1; }
    FILE* fo = fopen(argv[2], "wb");
    if (!fo || fwrite(out, sizeof(float), 2 * N, fo) != 2 * N || fclose(fo) != 0) { fprintf(stderr, "cannot write %s\n", argv[2]); return 1; }
    printf("simd %s\n", simd);
    if (iters < 1) return 0;
    double* t = malloc(sizeof(double) * iters);
    for (int i = -20; i < iters; i++)
    {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        rr_debug_preprocess(f0, sizeof f0, W0, H0, S0, RR_PIXEL_BGRA32, 224, 224, out, N, NULL);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (i >= 0) t[i] = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) * 1e-6;
    }
    qsort(t, iters, sizeof(double), cmp);
    printf("p50_ms %.4f\n", t[iters / 2]);
    free(t);
    return 0;
}
