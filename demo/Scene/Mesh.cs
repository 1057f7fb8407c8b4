using System.Numerics;

namespace ResNetRealtime.Demo.Scene;

/// <summary>
/// Triangle mesh on the CPU: interleaved position+normal (6 floats per vertex), 16-bit indices,
/// counter-clockwise front faces, centred at the origin and fitting in the unit sphere (so every
/// class can be scaled alike). Faceted shapes (cube, pyramid, octahedron) duplicate vertices per face
/// so their normals are flat — the faces' shading is part of what makes them recognisable.
/// </summary>
public sealed class Mesh
{
    public const int FloatsPerVertex = 6;
    public float[] Vertices { get; }
    public ushort[] Indices { get; }
    public int VertexCount => Vertices.Length / FloatsPerVertex;

    public Mesh(float[] vertices, ushort[] indices)
    {
        if (vertices.Length % FloatsPerVertex != 0) throw new ArgumentException($"vertex array length {vertices.Length} is not a multiple of {FloatsPerVertex}");
        if (vertices.Length / FloatsPerVertex > ushort.MaxValue) throw new ArgumentException($"{vertices.Length / FloatsPerVertex} vertices do not fit 16-bit indices");
        foreach (var i in indices) if (i >= vertices.Length / FloatsPerVertex) throw new ArgumentException($"index {i} out of range ({vertices.Length / FloatsPerVertex} vertices)");
        Vertices = vertices; Indices = indices;
    }

    public Vector3 Position(int v) => new(Vertices[v * 6], Vertices[v * 6 + 1], Vertices[v * 6 + 2]);
    public Vector3 Normal(int v) => new(Vertices[v * 6 + 3], Vertices[v * 6 + 4], Vertices[v * 6 + 5]);

    sealed class Builder
    {
        public readonly List<float> V = new();
        public readonly List<ushort> I = new();
        public int Add(Vector3 p, Vector3 n)
        {
            n = Vector3.Normalize(n);
            V.Add(p.X); V.Add(p.Y); V.Add(p.Z); V.Add(n.X); V.Add(n.Y); V.Add(n.Z);
            return V.Count / 6 - 1;
        }
        /// <summary>Flat triangle: normal from the winding (CCW seen from outside).</summary>
        public void FlatTri(Vector3 a, Vector3 b, Vector3 c)
        {
            var n = Vector3.Cross(b - a, c - a);
            I.Add((ushort)Add(a, n)); I.Add((ushort)Add(b, n)); I.Add((ushort)Add(c, n));
        }
        public void FlatQuad(Vector3 a, Vector3 b, Vector3 c, Vector3 d) { FlatTri(a, b, c); FlatTri(a, c, d); }
        public void Tri(int a, int b, int c) { I.Add((ushort)a); I.Add((ushort)b); I.Add((ushort)c); }
        public Mesh Build() => new(V.ToArray(), I.ToArray());
    }

    /// <summary>Axis-aligned cube of half-size 1/√3 (corners on the unit sphere).</summary>
    public static Mesh Cube()
    {
        var b = new Builder();
        float s = 1f / MathF.Sqrt(3);
        Vector3 P(float x, float y, float z) => new(x * s, y * s, z * s);
        b.FlatQuad(P(-1, -1, 1), P(1, -1, 1), P(1, 1, 1), P(-1, 1, 1));     // +z
        b.FlatQuad(P(1, -1, -1), P(-1, -1, -1), P(-1, 1, -1), P(1, 1, -1)); // -z
        b.FlatQuad(P(1, -1, 1), P(1, -1, -1), P(1, 1, -1), P(1, 1, 1));     // +x
        b.FlatQuad(P(-1, -1, -1), P(-1, -1, 1), P(-1, 1, 1), P(-1, 1, -1)); // -x
        b.FlatQuad(P(-1, 1, 1), P(1, 1, 1), P(1, 1, -1), P(-1, 1, -1));     // +y
        b.FlatQuad(P(-1, -1, -1), P(1, -1, -1), P(1, -1, 1), P(-1, -1, 1)); // -y
        return b.Build();
    }

    /// <summary>UV sphere of radius 0.9.</summary>
    public static Mesh Sphere(int slices = 32, int stacks = 16) => Lathe(slices, stacks, t =>
    {
        float a = MathF.PI * t - MathF.PI / 2;
        return (0.9f * MathF.Cos(a), 0.9f * MathF.Sin(a), MathF.Cos(a), MathF.Sin(a));
    });

    /// <summary>Capsule: cylinder of radius 0.38 with hemispherical caps, total height 1.8 along y.</summary>
    public static Mesh Capsule(int slices = 32, int stacks = 24)
    {
        const float r = 0.38f, half = 0.9f - r;
        return Lathe(slices, stacks, t =>
        {
            // t in [0,1]: bottom cap (0..0.4), straight part (0.4..0.6), top cap (0.6..1).
            if (t < 0.4f) { float a = -MathF.PI / 2 + (t / 0.4f) * MathF.PI / 2; return (r * MathF.Cos(a), -half + r * MathF.Sin(a), MathF.Cos(a), MathF.Sin(a)); }
            if (t > 0.6f) { float a = (t - 0.6f) / 0.4f * MathF.PI / 2; return (r * MathF.Cos(a), half + r * MathF.Sin(a), MathF.Cos(a), MathF.Sin(a)); }
            return (r, -half + (t - 0.4f) / 0.2f * 2 * half, 1, 0);
        });
    }

    /// <summary>
    /// Surface of revolution around y: <paramref name="profile"/>(t) gives (radius, y, normal radial, normal y)
    /// for t in [0,1] from bottom to top.
    /// </summary>
    static Mesh Lathe(int slices, int stacks, Func<float, (float R, float Y, float NR, float NY)> profile)
    {
        var b = new Builder();
        for (int i = 0; i <= stacks; i++)
        {
            var (r, y, nr, ny) = profile(i / (float)stacks);
            for (int j = 0; j <= slices; j++)
            {
                float phi = 2 * MathF.PI * j / slices;
                float c = MathF.Cos(phi), s = MathF.Sin(phi);
                var n = new Vector3(nr * c, ny, nr * s);
                if (n.LengthSquared() < 1e-12f) n = new Vector3(0, MathF.Sign(y), 0);
                b.Add(new Vector3(r * c, y, r * s), n);
            }
        }
        int row = slices + 1;
        for (int i = 0; i < stacks; i++)
            for (int j = 0; j < slices; j++)
            {
                int a = i * row + j, c = a + row;
                b.Tri(a, c, a + 1);
                b.Tri(a + 1, c, c + 1);
            }
        return b.Build();
    }

    /// <summary>Disc at height y facing up (+1) or down (-1), added to a builder.</summary>
    static void Disc(Builder b, float y, float r, int slices, float facing)
    {
        var n = new Vector3(0, facing, 0);
        int centre = b.Add(new Vector3(0, y, 0), n);
        int first = b.V.Count / 6;
        for (int j = 0; j <= slices; j++)
        {
            float phi = 2 * MathF.PI * j / slices;
            b.Add(new Vector3(r * MathF.Cos(phi), y, r * MathF.Sin(phi)), n);
        }
        for (int j = 0; j < slices; j++)
            if (facing > 0) b.Tri(centre, first + j + 1, first + j); else b.Tri(centre, first + j, first + j + 1);
    }

    /// <summary>Cylinder radius 0.55, height 1.3 along y, with caps.</summary>
    public static Mesh Cylinder(int slices = 32)
    {
        var b = new Builder();
        const float r = 0.55f, h = 0.65f;
        int baseV = 0;
        for (int i = 0; i <= 1; i++)
            for (int j = 0; j <= slices; j++)
            {
                float phi = 2 * MathF.PI * j / slices;
                b.Add(new Vector3(r * MathF.Cos(phi), i == 0 ? -h : h, r * MathF.Sin(phi)), new Vector3(MathF.Cos(phi), 0, MathF.Sin(phi)));
            }
        for (int j = 0; j < slices; j++) { int a = baseV + j, c = a + slices + 1; b.Tri(a, c, a + 1); b.Tri(a + 1, c, c + 1); }
        Disc(b, h, r, slices, 1);
        Disc(b, -h, r, slices, -1);
        return b.Build();
    }

    /// <summary>Cone: base radius 0.7 at y=-0.6, apex at y=0.9, smooth sides and a base disc.</summary>
    public static Mesh Cone(int slices = 32)
    {
        var b = new Builder();
        const float r = 0.7f, y0 = -0.6f, y1 = 0.9f;
        float slope = r / (y1 - y0);
        for (int j = 0; j < slices; j++)
        {
            float p0 = 2 * MathF.PI * j / slices, p1 = 2 * MathF.PI * (j + 1) / slices, pm = (p0 + p1) / 2;
            var n0 = new Vector3(MathF.Cos(p0), slope, MathF.Sin(p0));
            var n1 = new Vector3(MathF.Cos(p1), slope, MathF.Sin(p1));
            int a = b.Add(new Vector3(r * MathF.Cos(p0), y0, r * MathF.Sin(p0)), n0);
            int c = b.Add(new Vector3(r * MathF.Cos(p1), y0, r * MathF.Sin(p1)), n1);
            int apex = b.Add(new Vector3(0, y1, 0), new Vector3(MathF.Cos(pm), slope, MathF.Sin(pm)));
            b.Tri(a, apex, c);
        }
        Disc(b, y0, r, slices, -1);
        return b.Build();
    }

    /// <summary>Square pyramid: base half-size 0.58 at y=-0.55, apex at y=0.9, flat faces.</summary>
    public static Mesh Pyramid()
    {
        var b = new Builder();
        const float s = 0.58f, y0 = -0.55f; // base corners at radius 0.99: inside the unit sphere like every class
        var apex = new Vector3(0, 0.9f, 0);
        Vector3 A = new(-s, y0, s), B = new(s, y0, s), C = new(s, y0, -s), D = new(-s, y0, -s);
        b.FlatTri(A, B, apex); b.FlatTri(B, C, apex); b.FlatTri(C, D, apex); b.FlatTri(D, A, apex);
        b.FlatQuad(D, C, B, A);
        return b.Build();
    }

    /// <summary>Regular octahedron with vertices at distance 0.95, flat faces.</summary>
    public static Mesh Octahedron()
    {
        var b = new Builder();
        const float r = 0.95f;
        Vector3 px = new(r, 0, 0), nx = new(-r, 0, 0), py = new(0, r, 0), ny = new(0, -r, 0), pz = new(0, 0, r), nz = new(0, 0, -r);
        b.FlatTri(pz, px, py); b.FlatTri(px, nz, py); b.FlatTri(nz, nx, py); b.FlatTri(nx, pz, py);
        b.FlatTri(px, pz, ny); b.FlatTri(nz, px, ny); b.FlatTri(nx, nz, ny); b.FlatTri(pz, nx, ny);
        return b.Build();
    }

    /// <summary>Torus in the xz-plane: major radius 0.62, minor radius 0.26.</summary>
    public static Mesh Torus(int major = 40, int minor = 20)
    {
        var b = new Builder();
        const float R = 0.62f, r = 0.26f;
        for (int i = 0; i <= major; i++)
        {
            float u = 2 * MathF.PI * i / major;
            var centre = new Vector3(R * MathF.Cos(u), 0, R * MathF.Sin(u));
            for (int j = 0; j <= minor; j++)
            {
                float v = 2 * MathF.PI * j / minor;
                var n = new Vector3(MathF.Cos(v) * MathF.Cos(u), MathF.Sin(v), MathF.Cos(v) * MathF.Sin(u));
                b.Add(centre + r * n, n);
            }
        }
        int row = minor + 1;
        for (int i = 0; i < major; i++)
            for (int j = 0; j < minor; j++)
            {
                int a = i * row + j, c = a + row;
                b.Tri(a, a + 1, c);
                b.Tri(a + 1, c + 1, c);
            }
        return b.Build();
    }
}
