// example: classify_one
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "resnet_realtime.h"

int main(int argc, char** argv)
{
    rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_ORT_CPU;
    rr_classifier* c;
    if (argc < 2 || rr_create_from_path(argv[1], &o, &c) != RR_OK) { fprintf(stderr, "%s\n", rr_last_error()); return 1; }
    static unsigned char px[64 * 64 * 3];
    rr_submit_pixels(c, px, sizeof px, 64, 64, 64 * 3, RR_PIXEL_RGB24, 1);
    rr_result r = { .struct_size = sizeof r };
    int32_t has = 0;
    for (int i = 0; i < 5000 && !has; i++) /* a host draws its frames meanwhile */
        if (rr_poll(c, &r, &has) == RR_OK && !has) nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    if (has) printf("%s %.3f\n", r.top[0].label, r.top[0].probability);
    return has && rr_destroy(c) == RR_OK ? 0 : 1;
}
