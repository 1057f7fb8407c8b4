using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using NUnit.Framework;
using ResNetRealtime.Runtime.Backends.Gl;

namespace ResNetRealtime.Tests.Gl;

/// <summary>Each typed parameter struct against its shader's std140 `uniform Params` block: the same members in the
/// same order with the same scalar types, a size that is a multiple of 16 (std140 rounds a block up to vec4), and
/// byte offsets 4 apart, which is where std140 puts consecutive int/float scalars.</summary>
public class GlParamsTests
{
    [TestCase("conv.comp", typeof(ConvParams))]
    [TestCase("pool.comp", typeof(PoolParams))]
    [TestCase("eltwise.comp", typeof(EltwiseParams))]
    [TestCase("fc.comp", typeof(FcParams))]
    [TestCase("softmax.comp", typeof(SoftmaxParams))]
    [TestCase("cam.comp", typeof(CamParams))]
    [TestCase("preprocess.comp", typeof(PreprocessParams))]
    [TestCase("tap.comp", typeof(TapParams))]
    [TestCase("affine.comp", typeof(AffineParams))]
    [TestCase("bias_image.comp", typeof(BiasImageParams))]
    public void StructMatchesTheShadersUniformBlock(string shader, Type type)
    {
        var src = GlShaders.ReadResource(shader);
        var block = Regex.Match(src, @"uniform\s+Params\s*\{(.*?)\}\s*;", RegexOptions.Singleline);
        Assert.That(block.Success, Is.True, $"{shader} has no 'uniform Params {{ ... }};' block");
        var glsl = new List<(string Name, string Type)>();
        foreach (Match decl in Regex.Matches(block.Groups[1].Value, @"(int|float)\s+([^;]+);"))
            foreach (var name in decl.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                glsl.Add((name.ToLowerInvariant(), decl.Groups[1].Value));

        var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance).OrderBy(f => Marshal.OffsetOf(type, f.Name).ToInt64()).ToList();
        var cs = fields.Select(f => (f.Name.ToLowerInvariant(), f.FieldType == typeof(int) ? "int" : f.FieldType == typeof(float) ? "float" : f.FieldType.Name)).ToList();
        Assert.That(cs, Is.EqualTo(glsl), $"{type.Name} vs {shader}'s Params block (name, type) in order");
        for (int i = 0; i < fields.Count; i++)
            Assert.That(Marshal.OffsetOf(type, fields[i].Name).ToInt64(), Is.EqualTo(4 * i), $"{type.Name}.{fields[i].Name} offset");
        Assert.That(Marshal.SizeOf(type) % 16, Is.Zero, $"{type.Name} is {Marshal.SizeOf(type)} bytes, not a whole number of vec4s");
    }
}
