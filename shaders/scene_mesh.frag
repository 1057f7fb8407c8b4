#version 330 core
// Phong: ambient + Lambert diffuse + Blinn specular from one directional light.
in vec3 vWorld;
in vec3 vNormal;
uniform vec3 uColor;
uniform vec3 uLightDirection; // towards the light, normalised
uniform vec3 uEye;
uniform float uAmbient;
uniform float uSpecular;
uniform float uShininess;
out vec4 fragColor;
void main()
{
    vec3 n = normalize(vNormal);
    vec3 v = normalize(uEye - vWorld);
    if (dot(n, v) < 0.0) n = -n; // two-sided: inner faces (torus hole, cone base seen edge-on) light correctly
    float diffuse = max(dot(n, uLightDirection), 0.0);
    vec3 h = normalize(uLightDirection + v);
    float spec = diffuse > 0.0 ? pow(max(dot(n, h), 0.0), uShininess) * uSpecular : 0.0;
    vec3 c = uColor * (uAmbient + (1.0 - uAmbient) * diffuse) + vec3(spec);
    fragColor = vec4(clamp(c, 0.0, 1.0), 1.0);
}
