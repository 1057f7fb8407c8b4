/* The 60 Hz host harness from C, the loop of `rr bench-host --backend ort-cpu` (cli/Verbs/BenchHostVerb.cs) over the
   C ABI: 640x480 BGRA pixels, 2 ONNX Runtime threads, CAM on; 3 warm-up results, then argv[2] frames (default 600),
   each Submit -> Update -> Poll on a fixed 60 Hz tick. Prints "c: call .. ns" (rr_noop), "c: first create .. ms" and
   one line of submit->result p50/p99 of the results that arrived, the loop's stall (Submit+Update) p50/p99, drops,
   managed bytes per frame on the loop's thread, and the library's preprocess p50. argv[1]: model. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "resnet_realtime.h"

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return x < y ? -1 : x > y; }
static double pct(double* v, int n, double p) { qsort(v, n, sizeof *v, cmp); return n ? v[(int)(p * (n - 1))] : 0; }

enum { W = 640, H = 480, MAXN = 100000 };
static unsigned char px[W * H * 4];
static double lat[MAXN], stall[MAXN], pre[MAXN];

int main(int argc, char** argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 600;
    if (n < 1 || n > MAXN) { fprintf(stderr, "frames must be 1..%d\n", MAXN); return 2; }
    double t0 = now_ms();
    for (int i = 0; i < 10000000; i++) rr_noop();
    printf("c: call %.1f ns\n", (now_ms() - t0) * 1e6 / 10000000);

    rr_options o; rr_options_init(&o);
    o.backend = RR_BACKEND_ORT_CPU; o.threads = 2; o.cam = 1;
    rr_classifier* c;
    t0 = now_ms();
    if (rr_create_from_path(argv[1], &o, &c) != RR_OK) { fprintf(stderr, "create: %s\n", rr_last_error()); return 1; }
    printf("c: first create %.1f ms\n", now_ms() - t0);
    unsigned s = 1;
    for (int i = 0; i < W * H * 4; i++) { s = s * 1103515245u + 12345u; px[i] = (unsigned char)(s >> 16); }   /* stands in for the host's frame */
    rr_result r = { .struct_size = sizeof r };
    int32_t has = 0;
    for (int w = 0; w < 3; w++)   /* warm-up outside the measurement, as bench-host */
    {
        if (rr_submit_pixels(c, px, sizeof px, W, H, W * 4, RR_PIXEL_BGRA32, -1) != RR_OK) { fprintf(stderr, "warm-up: %s\n", rr_last_error()); return 1; }
        double limit = now_ms() + 120000;
        for (has = 0; !has; nanosleep(&(struct timespec){ 0, 1000000 }, NULL))
        {
            if (rr_update(c) != RR_OK || rr_poll(c, &r, &has) != RR_OK) { fprintf(stderr, "warm-up: %s\n", rr_last_error()); return 1; }
            if (!has && now_ms() > limit) { fprintf(stderr, "no warm-up result within 120 s\n"); return 1; }
        }
    }
    rr_stats st0 = { .struct_size = sizeof st0 }, st1 = { .struct_size = sizeof st1 };
    rr_get_stats(c, &st0);
    int nl = 0;
    int64_t a0, a1;
    rr_allocated_bytes(&a0, NULL);
    double start = now_ms();
    for (int f = 0; f < n; f++)
    {
        double s0 = now_ms();
        if (rr_submit_pixels(c, px, sizeof px, W, H, W * 4, RR_PIXEL_BGRA32, f) != RR_OK || rr_update(c) != RR_OK)
        { fprintf(stderr, "frame %d: %s\n", f, rr_last_error()); return 1; }
        stall[f] = now_ms() - s0;
        if (rr_poll(c, &r, &has) != RR_OK) { fprintf(stderr, "frame %d: %s\n", f, rr_last_error()); return 1; }
        if (has && r.frame_id >= 0) { pre[nl] = r.latency.preprocess_ms; lat[nl++] = r.latency.submit_to_result_ms; }
        double next = start + (f + 1) * 1000.0 / 60;
        for (double left; (left = next - now_ms()) > 0;)
            if (left > 2) nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
    double secs = (now_ms() - start) / 1e3;
    rr_allocated_bytes(&a1, NULL);
    rr_get_stats(c, &st1);
    printf("c: %d frames in %.2f s, %d results; submit->result p50 %.2f ms, p99 %.2f ms; stall (Submit+Update) p50 %.3f ms, p99 %.3f ms; "
           "dropped %lld of %lld; %.1f bytes/frame; preprocess p50 %.3f ms\n",
           n, secs, nl, pct(lat, nl, 0.5), pct(lat, nl, 0.99), pct(stall, n, 0.5), pct(stall, n, 0.99),
           (long long)(st1.dropped - st0.dropped), (long long)(st1.submitted - st0.submitted), (double)(a1 - a0) / n, pct(pre, nl, 0.5));
    if (nl == 0) { fprintf(stderr, "no result arrived in %d frames\n", n); return 1; }
    return rr_destroy(c) == RR_OK ? 0 : 1;
}
