#version 330 core
// Overlay quads in window pixels (origin top-left, y down) → clip space.
layout(location = 0) in vec2 aPosition;
layout(location = 1) in vec2 aUv;
layout(location = 2) in vec4 aColor;
layout(location = 3) in float aMode;
uniform vec2 uScreen;
out vec2 vUv;
out vec4 vColor;
flat out int vMode;
void main()
{
    vUv = aUv;
    vColor = aColor;
    vMode = int(aMode + 0.5);
    vec2 ndc = vec2(aPosition.x / uScreen.x * 2.0 - 1.0, 1.0 - aPosition.y / uScreen.y * 2.0);
    gl_Position = vec4(ndc, 0.0, 1.0);
}
