using ResNetRealtime.Runtime.Imaging;
using ResNetRealtime.Runtime.Inference;

namespace ResNetRealtime.Tests.Examples;

/// <summary>The host-app example shown in README.md (a test keeps the two identical).</summary>
public static class EmbeddingExample
{
    public static void Run(string modelPath, byte[] bgra, int width, int height)
    {
        // embedding example
        using var classifier = Classifier.Create(modelPath, new ClassifierOptions { Backend = "ort-cpu", Threads = 2, TopK = 5 });
        var result = classifier.Classify(bgra, width, height, width * 4, PixelFormat.Bgra32);
        foreach (var p in result.TopK)
            Console.WriteLine($"{p.Label}: {p.Probability:P1}");
        Console.WriteLine($"latency: {result.Latency}");
    }
}
