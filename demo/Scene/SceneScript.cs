using System.Numerics;

namespace ResNetRealtime.Demo.Scene;

/// <summary>Everything needed to draw one frame of the scene, and its true class.</summary>
public readonly record struct SceneState(
    int Label,
    Matrix4x4 Model,
    Vector3 Color,
    Vector3 LightDirection,
    float Ambient,
    float Specular,
    float Shininess,
    Vector3 BackgroundTop,
    Vector3 BackgroundBottom,
    float BackgroundStripes);

/// <summary>
/// The deterministic script of the rendered scene: which object, colour, pose, light and background
/// appear in frame N, as a pure function of (seed, N). The live animation runs in segments of
/// <see cref="SegmentFrames"/> frames — one object per segment, tumbling and drifting smoothly — and the
/// recorder draws independent samples from the same distribution (<see cref="Sample"/>: a random segment
/// at a random phase), so a model trained on recordings sees what the live demo shows.
/// All randomness comes from a counter-based hash (SplitMix64 of seed, segment, field), never from
/// shared RNG state, so any frame can be produced on its own and two runs agree bit for bit.
/// </summary>
public sealed class SceneScript
{
    /// <summary>Class names in label order. Training reads them from info.json; keep the order stable.</summary>
    public static readonly string[] Classes = { "cube", "sphere", "cone", "cylinder", "torus", "pyramid", "capsule", "octahedron" };

    public const int SegmentFrames = 45;

    readonly ulong _seed;

    public SceneScript(ulong seed) { _seed = seed; }

    public ulong Seed => _seed;

    public static Mesh BuildMesh(int label) => label switch
    {
        0 => Mesh.Cube(),
        1 => Mesh.Sphere(),
        2 => Mesh.Cone(),
        3 => Mesh.Cylinder(),
        4 => Mesh.Torus(),
        5 => Mesh.Pyramid(),
        6 => Mesh.Capsule(),
        7 => Mesh.Octahedron(),
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, $"scene labels are 0..{Classes.Length - 1}"),
    };

    /// <summary>Live animation: frame <paramref name="frame"/> of the endless sequence.</summary>
    public SceneState StateAt(long frame)
    {
        if (frame < 0) throw new ArgumentOutOfRangeException(nameof(frame), frame, "frame index must be ≥ 0");
        long segment = frame / SegmentFrames;
        float phase = (frame % SegmentFrames) / (float)SegmentFrames;
        return Build(0x5CE4E, (ulong)segment, phase);
    }

    /// <summary>Independent sample number <paramref name="index"/> (recording for training).</summary>
    public SceneState Sample(long index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "sample index must be ≥ 0");
        float phase = Unit(0xF00D, (ulong)index, 99);
        return Build(0x5A3B1E, (ulong)index, phase);
    }

    SceneState Build(ulong stream, ulong segment, float phase)
    {
        float U(int field) => Unit(stream, segment, field);
        // Labels cycle through a per-block shuffle so every class appears equally often in any run of
        // Classes.Length segments (a short headless run still covers all classes).
        int n = Classes.Length;
        ulong block = segment / (ulong)n;
        int label = Permutation(stream, block, n)[(int)(segment % (ulong)n)];

        // Pose: the object's own axis (y in model space) points at an angle of 35°..75° from the camera axis,
        // toward or away from the camera, slowly swinging around it; the object spins about that axis.
        // Never exactly end-on or edge-on: a torus seen edge-on is a capsule's outline and a cylinder seen
        // end-on is a disc, so those views would make the true class unknowable from the picture.
        float theta = (35f + 40f * U(3)) * MathF.PI / 180f;
        float phi = 2 * MathF.PI * U(4) + (0.5f + 0.8f * U(5)) * phase * (U(6) < 0.5f ? -1 : 1);
        float cosT = MathF.Cos(theta) * (U(1) < 0.5f ? -1 : 1);
        var axis = new Vector3(MathF.Sin(theta) * MathF.Cos(phi), MathF.Sin(theta) * MathF.Sin(phi), cosT);
        float spin = 2 * MathF.PI * U(2) + (0.6f + 1.2f * U(7)) * MathF.PI * phase;
        var align = AlignY(axis);
        float scale = 0.75f + 0.25f * U(8);
        // Drift: a straight path across a small window, so the object stays in view of a square crop.
        var p0 = new Vector3(0.4f * (U(9) - 0.5f), 0.4f * (U(10) - 0.5f), 0.3f * (U(11) - 0.5f));
        var p1 = new Vector3(0.4f * (U(12) - 0.5f), 0.4f * (U(13) - 0.5f), 0.3f * (U(14) - 0.5f));
        var pos = Vector3.Lerp(p0, p1, phase);
        var model = Matrix4x4.CreateScale(scale) * Matrix4x4.CreateRotationY(spin) * align * Matrix4x4.CreateTranslation(pos);

        // Colours: saturated object on a duller background of a different hue and brightness.
        float hue = U(15);
        var color = Hsv(hue, 0.45f + 0.5f * U(16), 0.65f + 0.35f * U(17));
        float bgHue = hue + 0.25f + 0.5f * U(18);
        bool darkBg = U(19) < 0.7f;
        float v0 = darkBg ? 0.08f + 0.25f * U(20) : 0.55f + 0.35f * U(20);
        var top = Hsv(bgHue, 0.15f + 0.45f * U(21), v0);
        var bottom = Hsv(bgHue + 0.1f * (U(22) - 0.5f), 0.15f + 0.45f * U(23), Math.Clamp(v0 + 0.25f * (U(24) - 0.5f), 0.03f, 0.95f));
        float stripes = U(25) < 0.3f ? 4 + 10 * U(26) : 0;

        // Light from the front hemisphere (above-left to above-right), so the visible side is lit.
        var light = Vector3.Normalize(new Vector3(2 * U(27) - 1, 0.2f + 0.8f * U(28), 0.6f + 0.6f * U(29)));
        return new SceneState(label, model, color, light,
            Ambient: 0.18f + 0.17f * U(30), Specular: 0.15f + 0.5f * U(31), Shininess: 8 + 56 * U(32),
            top, bottom, stripes);
    }

    /// <summary>Rotation (row-vector convention) taking +y to <paramref name="d"/>: rows are the images of x, y, z.</summary>
    static Matrix4x4 AlignY(Vector3 d)
    {
        d = Vector3.Normalize(d);
        var reference = MathF.Abs(d.X) < 0.9f ? Vector3.UnitX : Vector3.UnitZ;
        var t = Vector3.Normalize(Vector3.Cross(d, reference));
        var b = Vector3.Cross(t, d);
        return new Matrix4x4(t.X, t.Y, t.Z, 0, d.X, d.Y, d.Z, 0, b.X, b.Y, b.Z, 0, 0, 0, 0, 1);
    }

    readonly int[] _perm = new int[Classes.Length];
    ulong _permStream = ulong.MaxValue, _permBlock = ulong.MaxValue;

    /// <summary>Shuffle of 0..n-1 for one block (cached: consecutive frames share it; no per-frame allocation).</summary>
    int[] Permutation(ulong stream, ulong block, int n)
    {
        if (stream == _permStream && block == _permBlock) return _perm;
        _permStream = stream; _permBlock = block;
        var p = _perm;
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(Hash(stream ^ 0xB10C, block, i) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    float Unit(ulong stream, ulong index, int field) => (Hash(stream, index, field) >> 40) / (float)(1 << 24);

    ulong Hash(ulong stream, ulong index, int field)
    {
        ulong x = _seed * 0x9E3779B97F4A7C15UL ^ stream * 0xBF58476D1CE4E5B9UL ^ index * 0x94D049BB133111EBUL ^ (ulong)field * 0xD6E8FEB86659FD93UL;
        x = Mix(x); x = Mix(x + 0x9E3779B97F4A7C15UL);
        return x;
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static Vector3 Hsv(float h, float s, float v)
    {
        h -= MathF.Floor(h);
        float c = v * s, x = c * (1 - MathF.Abs((h * 6) % 2 - 1)), m = v - c;
        var (r, g, b) = (int)(h * 6) switch
        {
            0 => (c, x, 0f), 1 => (x, c, 0f), 2 => (0f, c, x), 3 => (0f, x, c), 4 => (x, 0f, c), _ => (c, 0f, x),
        };
        return new Vector3(r + m, g + m, b + m);
    }

    /// <summary>Camera: fixed, looking at the origin from +z. <paramref name="aspect"/> = width/height.</summary>
    public static (Matrix4x4 View, Matrix4x4 Projection, Vector3 Eye) Camera(float aspect)
    {
        var eye = new Vector3(0, 0, 3.2f);
        var view = Matrix4x4.CreateLookAt(eye, Vector3.Zero, Vector3.UnitY);
        var proj = Matrix4x4.CreatePerspectiveFieldOfView(40f * MathF.PI / 180f, aspect, 0.5f, 10f);
        return (view, proj, eye);
    }
}
