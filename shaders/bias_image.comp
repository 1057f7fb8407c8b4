#version 430
// Adds a constant image to every image of the batch: out[n,c,y,x] = a[n,c,y,x] + k[c,y,x].
// ONNX Sub/Add of a [1,C,H,W] (or [C,H,W]) initializer — a mean image the network subtracts in-graph
// (pretrained:resnet18); the builder stores k = -constant for Sub. One invocation per element, 2D grid.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std140, binding = 0) uniform Params { int count, size, relu, pad0; };

layout(std430, binding = 0) readonly buffer ABuf { float a[]; };
layout(std430, binding = 1) readonly buffer KBuf { float k[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

void main() {
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u);
    if (i >= count) return;
    outp[i] = relu_if(a[i] + k[i % size], relu);
}
