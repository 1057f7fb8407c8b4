/* CPU pixels on ort-cpu, one frame at a time (each waits for its result, so none is dropped): prints
   "frame <id> <class>:<probability %.9g> ..." for the top 5. NativeTests runs the managed API on the same frames
   (the same formula) and compares. argv[1]: model, argv[2]: frames. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "resnet_realtime.h"

enum { W = 97, H = 61, STRIDE = W * 3 + 5 }; /* odd sizes and a padded stride */

int main(int argc, char** argv)
{
    int frames = argc > 2 ? atoi(argv[2]) : 4;
    rr_options o; rr_options_init(&o);
    o.backend = RR_BACKEND_ORT_CPU;
    o.threads = 1;
    rr_classifier* c;
    if (rr_create_from_path(argv[1], &o, &c) != RR_OK) { fprintf(stderr, "create: %s\n", rr_last_error()); return 1; }
    static unsigned char px[STRIDE * H];
    rr_result r = { .struct_size = sizeof r };
    for (int f = 0; f < frames; f++)
    {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int ch = 0; ch < 3; ch++) px[y * STRIDE + x * 3 + ch] = (unsigned char)((x * 3 + y * 5 + ch * 11 + f * 17) & 255);
        if (rr_submit_pixels(c, px, sizeof px, W, H, STRIDE, RR_PIXEL_BGR24, f) != RR_OK) { fprintf(stderr, "submit: %s\n", rr_last_error()); return 1; }
        int32_t has = 0;
        for (int wait = 0; wait < 10000 && !has; wait++)
        {
            if (rr_poll(c, &r, &has) != RR_OK) { fprintf(stderr, "poll: %s\n", rr_last_error()); return 1; }
            if (!has) nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
        }
        if (!has) { fprintf(stderr, "frame %d: no result in 10 s\n", f); return 1; }
        printf("frame %lld", (long long)r.frame_id);
        for (int i = 0; i < r.count; i++) printf(" %d:%.9g", r.top[i].class_index, r.top[i].probability);
        printf("\n");
    }
    return rr_destroy(c) == RR_OK ? 0 : 1;
}
