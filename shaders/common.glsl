// Shared by every compute shader (inserted where a shader says #include "common.glsl").
// Conventions: tensors are float32 NCHW in std430 SSBOs; parameters come in a std140 uniform block at
// binding 0 declared by each shader as plain 4-byte scalars (so C# writes them as an int/float array);
// every invocation bounds-checks before touching memory, because grids are rounded up to whole groups.

#define DIV_UP(a, b) (((a) + (b) - 1) / (b))

float relu_if(float v, int on) { return on != 0 ? max(v, 0.0) : v; }
