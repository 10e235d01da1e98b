using System.Diagnostics;
using System.Text;
using Atlas.Engine.Decoding;
using Atlas.Engine.Loading;
using Atlas.Engine.Prompting;
using LLama;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Engine;

/// <summary>
/// The resident completion engine: one model loaded once, one context whose KV cache is reused across requests,
/// and a queue in front of them. Callers may come from any thread; they are served one at a time, and a request
/// with a <see cref="CompletionRequest.SupersedeKey"/> cancels the older request with the same key.
/// </summary>
public sealed class CompletionEngine : IDisposable
{
    private readonly LoadedModel _model;
    private readonly KvCacheSession _session;
    private readonly LoadedModel? _draftModel;
    private readonly KvCacheSession? _draftSession;
    private readonly DraftPlanner? _planner;
    private readonly ILogger _logger;
    private bool _speculationPays = true;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly LatestRequests _latest = new();
    private bool _disposed;

    private CompletionEngine(LoadedModel model, KvCacheSession session, (LoadedModel Model, KvCacheSession Session)? draft, string? draftProblem, ILogger logger)
    {
        _model = model;
        _session = session;
        _draftModel = draft?.Model;
        _draftSession = draft?.Session;
        DraftProblem = draftProblem;
        _logger = logger;
        if (_draftSession is not null)
        {
            DraftCosts = DecodeCalibration.Measure(_session, _draftSession, model.Settings.DraftMax, model.Tokenize(CalibrationText).Select(t => (int)t).ToArray());
            if (model.Settings.DraftCostCheck) _planner = new DraftPlanner(DraftCosts, DraftPlanner.Prior);
            _logger.LogInformation("Draft {Draft}: {Costs}", _draftModel!.Name, Describe(DraftCosts, model.Settings.DraftMax));
        }
    }

    /// <summary>Any code: calibration times calls, whatever tokens they hold.</summary>
    private const string CalibrationText = "public sealed class Sample\n{\n    public int Count { get; }\n}\n";

    public LoadedModel Model => _model;

    /// <summary>The draft model when one speculates for the target.</summary>
    public LoadedModel? DraftModel => _draftSession is null ? null : _draftModel;

    /// <summary>Why a configured draft model is not in use (missing, unloadable, incompatible vocabulary); null otherwise.</summary>
    public string? DraftProblem { get; }

    /// <summary>Whether a draft model speculates for the target.</summary>
    public bool HasDraft => _draftSession is not null;

    /// <summary>The pair's decode costs measured at load (null without a draft): what speculation's break-even rests on.</summary>
    public DecodeCosts? DraftCosts { get; }

    /// <summary>
    /// The planner's current view of the pair (null without a draft or with the cost check off): costs as requests
    /// measured them, the draft's odds, and the best expected gain of drafting now.
    /// </summary>
    public (DecodeCosts Costs, DraftOdds Odds, int Length, double Gain)? DraftOutlook =>
        _planner is null ? null : (_planner.Costs, _planner.Odds, _planner.Outlook(_model.Settings.DraftMax).Length, _planner.Outlook(_model.Settings.DraftMax).Gain);

    /// <summary>The CPU features the loaded llama.cpp build uses (for benchmarks that compare builds).</summary>
    public static string NativeSystemInfo => NativeRuntime.SystemInfo;

    /// <summary>What the engine runs with, for status displays and benchmarks.</summary>
    public EngineInfo Info => new(_model.Name, _model.Settings.ModelPath, _model.Template.Family, _model.KvPlan.Effective, _session.ContextSize, _session.KvCacheBytes, _draftModel?.Name)
    {
        Threads = _model.Settings.EffectiveThreads,
        BatchThreads = _model.Settings.EffectiveBatchThreads,
        AdaptiveThreads = _model.Settings.AdaptiveThreads,
    };

    /// <summary>Loads the model and creates its context; a bad model file raises <see cref="ModelLoadException"/>.</summary>
    public static async Task<CompletionEngine> LoadAsync(EngineSettings settings, ILogger? logger = null, IProgress<float>? progress = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var model = await LoadedModel.LoadAsync(settings, logger, progress, cancellationToken).ConfigureAwait(false);
        KvCacheSession? session = null;
        try
        {
            session = new KvCacheSession(model, logger);
            var (draft, problem) = await LoadDraftAsync(model, settings, logger, cancellationToken).ConfigureAwait(false);
            var engine = new CompletionEngine(model, session, draft, problem, logger);
            logger.LogInformation("Loaded {Name}: FIM {Family}, KV cache {Kv}, context {Context} tokens{Draft}", model.Name, model.Template.Family,
                KvCachePlan.Name(model.KvPlan.Effective), session.ContextSize, draft is { } d ? $", draft {d.Model.Name}" : "");
            return engine;
        }
        catch
        {
            session?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads the draft model next to the target. A draft that cannot be used is reported and left out:
    /// the engine serves without it rather than not at all.
    /// </summary>
    private static async Task<((LoadedModel Model, KvCacheSession Session)? Draft, string? Problem)> LoadDraftAsync(LoadedModel target, EngineSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.DraftModelPath)) return (null, null);
        LoadedModel draft;
        try
        {
            // The draft's own context: its threads and its cache type, an f16 cache without flash attention (see DraftKvCache).
            var draftSettings = settings with { ModelPath = settings.DraftModelPath, ContextSize = target.Settings.ContextSize, Threads = settings.DraftThreads, KvCache = settings.DraftKvCache };
            draft = await LoadedModel.LoadAsync(draftSettings, logger, null, flashAttention: settings.DraftKvCache != KvCacheType.F16, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelLoadException e)
        {
            var problem = $"Draft model not used: {e.Message}";
            logger.LogWarning("{Problem}", problem);
            return (null, problem);
        }
        try
        {
            if (VocabularyCompatibility.Problem(target, draft) is { } mismatch)
            {
                var problem = $"Draft model '{settings.DraftModelPath}' not used: its vocabulary differs from the target's ({mismatch}).";
                logger.LogWarning("{Problem}", problem);
                draft.Dispose();
                return (null, problem);
            }
            return ((draft, new KvCacheSession(draft, logger)), null);
        }
        catch
        {
            draft.Dispose();
            throw;
        }
    }

    /// <summary>The prompt this request would be sent as, without running the model.</summary>
    public FimPrompt BuildPrompt(CompletionRequest request) =>
        FimPrompt.Build(_model, request, PromptRoom(request));

    /// <summary>
    /// Completes at the cursor. Greedy, so the same prompt gives the same answer whether or not the cache was warm.
    /// Throws <see cref="OperationCanceledException"/> when cancelled or superseded, within one token.
    /// </summary>
    public Task<Completion> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken = default) =>
        InTurnAsync(request, (queueMs, token) => Generate(request, queueMs, [], token)!, cancellationToken);

    /// <summary>
    /// Up to <paramref name="count"/> different answers for one request, for when the user asks for suggestions: the
    /// greedy answer first (the one <see cref="CompleteAsync"/> gives), then answers that part from it at the tokens the
    /// model was least sure of, each taking the runner-up there and going on greedily (<see cref="CandidateBranch"/>),
    /// in the order of how close that runner-up came. Each branch decodes only from its token on: the KV cache keeps
    /// the prompt and the greedy answer up to there. Answers count as different when <paramref name="shownAs"/> (what
    /// the caller would show for a text; null: nothing) differs; by default, the text with trailing whitespace trimmed.
    /// A sampled request (temperature above 0) gets its one answer. Cancelled or superseded like any request.
    /// </summary>
    public Task<IReadOnlyList<Completion>> CompleteCandidatesAsync(CompletionRequest request, int count, Func<string, string?>? shownAs = null, CancellationToken cancellationToken = default) =>
        InTurnAsync(request, (queueMs, token) => Candidates(request, count, shownAs ?? ShownAsWritten, queueMs, token), cancellationToken);

    private static string? ShownAsWritten(string text) => text.TrimEnd() is { Length: > 0 } shown ? shown : null;

    /// <summary>Runs work for a request in the engine's turn, superseding the older request with its key.</summary>
    private async Task<T> InTurnAsync<T>(CompletionRequest request, Func<double, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = request.SupersedeKey is { } key ? _latest.Start(key, cancellationToken) : null;
        var token = scope?.Token ?? cancellationToken;
        var queued = Stopwatch.StartNew();
        await _turn.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var queueMs = queued.Elapsed.TotalMilliseconds;
            // A thread of its own, not the pool's: a generation blocks for its whole length, and a pool thread held that
            // long delays whatever else the process has queued (a server's next message, its cancellation) until the
            // pool grows, about half a second on a small machine.
            return await Task.Factory.StartNew(() => work(queueMs, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    private IReadOnlyList<Completion> Candidates(CompletionRequest request, int count, Func<string, string?> shownAs, double queueMs, CancellationToken cancellationToken)
    {
        var greedy = Generate(request with { RecordDecisions = true }, queueMs, [], cancellationToken)!;
        var first = greedy with { Decisions = request.RecordDecisions ? greedy.Decisions : null };
        if (count <= 1 || request.Temperature > 0) return [first];

        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (shownAs(greedy.Text) is { } shown) seen.Add(shown);
        var decided = greedy.Tokens.Count + (greedy.StopReason == StopReason.EndOfGeneration ? 1 : 0);
        var pending = new Queue<(int Rank, CandidateBranch Branch)>(
            CandidateBranches.Rank(greedy.Decisions!, greedy.Tokens, decided, _model.HasLineBreak).Select((b, i) => (i, b)));
        var branchRequest = request with { RecordDecisions = false, OnToken = null };
        var found = new List<(int Rank, Completion Completion)>();
        var tries = (count - 1) * CandidateBranches.TriesPerCandidate;
        while (found.Count < count - 1 && tries > 0 && pending.Count > 0)
        {
            var round = new List<(int Rank, CandidateBranch Branch)>();
            while (round.Count < count - 1 - found.Count && pending.TryDequeue(out var next)) round.Add(next);
            // The latest branch point first: the cache then holds every earlier one's prefix, and each branch decodes
            // its own token and what follows, nothing of the greedy answer again.
            foreach (var (rank, branch) in round.OrderByDescending(r => r.Branch.Position))
            {
                if (tries <= 0) break;
                cancellationToken.ThrowIfCancellationRequested();
                var completion = Generate(branchRequest, 0, [.. greedy.Tokens.Take(branch.Position), branch.Token], cancellationToken);
                if (completion is null) continue;
                tries--;
                if (shownAs(completion.Text) is { } text && seen.Add(text)) found.Add((rank, completion with { Branch = branch }));
            }
        }
        _logger.LogDebug("Candidates: greedy and {Branches} branches at {Positions}", found.Count, string.Join(", ", found.Select(f => f.Completion.Branch!.Position)));
        return [first, .. found.OrderBy(f => f.Rank).Select(f => f.Completion)];
    }

    /// <summary>
    /// One answer: greedy (or sampled) from the prompt, or, for a candidate that parts from the greedy answer, from the
    /// prompt and <paramref name="forced"/> (the greedy answer's start and the branch's own token), which are the
    /// answer's first tokens. Null only when the forced tokens break the request's start words.
    /// </summary>
    private Completion? Generate(CompletionRequest request, double queueMs, IReadOnlyList<int> forced, CancellationToken cancellationToken)
    {
        // Unless the settings fix the thread counts, each request uses the physical cores other processes leave free.
        if (_model.Settings.AdaptiveThreads)
        {
            var threads = CpuContention.Threads(EngineSettings.DefaultThreads);
            _session.UseThreads(threads, threads);
        }
        var prompt = BuildPrompt(request);
        var sampler = new TokenSampler(request.Temperature, request.Seed);
        var decisions = request.RecordDecisions ? new List<TokenDecision>() : null;
        // Drafting only ever matches a greedy target, so sampling decodes with the target alone; while the pair cannot
        // win, the planner keeps the draft out of most requests altogether.
        var drafting = request.UseDraft && sampler.IsGreedy && _draftSession is not null && (_planner?.TakesRequest(_model.Settings.DraftMax) ?? true);
        // Held to the words that can start the answer, the target decodes alone until the first word is decided; the
        // draft joins in from there (its proposals could not follow the constraint).
        var words = request.StartWords is { Words.Count: > 0 } start && sampler.IsGreedy
            ? new StartWordChooser(_model.Pieces, start, _model.WordTokens, t => _model.IsStop((LLama.Native.LLamaToken)t))
            : null;
        foreach (var token in forced)
            if (words is { Free: false } && !words.Take(token)) return null;
        if (words is { Free: true } && forced.Count > 0) words = null;
        ITokenDecoder Speculative(int produced) =>
            new SpeculativeDecoder(_session, _draftSession!, _planner, _model, request.SingleLine, request.MaxTokens - produced, decisions);
        ITokenDecoder decoder = drafting && words is null
            ? Speculative(forced.Count)
            : new TargetDecoder(_session, (ITokenChooser?)words ?? sampler, _model.Settings.TieMargin, decisions);
        (int Drafted, int Accepted, int TargetPasses) before = (0, 0, 0);
        var clock = Stopwatch.StartNew();
        var (reused, evaluated) = decoder.Start(forced.Count == 0 ? prompt.Tokens : [.. prompt.Tokens, .. forced], cancellationToken);
        var promptMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        var output = new OutputText(_model, request, clock);
        StopReason? stop = null;
        foreach (var token in forced)
        {
            stop = output.Emit(token);
            if (stop is not null) break;
        }
        while (stop is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            stop = output.Emit(decoder.Pending);
            if (stop is not null) break;
            if (decoder.Room <= 0) { stop = StopReason.ContextFull; break; }
            if (words is { Free: true } && drafting)
            {
                // The first word is decided: speculate from here, starting from the prompt and what was emitted.
                words = null;
                before = decoder.Statistics;
                decoder = Speculative(output.Tokens.Count);
                decoder.Start([.. prompt.Tokens, .. output.Tokens], cancellationToken);
                continue;
            }
            foreach (var token in decoder.Advance(cancellationToken))
            {
                // An accepted run may be long: cancellation is honoured between its tokens too.
                cancellationToken.ThrowIfCancellationRequested();
                stop = output.Emit(token);
                if (stop is not null) break;
            }
        }

        var (drafted, accepted, passes) = decoder.Statistics;
        passes += before.TargetPasses;
        var timings = new CompletionTimings
        {
            TokensReused = reused,
            TokensEvaluated = evaluated,
            TokensGenerated = output.Tokens.Count,
            QueueMs = queueMs,
            PromptMs = promptMs,
            GenerationMs = clock.Elapsed.TotalMilliseconds,
            Drafted = drafted,
            DraftAccepted = accepted,
            TargetPasses = passes,
        };
        _logger.LogDebug("Completion ({Stop}): {Timings}", stop, timings);
        if (request.UseDraft && _draftSession is not null) NoteOutlook();
        return new Completion(output.Text, stop.Value, timings, output.Tokens) { Decisions = decisions };
    }

    /// <summary>
    /// Says so, once, when the pair's expected gain from drafting crosses 1 either way: below, the planner has the target
    /// decode alone (probing the draft now and then); above, drafting is back.
    /// </summary>
    private void NoteOutlook()
    {
        if (_planner is null) return;
        var (length, gain) = _planner.Outlook(_model.Settings.DraftMax);
        var pays = gain > 1;
        if (pays == _speculationPays) return;
        _speculationPays = pays;
        var odds = _planner.Odds;
        if (pays)
            _logger.LogInformation("Speculative decoding resumed for {Draft}: drafting {Length} tokens is expected to be {Gain:F2}x the target alone (draft confident {Confident:P0}, accepted {Accepted:P0}; {Costs})",
                _draftModel!.Name, length, gain, odds.Confident, odds.Accepted, Describe(_planner.Costs, length));
        else
            _logger.LogInformation("Speculative decoding paused for {Draft}: no draft length pays (best {Gain:F2}x the target alone; draft confident {Confident:P0}, accepted {Accepted:P0}; {Costs}); the target decodes alone and the draft is probed now and then",
                _draftModel!.Name, gain, odds.Confident, odds.Accepted, Describe(_planner.Costs, length));
    }

    private static string Describe(DecodeCosts costs, int length) =>
        $"target step {costs.TargetStep * 1000:F2} ms, draft step {costs.Draft * 1000:F2} ms ({costs.DraftRatio:F2} of a target step), " +
        $"verifying {length} drafted tokens costs {costs.TargetCall(length + 1) / costs.TargetStep:F2} target steps";

    /// <summary>Drops the KV cache so the next request starts cold (benchmarks measure cold prompts with it).</summary>
    public async Task ForgetCacheAsync(CancellationToken cancellationToken = default)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _session.Clear();
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Room for the prompt: the context less what the answer may need.</summary>
    private int PromptRoom(CompletionRequest request) => Math.Max(1, _session.ContextSize - Math.Max(1, request.MaxTokens));

    /// <summary>Waits for the request in progress, then frees the context and the weights.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _turn.Wait();
        _draftSession?.Dispose();
        _draftModel?.Dispose();
        _session.Dispose();
        _model.Dispose();
        _turn.Dispose();
    }
}

/// <summary>What a loaded engine runs with.</summary>
public sealed record EngineInfo(string ModelName, string ModelPath, FimFamily Family, KvCacheType KvCache, int ContextSize, long? KvCacheBytes, string? DraftModelName)
{
    /// <summary>CPU threads generating, and evaluating prompts.</summary>
    public int Threads { get; init; }
    public int BatchThreads { get; init; }
    /// <summary>Whether each request gives way to other processes' busy cores (no thread count set).</summary>
    public bool AdaptiveThreads { get; init; }
}
