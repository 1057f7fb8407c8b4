// example: classify_texture
/* The gl backend on a texture of the program's own OpenGL context (headless EGL; any windowing layer works the
   same: make the context current, pass its getProcAddress). Prints the top-1 of a generated 128x96 texture.
   Build: gcc -std=c11 classify_texture.c -Iinclude libresnet_realtime.so -lEGL -lGL
   Run:   ./a.out models/scene-resnet.onnx */
#include <stdio.h>
#include <stdlib.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/gl.h>
#include "resnet_realtime.h"

static void* gpa(const char* name) { return (void*)eglGetProcAddress(name); }

static int make_context(void)
{
    PFNEGLGETPLATFORMDISPLAYEXTPROC getDisplay = (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    EGLDisplay d = getDisplay ? getDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL) : eglGetDisplay(EGL_DEFAULT_DISPLAY);
    if (d == EGL_NO_DISPLAY || !eglInitialize(d, NULL, NULL)) return 0;
    EGLint cfgAttr[] = { EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_NONE };
    EGLConfig cfg; EGLint n = 0;
    if (!eglChooseConfig(d, cfgAttr, &cfg, 1, &n) || n == 0) return 0;
    eglBindAPI(EGL_OPENGL_API);
    EGLint ctxAttr[] = { EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
                         EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE };
    EGLContext ctx = eglCreateContext(d, cfg, EGL_NO_CONTEXT, ctxAttr);
    return ctx != EGL_NO_CONTEXT && eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx);
}

int main(int argc, char** argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s model.onnx\n", argv[0]); return 2; }
    if (!make_context()) { fprintf(stderr, "no headless OpenGL 4.3 context (EGL error 0x%x)\n", eglGetError()); return 1; }

    enum { W = 128, H = 96 };
    static unsigned char px[W * H * 4];
    for (int i = 0; i < W * H * 4; i++) px[i] = (unsigned char)(i * 7);
    GLuint tex;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, W, H, 0, GL_RGBA, GL_UNSIGNED_BYTE, px);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);

    rr_options o;
    rr_options_init(&o);
    o.backend = RR_BACKEND_GL;
    o.get_proc_address = gpa;
    rr_classifier* c;
    if (rr_create_from_path(argv[1], &o, &c) != RR_OK) { fprintf(stderr, "create: %s\n", rr_last_error()); return 1; }
    if (rr_submit_texture(c, tex, W, H, 0, 1) != RR_OK) { fprintf(stderr, "submit: %s\n", rr_last_error()); return 1; }
    rr_result r = { .struct_size = sizeof r };
    int32_t has = 0;
    for (int frame = 0; frame < 1000 && !has; frame++) /* one rr_update per host frame */
        if (rr_update(c) != RR_OK || rr_poll(c, &r, &has) != RR_OK) { fprintf(stderr, "update: %s\n", rr_last_error()); return 1; }
    if (!has) { fprintf(stderr, "no result after 1000 updates\n"); return 1; }
    printf("frame %lld: %d %s %.4f (%d updates)\n", (long long)r.frame_id, r.top[0].class_index,
           r.top[0].label ? r.top[0].label : "?", r.top[0].probability, r.updates);
    return rr_destroy(c) == RR_OK ? 0 : 1;
}
