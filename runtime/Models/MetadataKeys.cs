// Metadata keys (ONNX metadata_props) that this project writes and reads.
namespace ResNetRealtime.Runtime.Models;

/// <summary>
/// Keys of the model's <c>metadata_props</c> that carry what a classifier needs besides the graph.
/// Writers: <see cref="ResNetOnnxBuilder"/> and the training engine's export. Reader: <see cref="ModelInspector"/>.
/// <list type="table">
/// <listheader><term>key</term><description>value (all strings)</description></listheader>
/// <item><term>rr.labels</term><description>JSON array of class names, one per output class, in output order:
///   <c>["cat","dog"]</c>. Also read: <c>labels</c>, <c>class_names</c>, <c>classes</c> (a JSON array, or names
///   separated by newlines or commas), as some exporters and model zoos write them.</description></item>
/// <item><term>rr.mean</term><description>Per-channel mean subtracted after scaling pixels to 0..1, comma-separated,
///   one value per input channel or one for all: <c>0.485,0.456,0.406</c> (ImageNet, the default when absent for
///   3 channels; 0.5 per channel otherwise). Also read: <c>mean</c>.</description></item>
/// <item><term>rr.std</term><description>Per-channel standard deviation the centred pixels are divided by, same format:
///   <c>0.229,0.224,0.225</c> (ImageNet default; 0.5 per channel for other channel counts). Also read: <c>std</c>.</description></item>
/// <item><term>rr.input_size</term><description>Square input side in pixels, e.g. <c>224</c>: used when the graph's
///   input has symbolic height/width. A graph with fixed H and W wins over this key.</description></item>
/// <item><term>rr.arch</term><description>Architecture name as accepted by <see cref="ResNetSpec.FromName"/>,
///   e.g. <c>resnet18</c>, <c>resnet20</c>, <c>resnext50_32x4d</c>.</description></item>
/// <item><term>rr.recipe</term><description>Free text: how the weights were made (data, epochs, optimizer, command),
///   or <c>random init (seed N)</c> for builder models.</description></item>
/// <item><term>rr.source</term><description>Where pretrained weights came from: package, file and its SHA-256.</description></item>
/// <item><term>rr.license</term><description>The licence of those weights and what they were trained on.</description></item>
/// </list>
/// Pixel normalisation is <c>(pixel/255 - mean[c]) / std[c]</c> with channels in RGB order.
/// </summary>
internal static class MetadataKeys
{
    public const string Labels = "rr.labels";
    public const string Mean = "rr.mean";
    public const string Std = "rr.std";
    public const string InputSize = "rr.input_size";
    public const string Arch = "rr.arch";
    public const string Recipe = "rr.recipe";
    public const string Source = "rr.source";
    public const string License = "rr.license";

    /// <summary>Keys read as labels when rr.labels is absent, in order of preference.</summary>
    public static readonly string[] LabelAliases = ["labels", "class_names", "classes"];
    public static readonly string[] MeanAliases = ["mean"];
    public static readonly string[] StdAliases = ["std"];

    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Default mean/std when a model says nothing: ImageNet's for 3 channels; for any other channel count
    /// 0.5 / 0.5 on every channel (pixels to [-1, 1]). The one default table: the CPU preprocessor and the
    /// gl backend use the same values (the gl backend still holds its own copy; see its constructor).
    /// </summary>
    public static float[] DefaultMean(int channels) => channels == 3 ? (float[])ImageNetMean.Clone() : Enumerable.Repeat(0.5f, Math.Max(channels, 1)).ToArray();
    public static float[] DefaultStd(int channels) => channels == 3 ? (float[])ImageNetStd.Clone() : Enumerable.Repeat(0.5f, Math.Max(channels, 1)).ToArray();

    /// <summary>"0.485,0.456,0.406" with invariant culture and round-trip precision.</summary>
    public static string FormatFloats(IEnumerable<float> values) =>
        string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>JSON array of strings, as stored under rr.labels.</summary>
    public static string FormatLabels(IEnumerable<string> labels) => System.Text.Json.JsonSerializer.Serialize(labels.ToArray(), RuntimeJson.Default.StringArray);
}
