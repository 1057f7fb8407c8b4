#version 430
// Per-channel affine (+ReLU): out[n,c,i] = x[n,c,i] * scale[c] + shift[c]. A BatchNormalization the builder cannot
// fold into a conv before it: pre-activation (v2) ResNets put BN → ReLU at each block's input, where the tensor is
// also the residual, and on the image itself (gluoncv's data BN). Folding into the next conv would be wrong at the
// borders: the conv zero-pads the normalised tensor, not the raw one.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std140, binding = 0) uniform Params { int count, channels, hw, relu; };

layout(std430, binding = 0) readonly buffer XBuf { float x[]; };
layout(std430, binding = 1) readonly buffer ScaleBuf { float scale[]; };
layout(std430, binding = 2) readonly buffer ShiftBuf { float shift[]; };
layout(std430, binding = 4) writeonly buffer OutBuf { float outp[]; };

void main() {
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u);
    if (i >= count) return;
    int c = (i / hw) % channels;
    outp[i] = relu_if(fma(x[i], scale[c], shift[c]), relu);
}
