using Atlas.Context.Budget;
using Atlas.Context.CSharp;
using Atlas.Context.Heuristics;
using Atlas.Context.Workspace;
using Atlas.Documents;
using Microsoft.Extensions.Logging;

namespace Atlas.Context;

/// <summary>
/// Everything the server keeps about the repository, behind the few events an editor sends: folders to index at
/// initialize, documents opened, changed, saved and closed, files changed on disk. Owns the index, the Roslyn view
/// of the C# files, the ring of recent edits, and the prompt source built on them.
/// </summary>
public sealed class RepositoryWorkspace
{
    private readonly ILogger _logger;

    public RepositoryWorkspace(ILogger logger)
    {
        _logger = logger;
        Index = new WorkspaceIndex(logger);
        CSharp = new CSharpContext();
        Edits = new EditRing();
        Prompts = new RepositoryContext(Index, CSharp, Edits, logger);
        Index.FileChanged += (file, path) =>
        {
            if (file is { Language: "csharp" }) CSharp.Update(file.Path, file.Text);
            else if (file is null && path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)) CSharp.Remove(path);
        };
    }

    public WorkspaceIndex Index { get; }
    public CSharpContext CSharp { get; }
    public EditRing Edits { get; }
    public RepositoryContext Prompts { get; }

    /// <summary>Indexes the folders in the background; C# files join the Roslyn view as they are found.</summary>
    public Task IndexAsync(IEnumerable<string> folders) => Indexed = Index.IndexAsync(folders).ContinueWith(t =>
    {
        if (t.IsFaulted) { _logger.LogWarning("Indexing failed: {Message}", t.Exception?.GetBaseException().Message); return; }
        foreach (var file in Index.Files.Where(f => f.Language == "csharp")) CSharp.Update(file.Path, file.Text);
        // A context built while the files were still on their way to Roslyn lacks them: build it again.
        Prompts.Invalidate();
    }, TaskScheduler.Default);

    /// <summary>
    /// Completes when the last <see cref="IndexAsync"/> has indexed its folders and handed the C# files to Roslyn
    /// (completions never wait for it; benchmarks that must compare like with like do).
    /// </summary>
    public Task Indexed { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Warms Roslyn in the background: the compiler on a throwaway file, then the repository's project once the last
    /// <see cref="IndexAsync"/> is done (see <see cref="RoslynWarmUp"/>). Requests never wait for it.
    /// </summary>
    public Task<RoslynWarmth> WarmRoslynAsync(CancellationToken cancellationToken) => new RoslynWarmUp(CSharp).RunAsync(Indexed, cancellationToken);

    public void Opened(TextDocument document) => Index.Update(document);

    public void Changed(TextDocument document, int? editedLine)
    {
        Index.Update(document);
        if (editedLine is { } line && WorkspaceIndex.TryLocalPath(document.Uri, out var path)) Edits.Record(path, document.Text, line);
    }

    /// <summary>A closed document goes back to what is on disk.</summary>
    public void Closed(string uri) => Index.Refresh(uri);

    /// <summary>workspace/didChangeWatchedFiles: 1 created, 2 changed, 3 deleted.</summary>
    public void Watched(string uri, int type)
    {
        if (type == 3) Index.Remove(uri);
        else Index.Refresh(uri);
    }

    /// <summary>Measures budgets with the loaded model's tokenizer; the budget's total is the room its context leaves.</summary>
    public void UseModel(Func<string, int> countTokens, ContextBudget budget)
    {
        Prompts.CountTokens = countTokens;
        Prompts.Budget = budget;
    }
}
