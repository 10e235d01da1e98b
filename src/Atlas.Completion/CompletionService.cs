using System.Diagnostics;
using Atlas.Completion.Pacing;
using Atlas.Completion.Filters;
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
    /// <summary>How long an automatic request waits for the next keystroke before the model runs.</summary>
    public Debounce Debounce { get; init; } = Debounce.Adaptive;
    /// <summary>Median latency of the recent model runs above which the user is told completions are slow.</summary>
    public double SlowLatencyMs { get; init; } = DefaultSlowLatencyMs;

    public const double DefaultSlowLatencyMs = 1500;
    /// <summary>Which filters trim multi-line suggestions (atlas.multiLineFilters).</summary>
    public MultiLineFilters Filters { get; init; } = MultiLineFilterSet.Default;
}

/// <summary>Why a completion is asked for, which decides whether it waits and how it counts.</summary>
public enum CompletionTrigger
{
    /// <summary>The editor asks as the user types: debounced, and a newer keystroke supersedes it.</summary>
    Automatic,
    /// <summary>The user asked (VS Code's "Trigger inline suggestion"): no waiting.</summary>
    Invoked,
    /// <summary>
    /// Made ahead of a request that may come (the suggestion after a shown one is accepted): no waiting, not counted
    /// in the latency the user sees, and superseded by the next background request instead of the document's.
    /// </summary>
    Background,
}

/// <summary>How many requests the pipeline saw and where they ended, for atlas.stats and benchmarks.</summary>
public sealed record PipelineCounts(long Requests, long FromCache, long Debounced, long ModelRuns, long Prepared, long PreparedUsed);

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

    /// <summary>How long it waited for a newer keystroke before the model ran (0 when it did not wait).</summary>
    public double DebounceMs { get; init; }

    /// <summary>Answered from a suggestion made ahead of the request (the one after an accepted suggestion).</summary>
    public bool Prepared { get; init; }

    /// <summary>Set when this run began or ended a spell of slow completions: the moment to tell the user, or to clear the warning.</summary>
    public LatencyVerdict? LatencyTurn { get; init; }

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
    private readonly KeystrokeDebounce _debounce = new();
    private long _requests, _fromCache, _debounced, _modelRuns, _prepared, _preparedUsed;

    /// <summary>The recent model runs' latency: the debounce subtracts it, and the server warns when it is too slow.</summary>
    public LatencyTracker Latency { get; } = new();

    public PipelineCounts Counts => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _fromCache), Interlocked.Read(ref _debounced),
        Interlocked.Read(ref _modelRuns), Interlocked.Read(ref _prepared), Interlocked.Read(ref _preparedUsed));

    /// <summary>The supersede key background requests share: the newest one made ahead cancels the one before it.</summary>
    private const string BackgroundKey = "(made ahead)";

    /// <summary>
    /// Starts a request for a document: cancels the one still running for it and returns this one's cancellation,
    /// to be disposed when it ends. Call it before anything that waits, so requests supersede in arrival order.
    /// </summary>
    public LatestRequests.Scope Supersede(string uri, CancellationToken cancellationToken) => _latest.Start(uri, cancellationToken);

    /// <summary>
    /// Suggests a completion at the position; the answer's text is null when there is nothing to show. Pass the token of a <see cref="Supersede"/> taken when the request
    /// arrived, so a newer request for the same document cancels this one.
    /// </summary>
    public async Task<Suggestion> SuggestAsync(CompletionEngine engine, TextDocument document, TextPosition position, CompletionOptions options, CancellationToken cancellationToken,
        CompletionTrigger trigger = CompletionTrigger.Automatic)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var (offset, line, before, after, singleLine, nextLine) = CursorLine.At(document, position, options.Mode);
        if (trigger == CompletionTrigger.Background) Interlocked.Increment(ref _prepared);
        else Interlocked.Increment(ref _requests);
        if (trigger == CompletionTrigger.Automatic) _debounce.Keystroke(Stopwatch.GetTimestamp());

        if (cache.Remainder(document, offset) is { } remainder && trigger != CompletionTrigger.Background)
        {
            var cached = singleLine ? OneLine(remainder.Text, nextLine) : remainder.Text;
            // Already checked when it was made: what the user typed of it changed nothing after the cursor.
            if (SuggestionCleaner.Clean(cached, after, "") is { } fromCache)
            {
                Interlocked.Increment(ref _fromCache);
                if (remainder.Prepared) Interlocked.Increment(ref _preparedUsed);
                return new Suggestion(fromCache, offset, true, singleLine, null, clock.Elapsed.TotalMilliseconds, 0)
                {
                    ReplacedLength = SuggestionCleaner.ReplacedLength(fromCache, after),
                    Prepared = remainder.Prepared,
                };
            }
        }

        // The model runs only for a request no newer keystroke supersedes while it waits.
        var debounceMs = 0.0;
        if (trigger == CompletionTrigger.Automatic)
        {
            var context = new TypingContext(position.Character > 0 ? line[position.Character - 1] : '\n', after.Trim().Length == 0,
                document.Text.AsSpan(offset).Trim().IsEmpty);
            var delay = _debounce.Delay(options.Debounce, context, Latency.TypicalMs ?? 0);
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _debounced);
                    throw;
                }
                debounceMs = clock.Elapsed.TotalMilliseconds;
            }
        }
        Interlocked.Increment(ref _modelRuns);

        var pieces = await Prompts.BuildAsync(document, offset, cancellationToken);
        var request = Request(pieces, options, singleLine, nextLine, trigger == CompletionTrigger.Background ? BackgroundKey : document.Uri);
        var engineClock = Stopwatch.StartNew();
        var completion = await engine.CompleteAsync(request, cancellationToken);
        var engineMs = engineClock.Elapsed.TotalMilliseconds;
        var cleaning = SuggestionCleaner.Clean(completion.Text, new CursorSurroundings(before, after, pieces.Suffix), options.Filters);
        var text = cleaning.Text;
        var cleaned = text;
        var replaced = text is null ? 0 : SuggestionCleaner.ReplacedLength(text, after);
        var why = completion.Text.Trim().Length == 0 ? $"the model wrote nothing to show (stopped: {completion.StopReason})" : cleaning.Why(completion.Text);
        if (text is not null && Check is not null)
        {
            var checkedText = Check(document, offset, replaced, text, cancellationToken);
            if (checkedText != text)
                why = checkedText is null
                    ? $"the syntax check dropped all {text.Length} chars (every line of it adds a syntax error)"
                    : $"the syntax check cut it from {text.Length} to {checkedText.Length} chars (the rest adds a syntax error)";
            text = checkedText;
        }
        if (text is not null) cache.Remember(document, offset, text, prepared: trigger == CompletionTrigger.Background);
        logger.LogDebug("Completion at {Uri}:{Position}: {Chars} chars ({Stop}) {Timings}", document.Uri, position, text?.Length ?? 0, completion.StopReason, completion.Timings);
        // What the user waits for, less the debounce (a pause the user makes anyway); made-ahead runs wait for nobody.
        var turn = trigger == CompletionTrigger.Background ? null
            : Latency.Add(clock.Elapsed.TotalMilliseconds - debounceMs, completion.StopReason == StopReason.TimeBudget, options.SlowLatencyMs);
        return new Suggestion(text, offset, false, singleLine, completion.Timings, clock.Elapsed.TotalMilliseconds, engineMs)
        {
            ReplacedLength = replaced,
            ModelText = completion.Text,
            CleanedText = cleaned,
            Why = why,
            DebounceMs = debounceMs,
            LatencyTurn = turn,
        };
    }

    /// <summary>
    /// Makes, ahead of its request, the suggestion that follows <paramref name="shown"/> once the user accepts it: the
    /// document with the suggestion applied and the cursor after it. The answer waits in the suggestion cache, so the
    /// request after an accept is answered from there at once. Pass a token any real request cancels: this is the
    /// lowest-priority work the engine does.
    /// </summary>
    /// <returns>The suggestion made, or null when the shown one had no text.</returns>
    public async Task<Suggestion?> PrepareNextAsync(CompletionEngine engine, TextDocument document, Suggestion shown, CompletionOptions options, CancellationToken cancellationToken)
    {
        if (shown.Text is not { Length: > 0 } text) return null;
        var accepted = document.WithChange(new TextRange(document.PositionAt(shown.Offset), document.PositionAt(shown.Offset + shown.ReplacedLength)), text, document.Version);
        var cursor = accepted.PositionAt(shown.Offset + text.Length);
        return await SuggestAsync(engine, accepted, cursor, options, cancellationToken, CompletionTrigger.Background);
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
        var (offset, line, before, after, singleLine, nextLine) = CursorLine.At(document, position, options.Mode);
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _modelRuns);

        var pieces = await Prompts.BuildAsync(document, offset, cancellationToken);
        var request = Request(pieces, options, singleLine, nextLine, document.Uri);
        string? Clean(string text) => SuggestionCleaner.Clean(text, new CursorSurroundings(before, after, pieces.Suffix), options.Filters).Text;
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

    /// <summary>
    /// The cursor's line as every request reads it: the offset, the line split at the cursor, whether the answer is one
    /// line and whether that line may be the next one.
    /// </summary>
    private readonly record struct CursorLine(int Offset, string Line, string Before, string After, bool SingleLine, bool NextLine)
    {
        public static CursorLine At(TextDocument document, TextPosition position, LineMode mode)
        {
            var line = document.LineText(position.Line);
            var before = line[..position.Character];
            var after = line[position.Character..];
            var singleLine = LineModes.IsSingleLine(mode, before, after);
            return new(document.OffsetAt(position), line, before, after, singleLine, LineModes.MayStartOnNextLine(singleLine, before, after));
        }
    }

    private static CompletionRequest Request(PromptPieces pieces, CompletionOptions options, bool singleLine, bool nextLine, string supersedeKey) => new()
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
        MayStartOnNextLine = nextLine,
        SupersedeKey = supersedeKey,
    };

    /// <summary>The text up to the end of its first line, or of its first line of code when it may start on the next line.</summary>
    private static string OneLine(string text, bool mayStartOnNextLine)
    {
        var from = 0;
        if (mayStartOnNextLine) while (from < text.Length && char.IsWhiteSpace(text[from])) from++;
        return text.IndexOf('\n', from) is var i and >= 0 ? text[..i].TrimEnd('\r') : text;
    }
}
