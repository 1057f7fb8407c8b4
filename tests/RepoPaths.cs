namespace ResNetRealtime.Tests;

/// <summary>Locates the repository root (the folder holding ResNetRealtime.sln) from the test output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ResNetRealtime.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"ResNetRealtime.sln not found above {AppContext.BaseDirectory}");
    }

    public static string Data(params string[] parts) => Path.Combine([Root, "tests", "data", .. parts]);
}
