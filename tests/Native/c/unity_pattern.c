/* Unity's calling pattern without Unity: a "render thread" owns a GL context (headless EGL) and fires the library's
   render-event function every 2 ms, as GL.IssuePluginEvent does; the main thread creates the classifier, queues the
   render thread's texture and polls. Checks: results arrive with the queued frame ids; a direct rr_update from the
   main thread is refused with RR_E_WRONG_THREAD. Prints "ok ..." lines, exit 0 on success. argv[1]: model. */
#define _POSIX_C_SOURCE 199309L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <GL/gl.h>
#include "resnet_realtime.h"
#include "egl_context.h"

static void* gpa(const char* name) { return (void*)eglGetProcAddress(name); }
static atomic_uint texture;
static atomic_int event_id, stop, ready;
static rr_render_event_fn fire;

static void nap(long ns) { nanosleep(&(struct timespec){ 0, ns }, NULL); }

static void* render_thread(void* arg)
{
    (void)arg;
    if (!make_context()) { atomic_store(&ready, -1); return NULL; }
    static unsigned char px[96 * 64 * 4];
    for (int i = 0; i < (int)sizeof px; i++) px[i] = (unsigned char)(i * 5);
    GLuint tex;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 96, 64, 0, GL_RGBA, GL_UNSIGNED_BYTE, px);
    atomic_store(&texture, tex);
    atomic_store(&ready, 1);
    while (!atomic_load(&stop))
    {
        int id = atomic_load(&event_id);
        if (id) fire(id);
        nap(2000000);
    }
    int id = atomic_load(&event_id);
    fire(id | RR_UNITY_EVENT_DESTROY); /* destroyed on the render thread, as Unity would do it */
    return NULL;
}

int main(int argc, char** argv)
{
    if (rr_unity_render_event_func(&fire) != RR_OK || !fire) { printf("FAIL render event func: %s\n", rr_last_error()); return 1; }
    UnityPluginLoad(NULL);
    pthread_t rt;
    pthread_create(&rt, NULL, render_thread, NULL);
    for (int i = 0; i < 5000 && !atomic_load(&ready); i++) nap(1000000);
    if (atomic_load(&ready) != 1) { printf("FAIL render thread has no GL context\n"); return 1; }

    rr_options o; rr_options_init(&o);
    o.backend = RR_BACKEND_GL;
    o.get_proc_address = gpa;
    rr_classifier* c;
    if (rr_unity_create(argv[1], &o, &c) != RR_OK) { printf("FAIL create: %s\n", rr_last_error()); return 1; }
    rr_result r = { .struct_size = sizeof r };
    int32_t has = 0;
    rr_status s = rr_poll(c, &r, &has);
    printf("%s poll before the first render event: %d %s\n", s == RR_E_NOT_READY || s == RR_OK ? "ok" : "FAIL", s, rr_last_error());
    atomic_store(&event_id, (int)(intptr_t)c);

    int results = 0, failures = 0;
    int64_t last = -1;
    for (int frame = 1; frame <= 400 && results < 5; frame++)
    {
        if (rr_unity_queue_texture(c, atomic_load(&texture), 96, 64, 0, frame) != RR_OK) { printf("FAIL queue: %s\n", rr_last_error()); failures++; break; }
        s = rr_poll(c, &r, &has);
        if (s == RR_OK && has)
        {
            if (r.frame_id <= last || r.frame_id > frame || r.count < 1) { printf("FAIL frame id %lld after %lld (queued %d)\n", (long long)r.frame_id, (long long)last, frame); failures++; }
            last = r.frame_id;
            results++;
            printf("result frame %lld top1 %d %.6f %s\n", (long long)r.frame_id, r.top[0].class_index, r.top[0].probability, r.top[0].label ? r.top[0].label : "?");
        }
        else if (s != RR_OK && s != RR_E_NOT_READY) { printf("FAIL poll: %d %s\n", s, rr_last_error()); failures++; break; }
        nap(16000000);
    }
    if (results < 5) { printf("FAIL only %d results in 400 frames\n", results); failures++; }
    s = rr_update(c);
    if (s == RR_E_WRONG_THREAD) printf("ok rr_update from the main thread: %s\n", rr_last_error());
    else { printf("FAIL rr_update from the main thread gave %d\n", s); failures++; }
    atomic_store(&stop, 1);
    pthread_join(rt, NULL);
    s = rr_poll(c, &r, &has);
    if (s == RR_E_INVALID_HANDLE) printf("ok poll after the destroy event: %s\n", rr_last_error());
    else { printf("FAIL poll after destroy gave %d\n", s); failures++; }
    UnityPluginUnload();
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
