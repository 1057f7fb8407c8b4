/* The C test hosts' own GL: a headless OpenGL 4.3 core context (surfaceless Mesa EGL, llvmpipe without a GPU), made
   current on the calling thread. Returns 1 on success, 0 when EGL or GL 4.3 is missing. The examples in native/examples
   keep their own copy: each is a whole program a user compiles alone. */
#ifndef RR_TEST_EGL_CONTEXT_H
#define RR_TEST_EGL_CONTEXT_H
#include <EGL/egl.h>
#include <EGL/eglext.h>

static int make_context(void)
{
    PFNEGLGETPLATFORMDISPLAYEXTPROC getDisplay = (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    EGLDisplay d = getDisplay ? getDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL) : eglGetDisplay(EGL_DEFAULT_DISPLAY);
    if (d == EGL_NO_DISPLAY || !eglInitialize(d, NULL, NULL)) return 0;
    EGLint cfgAttr[] = { EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_NONE };
    EGLConfig cfg; EGLint n = 0;
    if (!eglChooseConfig(d, cfgAttr, &cfg, 1, &n) || n == 0 || !eglBindAPI(EGL_OPENGL_API)) return 0;
    EGLint ctxAttr[] = { EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
                         EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE };
    EGLContext ctx = eglCreateContext(d, cfg, EGL_NO_CONTEXT, ctxAttr);
    return ctx != EGL_NO_CONTEXT && eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx);
}

#endif
