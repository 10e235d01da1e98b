using Atlas.Documents;
using Atlas.Engine;
using Atlas.TestModels;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Context.Tests;

/// <summary>The sample repositories under tests/Samples/context, and the tiny model's tokenizer to measure budgets with.</summary>
public sealed class ContextFixture : IAsyncLifetime
{
    public CompletionEngine Engine { get; private set; } = null!;

    public static string Samples { get; } = FindSamples();

    public async Task InitializeAsync() =>
        Engine = await CompletionEngine.LoadAsync(new EngineSettings { ModelPath = SharedModels.Find(SharedModels.TinyLlama), ContextSize = 2048 });

    public Task DisposeAsync()
    {
        Engine.Dispose();
        return Task.CompletedTask;
    }

    public int Count(string text) => Engine.Model.CountTokens(text);

    /// <summary>An indexed workspace over one sample repository, measuring with the model's tokenizer.</summary>
    public async Task<RepositoryWorkspace> Workspace(string sample, int budget = 1500)
    {
        var workspace = new RepositoryWorkspace(NullLogger.Instance);
        await workspace.IndexAsync([Path.Combine(Samples, sample)]);
        workspace.UseModel(Count, new Atlas.Context.Budget.ContextBudget { TotalTokens = budget });
        return workspace;
    }

    /// <summary>A sample file opened at the end of the line that contains <paramref name="marker"/>.</summary>
    public static (TextDocument Document, int Offset) OpenAt(string sample, string relativePath, string marker)
    {
        var path = Path.Combine(Samples, sample, relativePath);
        var text = File.ReadAllText(path);
        var document = new TextDocument(new Uri(path).AbsoluteUri, SourceLanguage.Of(path), 1, text);
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{marker} not in {relativePath}");
        var lineEnd = text.IndexOf('\n', at);
        return (document, lineEnd < 0 ? text.Length : lineEnd);
    }

    private static string FindSamples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Samples", "context");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/Samples/context not found above the test binaries.");
    }
}
