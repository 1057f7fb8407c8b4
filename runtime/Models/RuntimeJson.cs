using System.Text.Json.Serialization;

namespace ResNetRealtime.Runtime.Models;

/// <summary>
/// The runtime's JSON shapes, generated at compile time: reflection-based System.Text.Json is disabled under
/// NativeAOT and trimming (the native library), so every (de)serialization in the plugin goes through this context.
/// The value types are listed for <see cref="Quantization.Int8Quantizer"/>'s recipe, a dictionary of object values.
/// </summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(double))]
internal sealed partial class RuntimeJson : JsonSerializerContext;
