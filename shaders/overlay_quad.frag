#version 330 core
// One shader for every overlay element, chosen per vertex so a frame is a single draw call:
//   0 solid colour   1 text (glyph-atlas coverage × colour)   2 video frame (RGB texture)
//   3 heatmap (scalar 0..1 → "turbo"-like colour ramp, alpha from colour)   4 activation mosaic (scalar → ramp)
in vec2 vUv;
in vec4 vColor;
flat in int vMode;
uniform sampler2D uAtlas;   // unit 0, R8
uniform sampler2D uFrame;   // unit 1, RGBA8
uniform sampler2D uHeat;    // unit 2, R32F
uniform sampler2D uMosaic;  // unit 3, R32F
out vec4 fragColor;

vec3 ramp(float t)
{
    t = clamp(t, 0.0, 1.0);
    // blue → cyan → green → yellow → red
    vec3 c = vec3(0.0);
    c.r = smoothstep(0.45, 0.85, t);
    c.g = smoothstep(0.0, 0.4, t) * (1.0 - smoothstep(0.8, 1.0, t) * 0.8);
    c.b = 1.0 - smoothstep(0.25, 0.6, t);
    return c;
}

void main()
{
    if (vMode == 0) fragColor = vColor;
    else if (vMode == 1) fragColor = vec4(vColor.rgb, vColor.a * texture(uAtlas, vUv).r);
    else if (vMode == 2) fragColor = vec4(texture(uFrame, vUv).rgb, 1.0) * vColor;
    else if (vMode == 3) { float h = texture(uHeat, vUv).r; fragColor = vec4(ramp(h), vColor.a * (0.25 + 0.75 * h)); }
    else fragColor = vec4(ramp(texture(uMosaic, vUv).r), vColor.a);
}
