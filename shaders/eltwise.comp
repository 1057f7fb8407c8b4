#version 430
// Element-wise ops the conv epilogue could not absorb: out = a + b (hasB), then ReLU (relu).
// One invocation per element; a 2D grid so large tensors stay under the 65535-group limit per axis.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std140, binding = 0) uniform Params { int count, hasB, relu, pad0; };

layout(std430, binding = 0) readonly buffer ABuf { float a[]; };
layout(std430, binding = 3) readonly buffer BBuf { float b[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

void main() {
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u);
    if (i >= count) return;
    float v = a[i];
    if (hasB != 0) v += b[i];
    outp[i] = relu_if(v, relu);
}
