// example: classify_pixels
/* Classifies 20 synthetic RGBA frames on ONNX Runtime's CPU backend and prints the top-3 of the last one.
   Build: gcc -std=c11 classify_pixels.c -Iinclude libresnet_realtime.so -lEGL -lGL
   Run:   ./a.out models/scene-resnet.onnx */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "resnet_realtime.h"

int main(int argc, char** argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s model.onnx\n", argv[0]); return 2; }
    rr_options o;
    rr_options_init(&o);
    o.backend = RR_BACKEND_ORT_CPU;
    o.top_k = 3;
    rr_classifier* c;
    if (rr_create_from_path(argv[1], &o, &c) != RR_OK) { fprintf(stderr, "create: %s\n", rr_last_error()); return 1; }

    enum { W = 160, H = 120 };
    static unsigned char px[W * H * 4];
    rr_result r = { .struct_size = sizeof r };
    int got = 0;
    for (int f = 0; f < 20; f++)
    {
        for (int i = 0; i < W * H * 4; i++) px[i] = (unsigned char)(i * 7 + f * 13);
        if (rr_submit_pixels(c, px, sizeof px, W, H, W * 4, RR_PIXEL_RGBA32, f) != RR_OK) { fprintf(stderr, "submit: %s\n", rr_last_error()); return 1; }
        for (int wait = 0; wait < 2000; wait++) /* a host would draw its frame here instead of waiting */
        {
            int32_t has;
            if (rr_update(c) != RR_OK || rr_poll(c, &r, &has) != RR_OK) { fprintf(stderr, "poll: %s\n", rr_last_error()); return 1; }
            if (has) { got++; break; }
            nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
        }
    }
    if (got == 0) { fprintf(stderr, "no result in 20 frames\n"); return 1; }
    printf("frame %lld (%d results), submit->result %.2f ms\n", (long long)r.frame_id, got, r.latency.submit_to_result_ms);
    for (int i = 0; i < r.count; i++)
        printf("  %d %s %.4f\n", r.top[i].class_index, r.top[i].label ? r.top[i].label : "?", r.top[i].probability);
    return rr_destroy(c) == RR_OK ? 0 : 1;
}
