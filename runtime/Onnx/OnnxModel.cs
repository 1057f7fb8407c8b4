using ResNetRealtime.Runtime.IO;
// OnnxModel (ModelProto): the root of an .onnx file, and the project's only ONNX reader/writer.
//
// Contract:
// - Load/Parse read the subset of onnx.proto the project models (model, graph, nodes, attributes,
//   initializers with raw and typed data, value infos, opset imports, metadata_props). Anything else
//   is kept as raw fields and written back, so Load -> Save loses nothing.
// - Every failure on bad bytes is an InvalidDataException with one line: "<file>: <what is wrong>"
//   (truncated, corrupt, empty, not a model, external data, over 2 GB). Parsing never hangs: the
//   protobuf stream bounds every length by the input and nesting by 100 levels.
// - ToBytes/Save write protobuf that ONNX Runtime and the onnx Python package read. Save is atomic:
//   it writes a temporary file beside the target and renames it over the target.
// - Instances are plain mutable data; not thread-safe for concurrent mutation.
using Google.Protobuf;

namespace ResNetRealtime.Runtime.Onnx;

/// <summary>OperatorSetIdProto: an operator domain ("" = default ONNX ops) and its version.</summary>
internal sealed class OnnxOpset
{
    /// <summary>null or "" = the default ONNX domain. null writes no domain field (as torch.onnx does).</summary>
    public string Domain { get; set; }
    public long Version { get; set; }

    public OnnxOpset() { }
    public OnnxOpset(string domain, long version) { Domain = domain; Version = version; }

    public override string ToString() => $"{(string.IsNullOrEmpty(Domain) ? "ai.onnx" : Domain)}:{Version}";
}

internal sealed class OnnxModel
{
    public long IrVersion { get; set; }
    public string ProducerName { get; set; }
    public string ProducerVersion { get; set; }
    public string Domain { get; set; }
    public long ModelVersion { get; set; }
    public string DocString { get; set; }
    public List<OnnxOpset> OpsetImports { get; set; } = [];
    public OnnxGraph Graph { get; set; } = new();
    public List<KeyValuePair<string, string>> MetadataProps { get; set; } = [];

    internal UnknownFields Unknown { get; set; }

    /// <summary>Version of the default ("" or "ai.onnx") opset; 0 when none is imported.</summary>
    public long DefaultOpsetVersion =>
        OpsetImports.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    /// <summary>Value of a metadata_props entry, or null. If a key repeats, the last one wins (as in ORT).</summary>
    public string GetMetadata(string key)
    {
        string value = null;
        foreach (var kv in MetadataProps) if (kv.Key == key) value = kv.Value;
        return value;
    }

    /// <summary>Sets (replacing every existing entry with the key) or, with a null value, removes a metadata entry.</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        int at = MetadataProps.FindIndex(kv => kv.Key == key);
        MetadataProps.RemoveAll(kv => kv.Key == key);
        if (value == null) return;
        var entry = new KeyValuePair<string, string>(key, value);
        if (at >= 0) MetadataProps.Insert(Math.Min(at, MetadataProps.Count), entry); else MetadataProps.Add(entry);
    }

    // ---------------------------------------------------------------- reading

    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string name = Path.GetFileName(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a directory, not an ONNX model file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: model file not found", path);
        long length = new FileInfo(path).Length;
        if (length > int.MaxValue)
            throw new InvalidDataException($"{name}: {length / (1L << 20)} MB: models over 2 GB are not supported (protobuf limit; use external data with ONNX Runtime directly)");
        return ParseArray(File.ReadAllBytes(path), name);
    }

    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string sourceName = null) => ParseArray(bytes.ToArray(), sourceName);

    /// <summary>Parses without copying <paramref name="bytes"/>; tensors may keep slices of it alive.</summary>
    internal static OnnxModel ParseArray(byte[] bytes, string sourceName)
    {
        string who = string.IsNullOrEmpty(sourceName) ? "ONNX model" : sourceName;
        if (bytes.Length == 0) throw new InvalidDataException($"{who}: empty file (0 bytes), not an ONNX model");
        var input = new CodedInputStream(bytes);
        OnnxModel model;
        var sawGraph = new bool[1];
        try
        {
            model = OnnxSerializer.ReadModel(input, sawGraph);
        }
        catch (InvalidProtocolBufferException e)
        {
            long pos = Math.Max(input.Position, OnnxSerializer.LastFieldStart);   // see LastFieldStart
            bool truncated = pos >= bytes.Length || e.Message.Contains("ended unexpectedly") || e.Message.Contains("truncated");
            throw new InvalidDataException(truncated
                ? $"{who}: truncated protobuf at byte {pos} of {bytes.Length}: not a complete ONNX model"
                : $"{who}: corrupt protobuf at byte {pos} of {bytes.Length}: {FirstSentence(e.Message)}", e);
        }
        catch (OnnxReadException e)
        {
            throw new InvalidDataException($"{who}: {e.Message}", e);
        }
        if (!sawGraph[0]) throw new InvalidDataException($"{who}: not an ONNX model: no graph");
        if (model.IrVersion <= 0) throw new InvalidDataException($"{who}: not an ONNX model: no ir_version (read {model.IrVersion})");
        if (model.Graph.Nodes.Count == 0 && model.Graph.Outputs.Count == 0)
            throw new InvalidDataException($"{who}: not an ONNX model: the graph has no nodes and no outputs");
        return model;
    }

    static string FirstSentence(string message)
    {
        message = message.Replace('\n', ' ').Replace('\r', ' ');
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message.TrimEnd('.');
    }

    // ---------------------------------------------------------------- writing

    /// <summary>Serialized size in bytes.</summary>
    public long CalculateSize()
    {
        var counter = new ProtoSink(null);
        OnnxSerializer.EmitModel(counter, this);
        return counter.Size;
    }

    public byte[] ToBytes()
    {
        long size = CalculateSize();
        if (size > int.MaxValue) throw new InvalidDataException($"model serializes to {size} bytes: over the 2 GB protobuf limit");
        var buffer = new byte[size];
        var output = new CodedOutputStream(buffer);
        OnnxSerializer.EmitModel(new ProtoSink(output), this);
        output.CheckNoSpaceLeft();
        return buffer;
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically (temp file in the same folder, then rename).</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        long size = CalculateSize();
        if (size > int.MaxValue) throw new InvalidDataException($"model serializes to {size} bytes: over the 2 GB protobuf limit");
        AtomicFile.Write(full, s =>
        {
            using var output = new CodedOutputStream(s, leaveOpen: true);
            OnnxSerializer.EmitModel(new ProtoSink(output), this);
            output.Flush();
        });
    }

    public override string ToString() =>
        $"ONNX model ir={IrVersion} opset=[{string.Join(",", OpsetImports)}] producer={ProducerName} {ProducerVersion}, " +
        $"{Graph.Nodes.Count} nodes, {Graph.Initializers.Count} initializers";
}
