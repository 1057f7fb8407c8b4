using System.Runtime.InteropServices;

namespace ResNetRealtime.Demo.Text;

/// <summary>
/// The slice of FreeType 2 (libfreetype.so.6) needed to rasterise glyphs: library/face lifetime,
/// pixel size, FT_Load_Char with FT_LOAD_RENDER, and reads of the public FT_FaceRec / FT_GlyphSlotRec /
/// FT_SizeRec prefixes. Struct prefixes use CLong for FT_Long/FT_Pos so the layout is right on both
/// LP64 (Linux, macOS) and LLP64 (Windows). Only the fields up to the ones read are declared.
/// </summary>
internal static unsafe class FreeType
{
    public const int LOAD_RENDER = 1 << 2;
    public const int LOAD_TARGET_LIGHT = 1 << 16;
    public const byte PIXEL_MODE_GRAY = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct Generic { public nint Data, Finalizer; }

    [StructLayout(LayoutKind.Sequential)]
    public struct FaceRec
    {
        public CLong NumFaces, FaceIndex, FaceFlags, StyleFlags, NumGlyphs;
        public nint FamilyName, StyleName;
        public int NumFixedSizes;
        public nint AvailableSizes;
        public int NumCharmaps;
        public nint Charmaps;
        public Generic Generic;
        public CLong BBoxXMin, BBoxYMin, BBoxXMax, BBoxYMax;
        public ushort UnitsPerEM;
        public short Ascender, Descender, Height, MaxAdvanceWidth, MaxAdvanceHeight, UnderlinePosition, UnderlineThickness;
        public GlyphSlotRec* Glyph;
        public SizeRec* Size;
        public nint Charmap;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SizeRec
    {
        public nint Face;
        public Generic Generic;
        public ushort XPpem, YPpem;
        public CLong XScale, YScale, Ascender, Descender, Height, MaxAdvance; // 26.6 fixed point
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Bitmap
    {
        public uint Rows, Width;
        public int Pitch;
        public byte* Buffer;
        public ushort NumGrays;
        public byte PixelMode, PaletteMode;
        public nint Palette;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct GlyphSlotRec
    {
        public nint Library, Face, Next;
        public uint GlyphIndex;
        public Generic Generic;
        public CLong Width, Height, HoriBearingX, HoriBearingY, HoriAdvance, VertBearingX, VertBearingY, VertAdvance;
        public CLong LinearHoriAdvance, LinearVertAdvance;
        public CLong AdvanceX, AdvanceY; // 26.6
        public int Format;
        public Bitmap Bitmap;
        public int BitmapLeft, BitmapTop;
    }

    static nint _lib;
    static string _loadError;
    static delegate* unmanaged<nint*, int> _initFreeType;
    static delegate* unmanaged<nint, int> _doneFreeType;
    static delegate* unmanaged<nint, byte*, CLong, FaceRec**, int> _newFace;
    static delegate* unmanaged<FaceRec*, int> _doneFace;
    static delegate* unmanaged<FaceRec*, uint, uint, int> _setPixelSizes;
    static delegate* unmanaged<FaceRec*, CULong, int, int> _loadChar;

    public static bool TryLoad(out string error)
    {
        if (_lib != 0) { error = null; return true; }
        if (_loadError != null) { error = _loadError; return false; }
        string[] names = OperatingSystem.IsWindows() ? new[] { "freetype.dll", "libfreetype-6.dll" }
            : OperatingSystem.IsMacOS() ? new[] { "libfreetype.6.dylib", "libfreetype.dylib" }
            : new[] { "libfreetype.so.6", "libfreetype.so" };
        nint lib = 0;
        foreach (var n in names) if (NativeLibrary.TryLoad(n, out lib)) break;
        if (lib == 0)
        {
            error = _loadError = $"FreeType is not installed ({string.Join(" / ", names)} not found; on Debian: apt-get install libfreetype6)";
            return false;
        }
        _initFreeType = (delegate* unmanaged<nint*, int>)NativeLibrary.GetExport(lib, "FT_Init_FreeType");
        _doneFreeType = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "FT_Done_FreeType");
        _newFace = (delegate* unmanaged<nint, byte*, CLong, FaceRec**, int>)NativeLibrary.GetExport(lib, "FT_New_Face");
        _doneFace = (delegate* unmanaged<FaceRec*, int>)NativeLibrary.GetExport(lib, "FT_Done_Face");
        _setPixelSizes = (delegate* unmanaged<FaceRec*, uint, uint, int>)NativeLibrary.GetExport(lib, "FT_Set_Pixel_Sizes");
        _loadChar = (delegate* unmanaged<FaceRec*, CULong, int, int>)NativeLibrary.GetExport(lib, "FT_Load_Char");
        _lib = lib;
        error = null;
        return true;
    }

    static void Check(int err, string what)
    {
        if (err != 0) throw new InvalidOperationException($"FreeType {what} failed (FT_Error {err})");
    }

    public static nint InitLibrary()
    {
        if (!TryLoad(out var e)) throw new InvalidOperationException(e);
        nint lib;
        Check(_initFreeType(&lib), "FT_Init_FreeType");
        return lib;
    }

    public static void DoneLibrary(nint lib) { if (lib != 0) _doneFreeType(lib); }

    public static FaceRec* NewFace(nint lib, string path)
    {
        var p = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        FaceRec* face;
        int err;
        fixed (byte* pp = p) err = _newFace(lib, pp, new CLong(0), &face);
        if (err != 0) throw new InvalidDataException($"FreeType could not open font '{path}' (FT_Error {err})");
        return face;
    }

    public static void DoneFace(FaceRec* face) { if (face != null) _doneFace(face); }
    public static void SetPixelSizes(FaceRec* face, int px) => Check(_setPixelSizes(face, 0, (uint)px), "FT_Set_Pixel_Sizes");
    public static int LoadChar(FaceRec* face, uint ch, int flags) => _loadChar(face, new CULong(ch), flags);
}
