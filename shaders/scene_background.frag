#version 330 core
// Vertical gradient, optionally with soft diagonal stripes (uStripes = stripe count, 0 = none).
in vec2 vUv;
uniform vec3 uTop;
uniform vec3 uBottom;
uniform float uStripes;
out vec4 fragColor;
void main()
{
    vec3 c = mix(uBottom, uTop, vUv.y);
    if (uStripes > 0.0)
        c *= 0.85 + 0.15 * smoothstep(0.4, 0.6, abs(fract((vUv.x + vUv.y) * uStripes) - 0.5) * 2.0);
    fragColor = vec4(c, 1.0);
}
