namespace ResNetRealtime.Runtime.IO;

/// <summary>
/// Replace-by-rename writes: the content goes to "PATH.tmp-PID" in the same directory, is flushed to
/// disk (fsync), and only then renamed over PATH. A failure at any point (a full disk, a killed
/// process) leaves the previous PATH as it was; the temporary file is removed on failure.
/// Every file the project writes for a user to keep (models, checkpoints, recordings, metrics, the
/// shader cache) goes through here, so "never lost work" is one mechanism, not several.
/// A SIGKILL cannot run the clean-up: <see cref="RemoveStaleTemps"/> removes the temporary files of
/// writers that are no longer alive (the PID in the name owns the file).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes PATH through <paramref name="write"/>. <paramref name="openTemp"/> opens the temporary
    /// file (tests inject a failing stream here); by default a FileStream.</summary>
    public static void Write(string path, Action<Stream> write, Func<string, Stream> openTemp = null)
    {
        var full = Path.GetFullPath(path);
        var tmp = $"{full}.tmp-{Environment.ProcessId}";
        try
        {
            using (var s = openTemp != null ? openTemp(tmp) : new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(s);
                if (s is FileStream fs) fs.Flush(flushToDisk: true);
                else s.Flush();
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text, Func<string, Stream> openTemp = null) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true); w.Write(text); }, openTemp);

    /// <summary>Deletes "NAME.tmp-PID" files in <paramref name="dir"/> whose writer PID is not a running process
    /// (a writer killed mid-write); a live PID's file may be a write in progress and is left alone. Files of this
    /// process's own PID are removed too (a recycled PID, common in containers): call it before writing into dir.
    /// Returns the names removed.</summary>
    public static List<string> RemoveStaleTemps(string dir)
    {
        var removed = new List<string>();
        if (!Directory.Exists(dir)) return removed;
        foreach (var f in Directory.EnumerateFiles(dir, "*.tmp-*"))
        {
            var name = Path.GetFileName(f);
            int at = name.LastIndexOf(".tmp-", StringComparison.Ordinal);
            if (!int.TryParse(name.AsSpan(at + 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid != Environment.ProcessId && IsAlive(pid)) continue;
            try { File.Delete(f); removed.Add(name); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    static bool IsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }      // no such process
        catch (InvalidOperationException) { return false; }
    }
}
