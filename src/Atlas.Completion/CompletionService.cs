using System.Diagnostics;
using Atlas.Context;
using Atlas.Documents;
using Atlas.Engine;
using Microsoft.Extensions.Logging;

namespace Atlas.Completion;

/// <summary>How a completion request should run: the settings that are not the engine's own.</summary>
public sealed record CompletionOptions
{
    public LineMode Mode { get; init; } = LineMode.Auto;
    public int MaxTokens { get; init; } = CompletionRequest.DefaultMaxTokens;
    public TimeSpan TimeBudget { get; init; } = CompletionRequest.DefaultTimeBudget;
}

/// <summary>
/// An answered request, ready for the protocol: the text that replaces <see cref="ReplacedLength"/> characters at the
/// cursor (0: inserted there), or null when nothing is worth showing (the model wrote only what is already there, or
/// the language's check dropped it), and where the time went either way.
/// </summary>
public sealed record Suggestion(string? Text, int Offset, bool FromCache, bool SingleLine, CompletionTimings? Timings, double TotalMs, double EngineMs)
{
    /// <summary>Characters after the cursor, on its line, that the suggestion replaces (see <see cref="SuggestionCleaner.ReplacedLength"/>).</summary>
    public int ReplacedLength { get; init; }

    /// <summary>What the model wrote, before any post-processing (null when answered from the cache).</summary>
    public string? ModelText { get; init; }

    /// <summary>What the cleaner made of it, before the language's check (benchmarks measure each stage's effect).</summary>
    public string? CleanedText { get; init; }

    /// <summary>
    /// Which stage emptied or shortened the model's text, and why, for the log's one line per answer; null when it is
    /// shown as the model wrote it (trailing whitespace aside) or came from the cache.
    /// </summary>
    public string? Why { get; init; }
}

/// <summary>
/// The answer to an explicit request: the candidates to show, best first, what the model wrote for each (in its own
/// order, the greedy answer first), and where the time went.
/// </summary>
public sealed record CandidateSuggestions(IReadOnlyList<Candidate> Ordered, IReadOnlyList<Atlas.Engine.Completion> Written, int Offset, double TotalMs, double EngineMs)
{
    /// <summary>What an automatic request would have shown: the greedy answer as cleaned and checked (null: nothing).</summary>
    public Candidate? Greedy => Ordered.FirstOrDefault(c => c.ModelRank == 0);

    /// <summary>The ordering put another candidate first than the model's own first shown one.</summary>
    public bool Reordered => Ordered.Count > 1 && Ordered[0].ModelRank != Ordered.Min(c => c.ModelRank);
}

/// <summary>
/// A language's own check of a cleaned suggestion that would replace <paramref name="replacedLength"/> characters at
/// <paramref name="offset"/>: the suggestion, a prefix of it that passes, or null to show nothing.
/// </summary>
public delegate string? SuggestionCheck(TextDocument document, int offset, int replacedLength, string suggestion, CancellationToken cancellationToken);

/// <summary>
/// The protocol-independent completion pipeline: document + cursor → prompt pieces → engine → cleaned suggestion.
/// A request for a document supersedes the one still running for it.
/// </summary>
public sealed class CompletionService(IPromptSource prompts, SuggestionCache cache, ILogger logger)
{

    /// <summary>Replaces how prompts are built (the repository-aware builder plugs in here).</summary>
    public IPromptSource Prompts { get; set; } = prompts;

    /// <summary>Checks suggestions from the model before they are shown (the server plugs in Roslyn's syntax guard for C#).</summary>
    public SuggestionCheck? Check { get; init; }

    private readonly LatestRequests _latest = new();

    /// <summary>
    /// Starts a request for a document: cancels the one still running for it and returns this one's cancellation,
    /// to be disposed when it ends. Call it before anything that waits, so requests supersede in arrival order.
    /// </summary>
    public LatestRequests.Scope Supersede(string uri, CancellationToken cancellationToken) => _latest.Start(uri, cancellationToken);

    /// <summary>
    /// Suggests a completion at the position; the answer's text is null when there is nothing to show. Pass the token of a <see cref="Supersede"/> taken when the request
    /// arrived, so a newer request for the same document cancels this one.
    /// </summary>
    public Task<Suggestion> SuggestAsync(CompletionEngine engine, TextDocument document, TextPosition position, CompletionOptions options, CancellationToken cancellationToken) =>
        SuggestLatestAsync(engine, document, position, options, cancellationToken);

    private async Task<Suggestion> SuggestLatestAsync(CompletionEngine engine, TextDocument document, TextPosition position, CompletionOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var offset = document.OffsetAt(position);
        var line = document.LineText(position.Line);
        var before = line[..position.Character];
        var after = line[position.Character..];
        var singleLine = LineModes.IsSingleLine(options.Mode, before, after);

        if (cache.Remainder(document, offset) is { } remainder)
        {
            var cached = singleLine ? FirstLine(remainder) : remainder;
            // Already checked when it was made: what the user typed of it changed nothing after the cursor.
            if (SuggestionCleaner.Clean(cached, after, "") is { } fromCache)
                return new Suggestion(fromCache, offset, true, singleLine, null, clock.Elapsed.TotalMilliseconds, 0) { ReplacedLength = SuggestionCleaner.ReplacedLength(fromCache, after) };
        }

        var pieces = await Prompts.BuildAsync(document, offset, cancellationToken);
        var request = Request(pieces, options, singleLine, document.Uri);
        var engineClock = Stopwatch.StartNew();
        var completion = await engine.CompleteAsync(request, cancellationToken);
        var engineMs = engineClock.Elapsed.TotalMilliseconds;
        var text = SuggestionCleaner.Clean(completion.Text, after, pieces.Suffix);
        var cleaned = text;
        var replaced = text is null ? 0 : SuggestionCleaner.ReplacedLength(text, after);
        var why = Cleaning(completion.Text, cleaned, completion.StopReason);
        if (text is not null && Check is not null)
        {
            var checkedText = Check(document, offset, replaced, text, cancellationToken);
            if (checkedText != text)
                why = checkedText is null
                    ? $"the syntax check dropped all {text.Length} chars (every line of it adds a syntax error)"
                    : $"the syntax check cut it from {text.Length} to {checkedText.Length} chars (the rest adds a syntax error)";
            text = checkedText;
        }
        if (text is not null) cache.Remember(document, offset, text);
        logger.LogDebug("Completion at {Uri}:{Position}: {Chars} chars ({Stop}) {Timings}", document.Uri, position, text?.Length ?? 0, completion.StopReason, completion.Timings);
        return new Suggestion(text, offset, false, singleLine, completion.Timings, clock.Elapsed.TotalMilliseconds, engineMs)
        {
            ReplacedLength = replaced,
            ModelText = completion.Text,
            CleanedText = cleaned,
            Why = why,
        };
    }

    /// <summary>
    /// Several suggestions at the position, for when the user asks (an editor's "trigger suggestion"): up to
    /// <paramref name="count"/> different ones the model wrote (<see cref="CompletionEngine.CompleteCandidatesAsync"/>),
    /// each through the same cleaning and language check as <see cref="SuggestAsync"/>, ordered by
    /// <see cref="CandidateRanking"/> with the language's compile check. The model's first is the suggestion
    /// <see cref="SuggestAsync"/> would make; the cache is skipped (the user asked for the model), and the best candidate
    /// is remembered so typing through it costs nothing.
    /// </summary>
    public async Task<CandidateSuggestions> SuggestCandidatesAsync(CompletionEngine engine, TextDocument document, TextPosition position, CompletionOptions options, int count, CompileCheck? compile, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var offset = document.OffsetAt(position);
        var line = document.LineText(position.Line);
        var after = line[position.Character..];
        var singleLine = LineModes.IsSingleLine(options.Mode, line.AsSpan(0, position.Character), after);

        var pieces = await Prompts.BuildAsync(document, offset, cancellationToken);
        var request = Request(pieces, options, singleLine, document.Uri);
        string? Clean(string text) => SuggestionCleaner.Clean(text, after, pieces.Suffix);
        // Candidates differ by what would be shown: cleaned and checked, as the ranking below will see them.
        string? Shown(string text) => Clean(text) is { } cleaned && Check is { } check
            ? check(document, offset, SuggestionCleaner.ReplacedLength(cleaned, after), cleaned, cancellationToken)
            : Clean(text);
        var engineClock = Stopwatch.StartNew();
        var completions = await engine.CompleteCandidatesAsync(request, count, Shown, cancellationToken);
        var engineMs = engineClock.Elapsed.TotalMilliseconds;

        var ranked = await CandidateRanking.RankAsync(document, offset, [.. completions.Select(c => Clean(c.Text))], Check, compile, cancellationToken);
        if (ranked.Count > 0) cache.Remember(document, offset, ranked[0].Text);
        logger.LogDebug("Candidates at {Uri}:{Position}: {Count} of {Written} shown, model ranks {Ranks}", document.Uri, position, ranked.Count, completions.Count, string.Join(",", ranked.Select(c => c.ModelRank)));
        return new CandidateSuggestions(ranked, completions, offset, clock.Elapsed.TotalMilliseconds, engineMs);
    }

    private static CompletionRequest Request(PromptPieces pieces, CompletionOptions options, bool singleLine, string uri) => new()
    {
        Prefix = pieces.Prefix,
        Suffix = pieces.Suffix,
        Context = pieces.Context,
        FilePath = pieces.FilePath,
        RepositoryName = pieces.RepositoryName,
        CommentMarker = pieces.CommentMarker,
        StartWords = pieces.StartWords,
        MaxTokens = options.MaxTokens,
        TimeBudget = options.TimeBudget,
        SingleLine = singleLine,
        SupersedeKey = uri,
    };

    /// <summary>What the cleaner did to the model's text, when it did more than trim trailing whitespace.</summary>
    private static string? Cleaning(string model, string? cleaned, object stopReason) =>
        model.Trim().Length == 0 ? $"the model wrote nothing to show (stopped: {stopReason})"
        : cleaned is null ? $"the cleaner dropped all {model.Length} chars (they only repeat the code after the cursor)"
        : cleaned.Length < model.TrimEnd().Length ? $"the cleaner cut it from {model.TrimEnd().Length} to {cleaned.Length} chars (the rest repeats the code after the cursor)"
        : null;

    private static string FirstLine(string text) => text.IndexOf('\n') is var i and >= 0 ? text[..i] : text;
}
