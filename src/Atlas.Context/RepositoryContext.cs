using Atlas.Context.Budget;
using Atlas.Context.CSharp;
using Atlas.Context.Heuristics;
using Atlas.Context.Workspace;
using Atlas.Documents;
using Atlas.Engine;
using Microsoft.Extensions.Logging;

namespace Atlas.Context;

/// <summary>
/// The repository-aware prompt source: the window around the cursor cut at line boundaries within the budget, and
/// from the rest of the repository what the model needs and cannot see there — Roslyn declarations for C#; imported
/// files' outlines, similar chunks of other files and recently edited chunks for every language — most relevant
/// first, within the context share. Completions never wait for indexing: they use what is indexed so far.
/// The repository part is kept while the cursor stays on a line and no other file changes, so consecutive
/// keystrokes send the model the same context and the engine reuses its KV cache.
/// </summary>
public sealed class RepositoryContext : IPromptSource
{
    /// <summary>Similar chunks and recent edits each contribute at most this many sections.</summary>
    public const int MostSnippets = 3;

    private readonly WorkspaceIndex _index;
    private readonly CSharpContext _csharp;
    private readonly EditRing _edits;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private (string Uri, int Line, int Changes, int Budget, IReadOnlyList<ContextFile> Files)? _cached;
    private int _changesElsewhere;
    private string? _current;

    public RepositoryContext(WorkspaceIndex index, CSharpContext csharp, EditRing edits, ILogger logger)
    {
        _index = index;
        _csharp = csharp;
        _edits = edits;
        _logger = logger;
        index.FileChanged += (_, path) =>
        {
            if (path != _current) Interlocked.Increment(ref _changesElsewhere);
        };
    }

    /// <summary>Counts tokens with the loaded model's tokenizer (a rough estimate until a model is loaded).</summary>
    public Func<string, int> CountTokens
    {
        get => _countTokens;
        set
        {
            _counts.Clear();
            var count = value;
            // Lines repeat from keystroke to keystroke: each distinct line is tokenized once.
            _countTokens = text =>
            {
                if (_counts.TryGetValue(text, out var n)) return n;
                if (_counts.Count > MaxRemembered) _counts.Clear();
                return _counts[text] = count(text);
            };
        }
    }

    /// <summary>Distinct texts whose token counts are remembered.</summary>
    private const int MaxRemembered = 100_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private Func<string, int> _countTokens = text => text.Length / 4 + 1;

    public ContextBudget Budget { get; set; } = new();

    /// <summary>Forgets the kept repository part, as a change to another file would: the next request builds it anew.</summary>
    public void Invalidate() => Interlocked.Increment(ref _changesElsewhere);

    public async Task<PromptPieces> BuildAsync(TextDocument document, int offset, CancellationToken cancellationToken)
    {
        var budget = Budget;
        var (prefix, suffix) = LineWindow.Fit(document, offset, budget.PrefixTokens, budget.SuffixTokens, CountTokens);
        var path = WorkspaceIndex.TryLocalPath(document.Uri, out var local) ? local : document.Uri;
        var language = SourceLanguage.Of(path, document.LanguageId);
        var context = await RepositoryPartAsync(document, path, language, offset, prefix, budget.ContextTokens, cancellationToken);
        return new PromptPieces(prefix, suffix)
        {
            StartWords = language == "csharp" ? await _csharp.StartWordsAsync(path, document.Text, offset, cancellationToken) : null,
            Context = context,
            FilePath = _index.Relative(path),
            RepositoryName = _index.Roots.FirstOrDefault() is { } root ? Path.GetFileName(root) : null,
            CommentMarker = SourceLanguage.LineComment(language),
        };
    }

    private async Task<IReadOnlyList<ContextFile>> RepositoryPartAsync(TextDocument document, string path, string language, int offset, string window, int budget, CancellationToken cancellationToken)
    {
        // No share for the repository: prompts from the file alone, and no work spent collecting what would not fit.
        if (budget <= 0)
        {
            _logger.LogDebug("Context for {Path}:{Line}: 0 sections, 0 tokens (contextShare 0)", path, document.PositionAt(offset).Line);
            return [];
        }
        var line = document.PositionAt(offset).Line;
        var changes = Volatile.Read(ref _changesElsewhere);
        lock (_gate)
        {
            _current = path;
            if (_cached is { } c && c.Uri == document.Uri && c.Line == line && c.Changes == changes && c.Budget == budget) return c.Files;
        }

        var candidates = new List<ContextFile>();
        if (language == "csharp")
        {
            foreach (var declaration in await _csharp.CollectAsync(path, document.Text, offset, _index.Relative, cancellationToken))
                candidates.Add(new ContextFile(declaration.Source, declaration.Stub));
        }
        else
        {
            var self = new SourceFile(path, _index.Relative(path), language, document.Text);
            foreach (var imported in Imports.Resolve(self, _index))
                candidates.Add(new ContextFile(imported.RelativePath, Imports.Outline(imported)));
        }

        // Chunks like the code around the cursor, from files of the same language. C# has Roslyn's precise answer
        // instead: there, look-alike boilerplate (usings, namespaces) would only bring in unrelated files.
        if (language != "csharp")
        {
            var around = string.Join('\n', window.Split('\n').TakeLast(SimilarChunks.WindowLines));
            var peers = _index.Files.Where(f => f.Path != path && f.Language == language);
            foreach (var (file, chunk, _) in SimilarChunks.Find(around, peers, MostSnippets))
                candidates.Add(new ContextFile(file.RelativePath, chunk));
        }
        foreach (var (editedPath, _, chunk) in _edits.Recent.Where(e => e.Path != path).Take(MostSnippets))
            candidates.Add(new ContextFile(_index.Relative(editedPath), chunk));

        // Most relevant first, within the context share; a section that does not fit is skipped, not cut.
        var files = new List<ContextFile>();
        var used = 0;
        foreach (var candidate in candidates.DistinctBy(c => (c.Path, c.Text)))
        {
            var cost = CountTokens(candidate.Path) + CountTokens(candidate.Text) + 2;
            if (used + cost > budget) continue;
            used += cost;
            files.Add(candidate);
        }
        lock (_gate) _cached = (document.Uri, line, changes, budget, files);
        _logger.LogDebug("Context for {Path}:{Line}: {Count} sections, {Tokens} tokens", path, line, files.Count, used);
        return files;
    }
}
