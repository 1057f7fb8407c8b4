/* resnet_realtime.h — the C ABI of ResNetRealtime's native library (libresnet_realtime.so / resnet_realtime.dll /
 * libresnet_realtime.dylib): real-time ResNet image classification for hosts written in C, C++, Unreal, Godot
 * (GDExtension) or Unity (DllImport). C11; no other header needed.
 *
 * Model of use (one classifier per model, made once, fed once per host frame):
 *     rr_options o; rr_options_init(&o); o.backend = RR_BACKEND_ORT_CPU;
 *     rr_classifier* c; if (rr_create_from_path("model.onnx", &o, &c) != RR_OK) puts(rr_last_error());
 *     rr_result r = { .struct_size = sizeof r }; int has;
 *     each frame: rr_submit_pixels(c, px, size, w, h, stride, RR_PIXEL_RGBA32, frame_id); rr_update(c);
 *                 if (rr_poll(c, &r, &has) == RR_OK && has) draw(&r);
 *     rr_destroy(c);
 *
 * ERRORS. Every function returns an rr_status (RR_OK = 0, errors < 0), except rr_last_error and Unity's callbacks. No C++ or .NET exception
 * ever leaves the library. On failure the calling thread's last error (rr_last_error) holds one UTF-8 line with the
 * values involved (path, size, expected); it is left unchanged by successful calls.
 *
 * THREADS (the managed API's rules). CPU backends (ort-*): any thread may call any function, also concurrently,
 * except rr_destroy, which must not race other calls on the same classifier. gl: GL contexts are current on one
 * thread, so a gl classifier may be called only from the thread that created it (the thread whose context it uses);
 * calls from another thread return RR_E_WRONG_THREAD before touching GL. The host's GL state is restored after each call.
 * The Unity functions (rr_unity_*) exist so a gl classifier can live on a render thread while other threads feed it.
 *
 * MEMORY. The library owns everything it returns: strings and the CAM pointer stay valid as documented per field and
 * must not be freed by the caller. The caller owns the structs it passes in. In steady state (frame size unchanged)
 * rr_submit_*, rr_update and rr_poll allocate nothing; rr_allocated_bytes lets a host check that.
 *
 * ABI. Structs passed in carry their own size in struct_size (first field); a library rejects a size it does not
 * know with RR_E_STRUCT_SIZE, so a program built against a newer header fails cleanly instead of being misread.
 * RR_ABI_VERSION changes with any incompatible change; compare it with rr_version at start-up.
 */
#ifndef RESNET_REALTIME_H
#define RESNET_REALTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define RR_API __declspec(dllimport)
#else
#  define RR_API
#endif

#define RR_ABI_VERSION 1
/* The most predictions an rr_result holds (rr_options.top_k is 1..RR_MAX_TOP_K). */
#define RR_MAX_TOP_K 16

typedef enum rr_status {
    RR_OK = 0,
    RR_E_INVALID_ARGUMENT = -1, /* a value out of range: sizes, stride, format, options */
    RR_E_NULL_POINTER = -2,     /* a required pointer was NULL */
    RR_E_STRUCT_SIZE = -3,      /* struct_size is not this library's size (e.g. a newer header) */
    RR_E_INVALID_HANDLE = -4,   /* the classifier was destroyed or never created */
    RR_E_WRONG_THREAD = -5,     /* a gl classifier called from a thread other than its creator */
    RR_E_MODEL = -6,            /* model missing, unreadable or failing validation */
    RR_E_BACKEND = -7,          /* backend not available: ONNX Runtime or EGL/GL not found, GL < 4.3, wrong texture */
    RR_E_NOT_READY = -8,        /* rr_unity_create: no render event has built the classifier yet */
    RR_E_INTERNAL = -9          /* anything else; rr_last_error says what */
} rr_status;

typedef enum rr_backend {
    RR_BACKEND_AUTO = 0,     /* gl when get_proc_address gives a GL 4.3 hardware context, else ort-cpu */
    RR_BACKEND_ORT_CPU = 1,  /* ONNX Runtime on the CPU (worker thread) */
    RR_BACKEND_GL = 2,       /* OpenGL 4.3 compute: the host's context (get_proc_address) or an own headless one */
    RR_BACKEND_ORT_DML = 3,  /* ONNX Runtime DirectML (Windows) */
    RR_BACKEND_ORT_CUDA = 4  /* ONNX Runtime CUDA (a library built with the CUDA ONNX Runtime) */
} rr_backend;

typedef enum rr_precision { RR_PRECISION_FP32 = 0, RR_PRECISION_INT8 = 1 /* CPU backends; quantized on first use, cached */ } rr_precision;

/* Interleaved 8-bit pixels; alpha ignored. Rows may be padded: stride_bytes >= width * bytes per pixel. */
typedef enum rr_pixel_format { RR_PIXEL_RGB24 = 0, RR_PIXEL_BGR24 = 1, RR_PIXEL_RGBA32 = 2, RR_PIXEL_BGRA32 = 3 } rr_pixel_format;

/* A classifier. Opaque: an id, not a pointer; never reused, so a destroyed one gives RR_E_INVALID_HANDLE. */
typedef struct rr_classifier rr_classifier;

/* How a classifier is made. Fill with rr_options_init, then change fields. Read only during rr_create_*. */
typedef struct rr_options {
    uint32_t struct_size;   /* sizeof(rr_options) */
    int32_t backend;        /* rr_backend; default RR_BACKEND_AUTO */
    int32_t threads;        /* CPU backends' inference threads; 0 = the backend's default */
    int32_t top_k;          /* predictions per result, 1..RR_MAX_TOP_K (clamped to the class count); default 5 */
    int32_t cam;            /* nonzero: a class-activation map of the top-1 class in every result */
    int32_t precision;      /* rr_precision; default RR_PRECISION_FP32 */
    double frame_budget_ms; /* gl: CPU time rr_update may spend encoding layers; 0 = a whole inference per call */
    double crop_ratio;      /* centre crop / resize (torchvision's 224/256 = 0.875); 0 = that default; 1 = whole frame */
    /* gl: the host's loader for the context current on the creating thread (eglGetProcAddress, glfwGetProcAddress,
       SDL_GL_GetProcAddress...). NULL: backend gl makes its own headless EGL context; auto picks ort-cpu. */
    void* (*get_proc_address)(const char* name);
    int32_t device_id;      /* ort-dml, ort-cuda: the GPU adapter index (0 = the first); ignored by ort-cpu and gl */
} rr_options;

typedef struct rr_prediction {
    int32_t class_index;
    float probability;   /* softmax over the logits */
    const char* label;   /* UTF-8, owned by the classifier, valid until rr_destroy; NULL if the model has no labels */
} rr_prediction;

/* What one frame cost, in milliseconds. preprocess/inference: CPU time on ort-*, GPU time on gl (NaN without
   timer queries). submit_to_result: wall time from rr_submit_* to the result being ready. */
typedef struct rr_latency {
    double queue_ms, preprocess_ms, inference_ms, postprocess_ms, submit_to_result_ms;
} rr_latency;

/* One frame's result. Set struct_size = sizeof(rr_result) before the first rr_poll; the caller owns the struct. */
typedef struct rr_result {
    uint32_t struct_size;
    int32_t count;          /* valid entries in top */
    int64_t frame_id;       /* the id passed to rr_submit_* with this frame */
    rr_latency latency;
    int32_t cam_width, cam_height;   /* CAM size (0 without options.cam) */
    const float* cam;       /* CPU backends with cam: cam_width*cam_height values 0..1, row 0 = top; owned by the
                               classifier, valid until the next rr_poll or rr_destroy; NULL on gl or without cam */
    uint32_t cam_texture;   /* gl with cam: GL_R32F texture in the host's context, owned by the classifier; else 0 */
    int32_t updates;        /* gl: rr_update calls that encoded this result; 0 on CPU backends */
    rr_prediction top[RR_MAX_TOP_K]; /* best first */
} rr_result;

typedef struct rr_stats {
    uint32_t struct_size;   /* sizeof(rr_stats) */
    int32_t classes;
    int64_t submitted, dropped /* replaced by a newer frame before inference (latest wins) */, completed;
    int32_t accepts_textures; /* nonzero: rr_submit_texture works (gl) */
    int32_t is_gl;            /* nonzero: the thread rule applies */
    const char* backend;      /* what runs ("ort-cpu", "gl"...); owned by the classifier, valid until rr_destroy */
} rr_stats;

/* The library's version ("0.1.0", static storage) and its RR_ABI_VERSION. Either pointer may be NULL, not both. */
RR_API rr_status rr_version(const char** version, uint32_t* abi_version);

/* The calling thread's last error: one UTF-8 line, "" if none yet. Owned by the library; valid until the next
   failing call on this thread. Never NULL. The one function that returns no rr_status. */
RR_API const char* rr_last_error(void);

/* Zeroes *options, sets struct_size and the defaults (auto, top_k 5, fp32). */
RR_API rr_status rr_options_init(rr_options* options);

/* Loads an .onnx file (UTF-8 path, or a built-in name such as "pretrained:resnet18") or an in-memory model (copied;
   the caller may free it on return) and creates a classifier with *options (read during the call only). On success
   *out_classifier is set; on failure it is NULL. Takes tens of milliseconds (model load and backend set-up): call
   it at start-up, not per frame. gl with get_proc_address: the context must be current on the calling thread, which
   becomes the classifier's only thread. */
RR_API rr_status rr_create_from_path(const char* path, const rr_options* options, rr_classifier** out_classifier);
RR_API rr_status rr_create_from_bytes(const void* data, size_t size, const rr_options* options, rr_classifier** out_classifier);

/* Hands one CPU frame over (CPU backends; gl uploads it). size_bytes must cover (height-1)*stride_bytes +
   width*bytes per pixel. Copied before return: the caller may reuse its buffer at once. Never waits for inference:
   while the backend is busy the newest frame wins and the replaced one counts as dropped. frame_id (an id or a
   timestamp) comes back in the result. */
RR_API rr_status rr_submit_pixels(rr_classifier* classifier, const void* pixels, size_t size_bytes, int32_t width,
                                  int32_t height, int32_t stride_bytes, rr_pixel_format format, int64_t frame_id);

/* gl: hands over a GL_TEXTURE_2D of the creating thread's context (RGBA8 or any colour-renderable format; read on the
   GPU, no CPU copy). flip_y nonzero: row 0 is the bottom of the picture (render targets). The texture must stay alive
   until the next rr_update has run. CPU backends return RR_E_INVALID_ARGUMENT. */
RR_API rr_status rr_submit_texture(rr_classifier* classifier, uint32_t texture, int32_t width, int32_t height,
                                   int32_t flip_y, int64_t frame_id);

/* Once per host frame. gl: collects finished work and encodes layers under frame_budget_ms. CPU backends: reports a
   stopped worker (their thread needs no pumping). */
RR_API rr_status rr_update(rr_classifier* classifier);

/* Never waits. When a result arrived since the last poll, fills *result and sets *has_result = 1; otherwise
   *has_result = 0 and *result is untouched. One poller per classifier at a time (a second one is serialised). */
RR_API rr_status rr_poll(rr_classifier* classifier, rr_result* result, int32_t* has_result);

/* Counters and what runs; stats->struct_size = sizeof(rr_stats) first. */
RR_API rr_status rr_get_stats(rr_classifier* classifier, rr_stats* stats);

/* Frees the classifier and everything it owns (labels, CAM, textures it made). gl: on its thread. Returns
   RR_E_INVALID_HANDLE for a classifier already destroyed. */
RR_API rr_status rr_destroy(rr_classifier* classifier);

/* Managed bytes allocated so far: by the calling thread, and by the whole process (either pointer may be NULL, not
   both). Call before and after N frames: a difference of 0 on the calling thread means the frames allocated nothing. */
RR_API rr_status rr_allocated_bytes(int64_t* current_thread, int64_t* total);

/* Does nothing: for measuring the cost of one call into the library. */
RR_API rr_status rr_noop(void);

/* The library's own view of the struct layouts, one line per struct ("rr_result <size> <offsets>"), for tests. */
RR_API rr_status rr_debug_layout(char* buffer, size_t size);

/* The library's preprocessor alone, for tests and benchmarks: one frame (the pixel rules of rr_submit_pixels) resized,
   centre-cropped (224/256) and normalised with ImageNet's mean/std into out: 3 x out_height x out_width floats, planar
   RGB, out_count of them at least. The code rr_submit_pixels runs, so its output equals the managed build's bit for
   bit on every CPU. simd (may be NULL) gets the SIMD path taken, static storage: "Scalar", "Vector128" (SSE2/AdvSimd,
   the default build on any x86-64), "Avx2" or "Avx512" (a build with -p:RrNativeIsa=x86-64-v3 or higher). Any thread;
   the first call of a thread per output size allocates its tables. */
RR_API rr_status rr_debug_preprocess(const void* pixels, size_t size_bytes, int32_t width, int32_t height, int32_t stride_bytes,
                                     int32_t format, int32_t out_height, int32_t out_width, float* out, size_t out_count,
                                     const char** simd);

/* ---- Unity (native rendering-plugin interface) ------------------------------------------------------------------
   Unity calls UnityPluginLoad/UnityPluginUnload itself. C# fetches the render-event function once and fires it with
   GL.IssuePluginEvent(fn, (int)(intptr_t)classifier) each frame: it then runs on Unity's render thread with Unity's
   GL context current. The first event builds the classifier (so rr_unity_create returns at once and rr_poll answers
   RR_E_NOT_READY until then); each event submits the texture last queued, runs rr_update and copies any new result
   out. rr_unity_queue_texture and rr_poll may be called from any thread. Errors of the render thread are returned by
   the next rr_poll. Destroy with GL.IssuePluginEvent(fn, (int)(intptr_t)classifier | RR_UNITY_EVENT_DESTROY). */
#define RR_UNITY_EVENT_DESTROY (1 << 30)
typedef void (*rr_render_event_fn)(int event_id);
RR_API void UnityPluginLoad(void* unity_interfaces);
RR_API void UnityPluginUnload(void);
RR_API rr_status rr_unity_render_event_func(rr_render_event_fn* fn);
/* The render-event function itself, for hosts that call it directly. */
RR_API void rr_unity_render_event(int event_id);
/* Like rr_create_from_path, built later on the render thread. get_proc_address NULL: eglGetProcAddress is not
   assumed; pass the render thread's loader, or leave backend ort-cpu. */
RR_API rr_status rr_unity_create(const char* path, const rr_options* options, rr_classifier** out_classifier);
/* Any thread: the texture (of the render thread's context) the next render event submits; a newer one replaces it. */
RR_API rr_status rr_unity_queue_texture(rr_classifier* classifier, uint32_t texture, int32_t width, int32_t height,
                                        int32_t flip_y, int64_t frame_id);

#ifdef __cplusplus
}
#endif
#endif /* RESNET_REALTIME_H */
