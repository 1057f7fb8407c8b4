using System.Globalization;

namespace ResNetRealtime.Experiments;

/// <summary>
/// An experiment's options: <c>--name value</c> pairs and bare <c>--flag</c>s after the experiment's name. Every option
/// must be read by the experiment (<see cref="Done"/> rejects the rest), so a misspelt switch fails with one line
/// instead of silently running the default rows.
/// </summary>
public sealed class ExperimentArgs
{
    readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    readonly HashSet<string> _read = new(StringComparer.Ordinal);
    public IReadOnlyList<string> Positional { get; }

    public ExperimentArgs(IEnumerable<string> args)
    {
        var positional = new List<string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) { positional.Add(a); continue; }
            string name = a[2..];
            if (name.Length == 0) throw new UsageException("an empty option name ('--')");
            bool hasValue = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[name] = hasValue ? list[++i] : "";
        }
        Positional = positional;
    }

    public string Get(string name, string fallback = null)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) ? v : fallback;
    }

    public bool Flag(string name)
    {
        var v = Get(name);
        if (v is null) return false;
        if (v.Length == 0) return true;
        throw new UsageException($"--{name} is a switch and takes no value (got '{v}')");
    }

    public int Int(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)
            ? n : throw new UsageException($"--{name} expects an integer, got '{v}'");
    }

    public float Float(string name, float fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float f)
            ? f : throw new UsageException($"--{name} expects a number, got '{v}'");
    }

    /// <summary>Throws if an option was given that the experiment did not read.</summary>
    public void Done()
    {
        var unread = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unread.Count > 0) throw new UsageException($"unknown option(s) {string.Join(", ", unread.Select(k => "--" + k))}");
    }
}

/// <summary>Bad arguments: Program prints the message and the experiment's usage, exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A condition an experiment's result rests on (a recording with enough frames, a GL state left clean):
/// failing it ends the run with the message rather than printing a table that means nothing.</summary>
public static class Check
{
    public static void That(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }
}
