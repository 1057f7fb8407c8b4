namespace ResNetRealtime.Demo.App;

/// <summary>A copy of one classification, owned by the render thread (nothing in it is shared with the worker).</summary>
public sealed class ResultSnapshot
{
    public readonly int[] TopIndex = new int[5];
    public readonly string[] TopLabel = new string[5];
    public readonly float[] TopProb = new float[5];
    public int Count;
    public long FrameSequence = -1;
    public int TrueLabel = -1;
    public long CaptureTimestamp;
    /// <summary>CPU path: CPU times; gl path: preprocess/inference are GPU time, postprocess is the readback.</summary>
    public double PreprocessMs, InferenceMs, PostprocessMs, CamMs;
    /// <summary>gl path: wall time from Submit to the poll that returned the logits (NaN on the CPU path).</summary>
    public double SubmitToResultMs = double.NaN;
    /// <summary>gl path: frames (Update calls) the inference was spread over; 0 on the CPU path.</summary>
    public int Updates;
    /// <summary>The heatmap and mosaic come either as CPU arrays (Heat/Mosaic) or as GL textures (HeatTexture/
    /// MosaicTexture, non-zero); values 0..1, row 0 = top, either way.</summary>
    public float[] Heat = new float[0];
    public uint HeatTexture;
    public int HeatW, HeatH;
    public float[] Mosaic = new float[0];
    public uint MosaicTexture;
    public int MosaicW, MosaicH, MosaicChannels;
    public string MosaicLayer;
    public int Depth;
    public string Backend;
    public long Version;
}
