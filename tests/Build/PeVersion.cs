using System.Buffers.Binary;
using System.Text;

namespace ResNetRealtime.Tests.Build;

/// <summary>
/// The FileVersion of a Windows PE file (DLL/EXE), read on any OS. System.Diagnostics.FileVersionInfo
/// reads native version resources only on Windows, so this finds the VS_VERSIONINFO resource itself:
/// its UTF-16 key "VS_VERSION_INFO", then the VS_FIXEDFILEINFO that follows it (signature 0xFEEF04BD,
/// then dwStrucVersion, dwFileVersionMS, dwFileVersionLS — each a little-endian uint32).
/// </summary>
public static class PeVersion
{
    const uint FixedFileInfoSignature = 0xFEEF04BD;

    /// <summary>Major.Minor.Build.Revision from VS_FIXEDFILEINFO; throws when the file has no version resource.</summary>
    public static Version FileVersion(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 2 || b[0] != 'M' || b[1] != 'Z') throw new InvalidDataException($"{path} is not a PE file (no MZ header)");
        int key = b.AsSpan().IndexOf(Encoding.Unicode.GetBytes("VS_VERSION_INFO"));
        if (key < 0) throw new InvalidDataException($"{path} has no VS_VERSION_INFO resource");
        // The fixed info follows the key and its padding to a 4-byte boundary: within a few dozen bytes.
        Span<byte> sig = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(sig, FixedFileInfoSignature);
        int rel = b.AsSpan(key, Math.Min(128, b.Length - key)).IndexOf(sig);
        if (rel < 0 || key + rel + 16 > b.Length) throw new InvalidDataException($"{path}: VS_VERSION_INFO without a VS_FIXEDFILEINFO");
        int at = key + rel;
        uint ms = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 8));
        uint ls = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 12));
        return new Version((int)(ms >> 16), (int)(ms & 0xFFFF), (int)(ls >> 16), (int)(ls & 0xFFFF));
    }
}
