/* Error paths of the C ABI: each line "ok <case>" or "FAIL <case>: status, last error"; exit 0 when all pass.
   argv[1]: a valid model. Also prints the C view of the struct layouts ("layout ...") for NativeAbiTests. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "resnet_realtime.h"

static int failures;
static void expect(const char* what, rr_status got, rr_status want)
{
    const char* e = rr_last_error();
    if (got == want && (want == RR_OK || e[0] != 0)) printf("ok %s: %d %s\n", what, got, want == RR_OK ? "" : e);
    else { printf("FAIL %s: got %d want %d (%s)\n", what, got, want, e); failures++; }
}

int main(int argc, char** argv)
{
    printf("layout rr_options %zu %zu %zu %zu\n", sizeof(rr_options), offsetof(rr_options, frame_budget_ms), offsetof(rr_options, get_proc_address),
           offsetof(rr_options, device_id));
    printf("layout rr_prediction %zu %zu\n", sizeof(rr_prediction), offsetof(rr_prediction, label));
    printf("layout rr_latency %zu %zu\n", sizeof(rr_latency), offsetof(rr_latency, submit_to_result_ms));
    printf("layout rr_result %zu %zu %zu %zu %zu\n", sizeof(rr_result), offsetof(rr_result, latency), offsetof(rr_result, cam), offsetof(rr_result, cam_texture), offsetof(rr_result, top));
    printf("layout rr_stats %zu %zu\n", sizeof(rr_stats), offsetof(rr_stats, backend));
    char buf[1024];
    if (rr_debug_layout(buf, sizeof buf) != RR_OK) { printf("FAIL rr_debug_layout: %s\n", rr_last_error()); return 1; }
    for (char* line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) printf("managed %s\n", line);

    const char* v; uint32_t abi;
    expect("version", rr_version(&v, &abi), RR_OK);
    if (abi != RR_ABI_VERSION) { printf("FAIL abi %u != header %d\n", abi, RR_ABI_VERSION); failures++; }
    expect("version both NULL", rr_version(NULL, NULL), RR_E_NULL_POINTER);

    rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_ORT_CPU;
    rr_classifier* c = (rr_classifier*)1;
    expect("bad path", rr_create_from_path("/nonexistent/model.onnx", &o, &c), RR_E_MODEL);
    if (c != NULL) { printf("FAIL bad path left out_classifier set\n"); failures++; }
    expect("NULL path", rr_create_from_path(NULL, &o, &c), RR_E_NULL_POINTER);
    expect("NULL options", rr_create_from_path(argv[1], NULL, &c), RR_E_NULL_POINTER);
    expect("NULL out", rr_create_from_path(argv[1], &o, NULL), RR_E_NULL_POINTER);
    expect("garbage bytes", rr_create_from_bytes("not a model at all", 18, &o, &c), RR_E_MODEL);
    rr_options newer = o; newer.struct_size = sizeof(rr_options) + 8;
    expect("newer struct_size", rr_create_from_path(argv[1], &newer, &c), RR_E_STRUCT_SIZE);
    rr_options badk = o; badk.top_k = RR_MAX_TOP_K + 1;
    expect("top_k too big", rr_create_from_path(argv[1], &badk, &c), RR_E_INVALID_ARGUMENT);
    rr_options badd = o; badd.device_id = -1;
    expect("negative device_id", rr_create_from_path(argv[1], &badd, &c), RR_E_INVALID_ARGUMENT);
    rr_options badb = o; badb.backend = 42;
    expect("unknown backend", rr_create_from_path(argv[1], &badb, &c), RR_E_INVALID_ARGUMENT);

    expect("create", rr_create_from_path(argv[1], &o, &c), RR_OK);
    static unsigned char px[64 * 48 * 4];
    expect("NULL pixels", rr_submit_pixels(c, NULL, sizeof px, 64, 48, 256, RR_PIXEL_RGBA32, 0), RR_E_NULL_POINTER);
    expect("buffer too small", rr_submit_pixels(c, px, 100, 64, 48, 256, RR_PIXEL_RGBA32, 0), RR_E_INVALID_ARGUMENT);
    expect("stride too small", rr_submit_pixels(c, px, sizeof px, 64, 48, 100, RR_PIXEL_RGBA32, 0), RR_E_INVALID_ARGUMENT);
    expect("zero width", rr_submit_pixels(c, px, sizeof px, 0, 48, 256, RR_PIXEL_RGBA32, 0), RR_E_INVALID_ARGUMENT);
    expect("bad format", rr_submit_pixels(c, px, sizeof px, 64, 48, 256, (rr_pixel_format)9, 0), RR_E_INVALID_ARGUMENT);
    expect("texture on cpu", rr_submit_texture(c, 5, 64, 48, 0, 0), RR_E_INVALID_ARGUMENT);
    rr_result r; int32_t has;
    r.struct_size = sizeof r + 16;
    expect("result newer struct_size", rr_poll(c, &r, &has), RR_E_STRUCT_SIZE);
    r.struct_size = sizeof r;
    expect("poll NULL has", rr_poll(c, &r, NULL), RR_E_NULL_POINTER);
    expect("good submit", rr_submit_pixels(c, px, sizeof px, 64, 48, 256, RR_PIXEL_RGBA32, 0), RR_OK);
    expect("NULL classifier", rr_update(NULL), RR_E_NULL_POINTER);
    expect("destroy", rr_destroy(c), RR_OK);
    expect("update after destroy", rr_update(c), RR_E_INVALID_HANDLE);
    expect("submit after destroy", rr_submit_pixels(c, px, sizeof px, 64, 48, 256, RR_PIXEL_RGBA32, 0), RR_E_INVALID_HANDLE);
    expect("poll after destroy", rr_poll(c, &r, &has), RR_E_INVALID_HANDLE);
    expect("destroy twice", rr_destroy(c), RR_E_INVALID_HANDLE);
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
