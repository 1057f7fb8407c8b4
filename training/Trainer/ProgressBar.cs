using System.Diagnostics;
using System.Globalization;

namespace ResNetRealtime.Training.Trainer;

/// <summary>
/// Progress on stderr: on a terminal one line redrawn in place (at most 10 times a second) with the bar,
/// loss, accuracy, images/s and ETA; when stderr is redirected, a plain line every ~10% of an epoch,
/// so logs stay readable.
/// </summary>
public sealed class ProgressBar
{
    readonly TextWriter _out;
    readonly bool _tty;
    readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    int _lastPlainDecile = -1;

    public ProgressBar(TextWriter output = null, bool? interactive = null)
    {
        _out = output ?? Console.Error;
        _tty = interactive ?? !Console.IsErrorRedirected;
    }

    public void Update(int epoch, int epochs, int batch, int batches, double loss, double acc, double imagesPerS, double etaS, bool force = false)
    {
        double frac = batches > 0 ? (double)batch / batches : 1;
        if (_tty)
        {
            if (!force && _sinceDraw.ElapsedMilliseconds < 100) return;
            _sinceDraw.Restart();
            const int width = 24;
            int filled = (int)Math.Round(frac * width);
            _out.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r\x1b[2Kepoch {epoch}/{epochs} [{new string('#', filled)}{new string('.', width - filled)}] {batch}/{batches} loss {loss:F4} acc {acc * 100:F2}% {imagesPerS:F0} img/s ETA {Eta(etaS)}"));
            _out.Flush();
        }
        else
        {
            int decile = (int)(frac * 10);
            if (!force && decile == _lastPlainDecile) return;
            _lastPlainDecile = decile;
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{epochs} batch {batch}/{batches} loss {loss:F4} acc {acc * 100:F2}% {imagesPerS:F0} img/s ETA {Eta(etaS)}"));
        }
    }

    /// <summary>Ends the in-place line and prints an epoch summary.</summary>
    public void Line(string text)
    {
        if (_tty) _out.Write("\r\x1b[2K");
        _out.WriteLine(text);
        _lastPlainDecile = -1;
    }

    static string Eta(double s)
    {
        if (!double.IsFinite(s) || s < 0) return "?";
        var t = TimeSpan.FromSeconds(Math.Round(s));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
    }
}
