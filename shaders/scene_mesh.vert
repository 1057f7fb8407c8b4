#version 330 core
// Scene object: world-space position and normal for per-pixel Phong lighting.
// Matrices come from System.Numerics (row vectors) uploaded untransposed, so M * v here equals v * M there.
layout(location = 0) in vec3 aPosition;
layout(location = 1) in vec3 aNormal;
uniform mat4 uModel;
uniform mat4 uViewProjection;
out vec3 vWorld;
out vec3 vNormal;
void main()
{
    vec4 world = uModel * vec4(aPosition, 1.0);
    vWorld = world.xyz;
    vNormal = mat3(uModel) * aNormal; // uniform scale only, so no inverse-transpose needed
    gl_Position = uViewProjection * world;
}
