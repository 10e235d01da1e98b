namespace Atlas.Lsp.Tests;

/// <summary>The sample repositories checked in under tests/Samples/context (C#, Python, TypeScript).</summary>
internal static class Samples
{
    public static string Repository(string name) => ChildProcess.InRepository("tests", "Samples", "context", name);
}
