using ResNetRealtime.Demo.Platform;

namespace ResNetRealtime.Demo.App;

/// <summary>
/// The demo's live controls as one table. A key pressed in the window and a key replayed by
/// `--keys FRAME:KEY,...` (headless runs, tests, scripted recordings) go through the same
/// <c>DemoRunner.OnKey</c>, so what the tests drive is what a user's keyboard drives.
/// </summary>
public static class DemoKeys
{
    public const string Help = "1-5 depth 18/34/50/101/152 · B backend · H heatmap · M mosaic · L mosaic layer · P screenshot · Space pause · Esc/Q quit";
    /// <summary>--teach: the backbone is fixed, so the digits teach classes instead of choosing a depth.</summary>
    public const string TeachHelp = "1-9 teach the frame as class 1-9 (hold: burst) · C then 1-9 clear that class · S save (--save-teach) · H heatmap · M mosaic · L mosaic layer · P screenshot · Space pause · Esc/Q quit";

    /// <summary>The demo's actions, named by the character --keys uses for them.</summary>
    public const char Depth1 = '1', Backend = 'b', Heat = 'h', Mosaic = 'm', Layer = 'l', Screenshot = 'p', Pause = ' ', Quit = 'q', Clear = 'c', Save = 's';

    /// <summary>Window key codes (<see cref="WindowKeys"/>: digits and letters are their ASCII codes) → action characters
    /// (several keys may share an action).</summary>
    public static readonly (int Key, char Action)[] Window =
    {
        ('1', '1'), ('2', '2'), ('3', '3'), ('4', '4'), ('5', '5'), ('6', '6'), ('7', '7'), ('8', '8'), ('9', '9'),
        ('C', Clear), ('S', Save),
        ('B', Backend), ('H', Heat), ('M', Mosaic), ('L', Layer),
        ('P', Screenshot), (WindowKeys.F12, Screenshot), (WindowKeys.Space, Pause),
        (WindowKeys.Escape, Quit), ('Q', Quit),
    };

    /// <summary>
    /// Parses `--keys` ("10:2,25:b,40:space"): at frame FRAME (0-based) act as if KEY was pressed.
    /// Returned in frame order (a stable sort: two keys on one frame keep their order).
    /// </summary>
    public static (long Frame, char Key)[] Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return Array.Empty<(long, char)>();
        var list = new List<(long Frame, char Key)>();
        foreach (var raw in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = raw.IndexOf(':');
            if (colon <= 0 || !long.TryParse(raw.AsSpan(0, colon), out long frame) || frame < 0)
                throw new ArgumentException($"--keys entry '{raw}' is not FRAME:KEY with FRAME a frame number ≥ 0");
            string key = raw[(colon + 1)..].ToLowerInvariant();
            char c = key switch
            {
                "space" => Pause,
                "esc" => Quit,
                _ when key.Length == 1 && (key[0] is >= '1' and <= '9' || "bhmlpqcs".Contains(key[0])) => key[0],
                _ => throw new ArgumentException($"--keys entry '{raw}': '{key}' is not a demo key (one of 1-9, b, h, m, l, p, q, c, s, space, esc)"),
            };
            list.Add((frame, c));
        }
        return list.OrderBy(k => k.Frame).ToArray();
    }
}
