namespace Atlas.Lsp.Tests;

/// <summary>The sample repositories checked in under tests/Samples/context (C#, Python, TypeScript).</summary>
internal static class Samples
{
    public static string Repository(string name)
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "tests", "Samples", "context", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"No tests/Samples/context/{name} above {AppContext.BaseDirectory}.");
    }
}
