/* Native paths beyond the basics, one per mode (argv[2]); argv[1]: the model. Lines "ok <case>" / "FAIL <case>";
   exit 0 when all pass. NativePathTests reads the printed results.
   bytes:   the same frame through rr_create_from_path and rr_create_from_bytes: "path|bytes <class>:<p> ..."
   cam:     ort-cpu with options.cam: "cam <w> <h>" then the values ("%.9g" each) of one frame
   texture: gl on textures of the program's own EGL context: wrong formats and sizes are refused, a good one classifies
   noort:   the library copied without ONNX Runtime: ort-cpu gives RR_E_BACKEND and a readable error, twice */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <GL/gl.h>
#include "resnet_realtime.h"
#include "egl_context.h"

#ifndef GL_R8UI
#define GL_R8UI 0x8232
#define GL_RED_INTEGER 0x8D94
#endif

static int failures;
static void expect(const char* what, rr_status got, rr_status want)
{
    const char* e = rr_last_error();
    if (got == want && (want == RR_OK || e[0] != 0)) printf("ok %s: %d %s\n", what, got, want == RR_OK ? "" : e);
    else { printf("FAIL %s: got %d want %d (%s)\n", what, got, want, e); failures++; }
}

enum { W = 97, H = 61, STRIDE = W * 3 + 5 };
static unsigned char px[STRIDE * H];
static void frame(int f) /* tests/Native/c/parity.c's formula */
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int ch = 0; ch < 3; ch++) px[y * STRIDE + x * 3 + ch] = (unsigned char)((x * 3 + y * 5 + ch * 11 + f * 17) & 255);
}

/* Submits frame f and waits (10 s at most) for its result; rr_update is called too, so gl works the same. */
static int classify(rr_classifier* c, rr_result* r, int f)
{
    frame(f);
    if (rr_submit_pixels(c, px, sizeof px, W, H, STRIDE, RR_PIXEL_BGR24, f) != RR_OK) { printf("FAIL submit: %s\n", rr_last_error()); return 0; }
    int32_t has = 0;
    for (int wait = 0; wait < 10000 && !has; wait++)
    {
        if (rr_update(c) != RR_OK || rr_poll(c, r, &has) != RR_OK) { printf("FAIL poll: %s\n", rr_last_error()); return 0; }
        if (!has) nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
    if (!has) printf("FAIL frame %d: no result in 10 s\n", f);
    return has;
}

static void print_top(const char* tag, const rr_result* r)
{
    printf("%s", tag);
    for (int i = 0; i < r->count; i++) printf(" %d:%.9g", r->top[i].class_index, r->top[i].probability);
    printf("\n");
}

static int bytes_mode(const char* model)
{
    FILE* f = fopen(model, "rb");
    if (!f) { printf("FAIL cannot open %s\n", model); return 1; }
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    void* data = malloc((size_t)n);
    if (fread(data, 1, (size_t)n, f) != (size_t)n) { printf("FAIL cannot read %s\n", model); return 1; }
    fclose(f);
    rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_ORT_CPU; o.threads = 1;
    rr_classifier *a, *b;
    expect("create from path", rr_create_from_path(model, &o, &a), RR_OK);
    expect("create from bytes", rr_create_from_bytes(data, (size_t)n, &o, &b), RR_OK);
    memset(data, 0, (size_t)n); /* the library copied the bytes during create: the caller may reuse them */
    free(data);
    if (failures) return 1;
    rr_result r = { .struct_size = sizeof r };
    for (int i = 0; i < 2; i++)
    {
        if (!classify(a, &r, i)) return 1;
        print_top("path", &r);
        if (!classify(b, &r, i)) return 1;
        print_top("bytes", &r);
        if (r.count > 0 && r.top[0].label == NULL) { printf("FAIL bytes: no labels (rr.labels is in the model's metadata)\n"); failures++; }
    }
    expect("destroy path", rr_destroy(a), RR_OK);
    expect("destroy bytes", rr_destroy(b), RR_OK);
    return failures != 0;
}

static int cam_mode(const char* model)
{
    rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_ORT_CPU; o.threads = 1; o.cam = 1;
    rr_classifier* c;
    expect("create with cam", rr_create_from_path(model, &o, &c), RR_OK);
    if (failures) return 1;
    rr_result r = { .struct_size = sizeof r };
    if (!classify(c, &r, 3)) return 1;
    print_top("top", &r);
    if (r.cam == NULL || r.cam_width < 1 || r.cam_height < 1) { printf("FAIL cam missing: %p %dx%d\n", (const void*)r.cam, r.cam_width, r.cam_height); return 1; }
    printf("cam %d %d\n", r.cam_width, r.cam_height);
    for (int i = 0; i < r.cam_width * r.cam_height; i++) printf("%.9g%c", r.cam[i], (i + 1) % r.cam_width ? ' ' : '\n');
    expect("destroy", rr_destroy(c), RR_OK);
    return failures != 0;
}

static void* gpa(const char* name) { return (void*)eglGetProcAddress(name); }

static GLuint texture(GLint internal, GLenum format, GLenum type, int w, int h)
{
    static unsigned char data[128 * 96 * 4];
    for (int i = 0; i < (int)sizeof data; i++) data[i] = (unsigned char)(i * 7);
    GLuint t;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexImage2D(GL_TEXTURE_2D, 0, internal, w, h, 0, format, type, data);
    glBindTexture(GL_TEXTURE_2D, 0);
    return t;
}

static int texture_mode(const char* model)
{
    if (!make_context()) { printf("FAIL no headless OpenGL 4.3 context (EGL error 0x%x)\n", eglGetError()); return 1; }
    rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_GL; o.get_proc_address = gpa;
    rr_classifier* c;
    expect("create gl", rr_create_from_path(model, &o, &c), RR_OK);
    if (failures) return 1;
    GLuint integer = texture(GL_R8UI, GL_RED_INTEGER, GL_UNSIGNED_BYTE, 128, 96);
    GLuint depth = texture(GL_DEPTH_COMPONENT24, GL_DEPTH_COMPONENT, GL_UNSIGNED_INT, 128, 96);
    GLuint good = texture(GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 128, 96);
    GLuint cube; glGenTextures(1, &cube); glBindTexture(GL_TEXTURE_CUBE_MAP, cube); glBindTexture(GL_TEXTURE_CUBE_MAP, 0);
    expect("integer texture (R8UI)", rr_submit_texture(c, integer, 128, 96, 0, 1), RR_E_INVALID_ARGUMENT);
    expect("depth texture", rr_submit_texture(c, depth, 128, 96, 0, 2), RR_E_INVALID_ARGUMENT);
    expect("cube map, not 2D", rr_submit_texture(c, cube, 128, 96, 0, 3), RR_E_INVALID_ARGUMENT);
    expect("size differs from the texture's", rr_submit_texture(c, good, 64, 96, 0, 4), RR_E_INVALID_ARGUMENT);
    expect("not a texture name", rr_submit_texture(c, 777, 128, 96, 0, 5), RR_E_INVALID_ARGUMENT);
    expect("good RGBA8 texture after the refusals", rr_submit_texture(c, good, 128, 96, 0, 6), RR_OK);
    rr_result r = { .struct_size = sizeof r };
    int32_t has = 0;
    for (int i = 0; i < 1000 && !has; i++)
        if (rr_update(c) != RR_OK || rr_poll(c, &r, &has) != RR_OK) { printf("FAIL update: %s\n", rr_last_error()); return 1; }
    if (!has || r.frame_id != 6) { printf("FAIL good texture: has %d frame %lld\n", has, (long long)r.frame_id); failures++; }
    else print_top("texture", &r);
    expect("destroy", rr_destroy(c), RR_OK);
    return failures != 0;
}

static int noort_mode(const char* model)
{
    const char* v;
    expect("version without ONNX Runtime", rr_version(&v, NULL), RR_OK);
    rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_ORT_CPU;
    for (int i = 0; i < 2; i++)
    {
        rr_classifier* c = (rr_classifier*)1;
        expect(i == 0 ? "ort-cpu without libonnxruntime" : "again", rr_create_from_path(model, &o, &c), RR_E_BACKEND);
        if (c != NULL) { printf("FAIL out_classifier left set\n"); failures++; }
        if (!strstr(rr_last_error(), "onnxruntime")) { printf("FAIL last error does not name onnxruntime: %s\n", rr_last_error()); failures++; }
    }
    return failures != 0;
}

int main(int argc, char** argv)
{
    if (argc < 3) { fprintf(stderr, "usage: paths MODEL bytes|cam|texture|noort\n"); return 2; }
    const char* m = argv[2];
    int rc = !strcmp(m, "bytes") ? bytes_mode(argv[1]) : !strcmp(m, "cam") ? cam_mode(argv[1])
           : !strcmp(m, "texture") ? texture_mode(argv[1]) : !strcmp(m, "noort") ? noort_mode(argv[1]) : 2;
    printf("%s: %d failure(s)\n", m, failures);
    return rc;
}
