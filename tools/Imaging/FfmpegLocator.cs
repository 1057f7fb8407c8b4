using ResNetRealtime.Runtime;
using ResNetRealtime.Runtime.Imaging;
namespace ResNetRealtime.Tools.Imaging;

/// <summary>
/// Which ffmpeg the tools run (image decoding, the demo's cameras and videos): the one beside the executable first
/// (the win-x64 build ships ffmpeg.exe there: tools/build/Ffmpeg.targets), else the bare name, which the OS resolves
/// on PATH (Linux/macOS: the system's ffmpeg). <see cref="NotFound"/> and <see cref="CannotStart"/> are the one-line
/// errors, with the platform's own fix.
/// </summary>
public static class FfmpegLocator
{
    static string ExeName(string tool) => OperatingSystem.IsWindows() ? tool + ".exe" : tool;

    /// <summary>Full path of <paramref name="tool"/> ("ffmpeg", "ffprobe") beside the app, else its bare name (PATH).</summary>
    public static string Find(string tool = "ffmpeg")
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(Environment.ProcessPath) })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            string p = Path.Combine(dir, ExeName(tool));
            if (File.Exists(p)) return p;
        }
        return tool;
    }

    /// <summary>The ffmpeg to run (<see cref="Find"/>).</summary>
    public static string Ffmpeg => Find("ffmpeg");

    /// <summary>Where to get ffmpeg on this platform.</summary>
    public static string InstallHint => OperatingSystem.IsWindows()
        ? "the win-x64 build ships ffmpeg.exe beside rr.exe (build or publish with -r win-x64), or put an ffmpeg.exe on PATH"
        : OperatingSystem.IsMacOS() ? "install ffmpeg (brew install ffmpeg) or put it on PATH"
        : "install ffmpeg (Debian: apt-get install ffmpeg) or put it on PATH";

    /// <summary>True when a process start failure means the program is not there (rather than there but unable to start).</summary>
    public static bool IsNotFound(System.ComponentModel.Win32Exception e) => e.NativeErrorCode is 2 or 3;   // ENOENT / ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND

    /// <summary>One line for a failed start of <paramref name="program"/>: not found (where it was looked for and the fix)
    /// or found but unable to start (the OS's reason: not an executable for this machine, no permission).</summary>
    public static string StartFailure(string program, System.ComponentModel.Win32Exception e) => IsNotFound(e)
        ? $"'{program}' was not found{(Path.IsPathRooted(program) ? "" : $" beside {ExeName("rr")} ({AppContext.BaseDirectory.TrimEnd('/', '\\')}) or on PATH")}; {InstallHint}"
        : $"'{program}' could not be started ({e.Message}, error {e.NativeErrorCode}); {InstallHint}";
}
