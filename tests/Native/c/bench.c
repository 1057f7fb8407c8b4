/* The 60 Hz host harness from C: 600 frames of 640x480 RGBA on ort-cpu, one submit/update/poll per 16.67 ms tick.
   Prints one line: "c: submit->result p50 .. p99 .., stall p99 .., dropped N, allocated B" where stall is the time
   the loop spent inside the library per tick and allocated the managed bytes of frames 60..600 (all threads).
   Also "c: call ns" (rr_noop). argv[1]: model. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "resnet_realtime.h"

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return x < y ? -1 : x > y; }
static double pct(double* v, int n, double p) { qsort(v, n, sizeof *v, cmp); return n ? v[(int)(p * (n - 1))] : 0; }

int main(int argc, char** argv)
{
    double t0 = now_ms();
    for (int i = 0; i < 10000000; i++) rr_noop();
    printf("c: call %.1f ns\n", (now_ms() - t0) * 1e6 / 10000000);

    rr_options o; rr_options_init(&o);
    o.backend = RR_BACKEND_ORT_CPU;
    rr_classifier* c;
    t0 = now_ms();
    if (rr_create_from_path(argv[1], &o, &c) != RR_OK) { fprintf(stderr, "create: %s\n", rr_last_error()); return 1; }
    printf("c: first create %.1f ms\n", now_ms() - t0);
    enum { W = 640, H = 480, N = 600, WARM = 60 };
    static unsigned char px[W * H * 4];
    static double lat[N], stall[N];
    int nl = 0, ns = 0;
    int64_t a0 = 0, a1 = 0;
    rr_result r = { .struct_size = sizeof r };
    double next = now_ms();
    for (int f = 0; f < N; f++)
    {
        if (f == WARM) rr_allocated_bytes(NULL, &a0);
        px[(f * 4099) % sizeof px] ^= 0xff; /* a changing frame */
        double s0 = now_ms();
        int32_t has = 0;
        if (rr_submit_pixels(c, px, sizeof px, W, H, W * 4, RR_PIXEL_RGBA32, f) != RR_OK || rr_update(c) != RR_OK || rr_poll(c, &r, &has) != RR_OK)
        { fprintf(stderr, "frame %d: %s\n", f, rr_last_error()); return 1; }
        double s1 = now_ms();
        if (f >= WARM) { stall[ns++] = s1 - s0; if (has) lat[nl++] = r.latency.submit_to_result_ms; }
        next += 1000.0 / 60;
        double wait = next - now_ms();
        if (wait > 0) nanosleep(&(struct timespec){ 0, (long)(wait * 1e6) }, NULL);
    }
    rr_allocated_bytes(NULL, &a1);
    rr_stats st = { .struct_size = sizeof st };
    rr_get_stats(c, &st);
    printf("c: submit->result p50 %.2f p99 %.2f ms, stall p99 %.3f ms, results %d, dropped %lld of %lld, allocated %lld B\n",
           pct(lat, nl, 0.5), pct(lat, nl, 0.99), pct(stall, ns, 0.99), nl, (long long)st.dropped, (long long)st.submitted, (long long)(a1 - a0));
    return rr_destroy(c) == RR_OK ? 0 : 1;
}
