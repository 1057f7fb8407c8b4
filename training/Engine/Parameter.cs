namespace ResNetRealtime.Training.Engine;

/// <summary>
/// A trainable tensor: its values, its accumulated gradient (same length), and the torchvision-style
/// name it is saved and exported under ("layer1.0.conv1.weight"). Optimizers see only this.
/// </summary>
public sealed class Parameter
{
    public Parameter(string name, int[] shape, float[] data = null)
    {
        Name = name;
        Shape = shape;
        int n = 1;
        foreach (var d in shape) n *= d;
        Data = data ?? new float[n];
        if (Data.Length != n) throw new ArgumentException($"parameter {name}: data length {Data.Length} != product of shape [{string.Join(",", shape)}] = {n}");
        Grad = new float[n];
    }

    public string Name { get; }
    public int[] Shape { get; }
    public float[] Data { get; }
    /// <summary>Backward passes accumulate into this (+=); the trainer zeroes it before each step.</summary>
    public float[] Grad { get; }
    /// <summary>False for frozen parameters: no gradient is accumulated and optimizers skip them.</summary>
    public bool RequiresGrad { get; set; } = true;
    /// <summary>Weight decay applies to conv/linear weights only, not to BatchNorm scales or biases.</summary>
    public bool Decay { get; set; } = true;
    /// <summary>Optimizer parameter group (e.g. "pretrained" at a tenth of the learning rate); null = default.</summary>
    public string Group { get; set; }

    public void ZeroGrad() => Array.Clear(Grad);
}
