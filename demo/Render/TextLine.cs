namespace ResNetRealtime.Demo.Render;

/// <summary>
/// A reusable character buffer for HUD lines, so per-frame text costs no allocation:
/// Clear(), then Append strings and numbers (formatted in place with TryFormat, invariant culture).
/// </summary>
public sealed class TextLine
{
    readonly char[] _buf;
    int _len;

    public TextLine(int capacity = 160) { _buf = new char[capacity]; }

    public ReadOnlySpan<char> Span => _buf.AsSpan(0, _len);
    public TextLine Clear() { _len = 0; return this; }

    public TextLine Append(ReadOnlySpan<char> s)
    {
        int n = Math.Min(s.Length, _buf.Length - _len);
        s[..n].CopyTo(_buf.AsSpan(_len));
        _len += n;
        return this;
    }

    public TextLine Append(double v, string format)
    {
        if (double.IsNaN(v)) return Append("–");
        if (v.TryFormat(_buf.AsSpan(_len), out int n, format, System.Globalization.CultureInfo.InvariantCulture)) _len += n;
        return this;
    }

    public TextLine Append(long v)
    {
        if (v.TryFormat(_buf.AsSpan(_len), out int n, default, System.Globalization.CultureInfo.InvariantCulture)) _len += n;
        return this;
    }

    public override string ToString() => new(Span);
}
