#version 430
// Frame -> model input, the CPU Preprocessor's math (runtime/Imaging/Preprocessor.cs): the frame
// resized to resizedW x resizedH (CropGeometry: torchvision Resize(256)+CenterCrop(224) proportions),
// bilinear with half-pixel centres (align_corners = false, source coordinates clamped at 0 and at the
// last texel), centre crop of outW x outH at (cropX, cropY), then (rgb - mean) / std with rgb in [0, 1].
// channels == 1: one luminance plane 0.299 R + 0.587 G + 0.114 B (PIL convert("L")), mean/std R.
// FROM_TEXTURE: the frame is a texture read with texelFetch (exact texels: no hardware filtering, so
// this path gives the same numbers as the buffer path); flipY for render targets (GL's row 0 = bottom).
// Otherwise: the frame is RGBA8 packed one pixel per uint (byte order R, G, B, A), row 0 = top.
// One invocation per output pixel; writes 3 planes of image batchIndex in NCHW.
#include "common.glsl"

layout(local_size_x = 16, local_size_y = 16) in;

layout(std140, binding = 0) uniform Params {
    int srcW, srcH, outW, outH;
    int resizedW, resizedH, cropX, cropY;
    int flipY, batchIndex, channels, pad1;
    float meanR, meanG, meanB, pad2;
    float stdR, stdG, stdB, pad3;
};

layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

#ifdef FROM_TEXTURE
layout(binding = 0) uniform sampler2D frame;
vec3 fetch(int x, int y) {
    if (flipY != 0) y = srcH - 1 - y;
    return texelFetch(frame, ivec2(x, y), 0).rgb;
}
#else
layout(std430, binding = 0) readonly buffer FrameBuf { uint pixels[]; };
vec3 fetch(int x, int y) { return unpackUnorm4x8(pixels[y * srcW + x]).rgb; }
#endif

void main() {
    int x = int(gl_GlobalInvocationID.x), y = int(gl_GlobalInvocationID.y);
    if (x >= outW || y >= outH) return;
    float sx = max((float(x + cropX) + 0.5) * (float(srcW) / float(resizedW)) - 0.5, 0.0);
    float sy = max((float(y + cropY) + 0.5) * (float(srcH) / float(resizedH)) - 0.5, 0.0);
    int x0 = min(int(sx), srcW - 1), y0 = min(int(sy), srcH - 1);
    int x1 = min(x0 + 1, srcW - 1), y1 = min(y0 + 1, srcH - 1);
    float fx = sx - float(x0), fy = sy - float(y0);
    vec3 top = mix(fetch(x0, y0), fetch(x1, y0), fx);
    vec3 bot = mix(fetch(x0, y1), fetch(x1, y1), fx);
    vec3 rgb = mix(top, bot, fy);
    int plane = outW * outH;
    int base = batchIndex * channels * plane + y * outW + x;
    if (channels == 1) {
        outp[base] = (dot(rgb, vec3(0.299, 0.587, 0.114)) - meanR) / stdR;
        return;
    }
    vec3 v = (rgb - vec3(meanR, meanG, meanB)) / vec3(stdR, stdG, stdB);
    outp[base] = v.r;
    outp[base + plane] = v.g;
    outp[base + 2 * plane] = v.b;
}
