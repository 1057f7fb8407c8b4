namespace ResNetRealtime.Cli;

/// <summary>Thrown for bad command-line input; Program prints its message as one line and exits 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}

/// <summary>
/// Minimal "--name value" / "--flag" parser. Every option a verb reads is marked used; Finish()
/// rejects leftovers, so a typo such as --frame fails loudly instead of being ignored.
/// </summary>
public sealed class Args
{
    readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        string pending = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending != null) _values[pending] = null;
                int eq = a.IndexOf('=');
                if (eq > 2) { _values[a[2..eq]] = a[(eq + 1)..]; pending = null; }
                else pending = a[2..];
            }
            else if (pending != null) { _values[pending] = a; pending = null; }
            else throw new UsageException($"unexpected argument '{a}' (options are --name value)");
        }
        if (pending != null) _values[pending] = null;
    }

    public bool Has(string name) { _used.Add(name); return _values.ContainsKey(name); }

    public bool Flag(string name)
    {
        if (!Has(name)) return false;
        var v = _values[name];
        if (v == null || v == "true") return true;
        if (v == "false") return false;
        throw new UsageException($"--{name} is a flag and takes no value (got '{v}')");
    }

    public string String(string name, string fallback = null)
    {
        if (!Has(name)) return fallback;
        return _values[name] ?? throw new UsageException($"--{name} needs a value");
    }

    public string Required(string name) =>
        String(name) ?? throw new UsageException($"--{name} is required");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = String(name);
        if (s == null) return fallback;
        if (!int.TryParse(s, out int v)) throw new UsageException($"--{name} must be an integer (got '{s}')");
        if (v < min || v > max) throw new UsageException($"--{name} must be in [{min}, {max}] (got {v})");
        return v;
    }

    public double Double(string name, double fallback)
    {
        var s = String(name);
        if (s == null) return fallback;
        if (!double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v))
            throw new UsageException($"--{name} must be a number (got '{s}')");
        return v;
    }

    public int[] IntList(string name, int[] fallback)
    {
        var s = String(name);
        if (s == null) return fallback;
        try { return s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray(); }
        catch (FormatException) { throw new UsageException($"--{name} must be a comma-separated list of integers (got '{s}')"); }
    }

    public string[] List(string name) =>
        String(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Array.Empty<string>();

    /// <summary>Call after reading every option: unknown options are an error.</summary>
    public void Finish()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown option{(unknown.Count > 1 ? "s" : "")}: {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}
