namespace ResNetRealtime.Demo.Sources;

public enum SourceKind { Scene, Webcam, Video, Image, Lavfi }

/// <summary>
/// A parsed --source value: "scene", "webcam[:DEVICE]", "video:PATH", "image:PATH", and
/// "lavfi:GRAPH" (an ffmpeg test pattern standing in for a camera, e.g. lavfi:testsrc2=size=640x480:rate=30).
/// </summary>
public sealed record SourceSpec(SourceKind Kind, string Argument)
{
    public static SourceSpec Parse(string s)
    {
        if (string.IsNullOrWhiteSpace(s) || s == "scene") return new SourceSpec(SourceKind.Scene, null);
        int colon = s.IndexOf(':');
        string head = colon < 0 ? s : s[..colon], rest = colon < 0 ? null : s[(colon + 1)..];
        switch (head)
        {
            case "webcam": return new SourceSpec(SourceKind.Webcam, string.IsNullOrEmpty(rest) ? null : rest);
            case "video" when !string.IsNullOrEmpty(rest): return new SourceSpec(SourceKind.Video, rest);
            case "image" when !string.IsNullOrEmpty(rest): return new SourceSpec(SourceKind.Image, rest);
            case "lavfi" when !string.IsNullOrEmpty(rest): return new SourceSpec(SourceKind.Lavfi, rest);
        }
        throw new ArgumentException($"--source '{s}' is not one of: scene, webcam[:DEVICE], video:PATH, image:PATH, lavfi:GRAPH");
    }

    public override string ToString() => Kind switch
    {
        SourceKind.Scene => "scene",
        SourceKind.Webcam => Argument == null ? "webcam" : $"webcam:{Argument}",
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Argument}",
    };
}
