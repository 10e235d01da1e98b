using System.Buffers;
using System.Diagnostics;
using Atlas.Engine.Loading;

namespace Atlas.Engine.Decoding;

/// <summary>
/// Speculative decoding with a draft model. Each pass the <see cref="DraftPlanner"/> says how far drafting pays (not at
/// all, often, on a pair or in code where the draft is unsure); the draft greedily proposes up to that many tokens after
/// the pending one while it is confident; the target evaluates the pending token and all proposals in one batch, with
/// logits at every position; the longest run of proposals that match the target's own greedy choices is accepted, and
/// the target's choice after that run becomes the next pending token. Both KV caches are rolled back to what was
/// accepted. Every accepted token is the target's argmax, and a near-tie read from the batch is decided again from a
/// single-token step (<see cref="KvCacheSession.ChooseGreedy"/>), so greedy output is the target's alone.
/// </summary>
internal sealed class SpeculativeDecoder : ITokenDecoder
{
    private readonly KvCacheSession _target;
    private readonly KvCacheSession _draft;
    private readonly DraftPlanner? _planner;
    private readonly EngineSettings _settings;
    private readonly LoadedModel _model;
    private readonly bool _singleLine;
    private readonly int _maxTokens;
    private readonly List<TokenDecision>? _decisions;
    private readonly List<int> _proposal = [];
    private readonly List<int> _context = [];
    private int _drafted;
    private int _accepted;
    private int _passes;
    private int _produced;
    private int _length;

    /// <param name="planner">Decides each pass's draft length from costs; null drafts up to the settings' length every pass.</param>
    /// <param name="singleLine">The answer ends at its first line break, so the draft stops proposing there.</param>
    /// <param name="maxTokens">The answer's cap: the draft never proposes past it.</param>
    public SpeculativeDecoder(KvCacheSession target, KvCacheSession draft, DraftPlanner? planner, LoadedModel model, bool singleLine, int maxTokens, List<TokenDecision>? decisions)
    {
        (_target, _draft, _planner, _model, _singleLine, _maxTokens, _decisions) = (target, draft, planner, model, singleLine, maxTokens, decisions);
        _settings = model.Settings;
        _length = _settings.DraftMax;
    }

    public int Pending { get; private set; }
    public int Room => _target.ContextSize - _target.Cached.Count;
    public (int Drafted, int Accepted, int TargetPasses) Statistics => (_drafted, _accepted, _passes);

    /// <summary>
    /// Evaluates the prompt in both models: the draft's share of prompt work belongs with the prompt's, not with the
    /// first draft's cost (with prompt-cache reuse, typing re-evaluates little in either).
    /// </summary>
    public (int Reused, int Evaluated) Start(IReadOnlyList<int> prompt, CancellationToken cancellationToken)
    {
        var stats = _target.Prefill(prompt, cancellationToken);
        _draft.Prefill(prompt, cancellationToken);
        var batch = _target.LastBatchCount;
        var (choice, redecided) = _target.ChooseGreedy(-1, _settings.TieMargin);
        _decisions?.Add(new TokenDecision(choice, redecided ? 1 : batch, redecided));
        Pending = choice.Token;
        _produced = 1;
        return stats;
    }

    public IReadOnlyList<int> Advance(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var before = _target.Cached.Count;
        // The batch is the pending token plus the proposals: it must fit in both contexts, and past the answer's cap
        // nothing drafted can be used.
        var most = Math.Min(_settings.DraftAdaptive ? _length : _settings.DraftMax, Math.Min(_target.ContextSize, _draft.ContextSize) - before - 1);
        most = Math.Min(most, _maxTokens - _produced);
        var length = _planner is null ? Math.Max(0, most) : _planner.DraftLength(most);
        var (steps, tests, confident, draftTicks) = Propose(length, cancellationToken);
        if (_proposal.Count < Math.Max(1, _settings.DraftMin) || (_planner is not null && !_planner.WorthVerifying(_proposal.Count)))
            _proposal.Clear();

        cancellationToken.ThrowIfCancellationRequested();
        var verified = _proposal.Count;
        var rented = ArrayPool<int>.Shared.Rent(verified + 1);
        try
        {
            var batch = rented.AsSpan(0, verified + 1);
            batch[0] = Pending;
            for (var i = 0; i < verified; i++) batch[i + 1] = _proposal[i];
            _target.Append(batch);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
        var targetTicks = _target.LastDecodeTicks;
        _passes++;
        _drafted += verified;

        var accepted = new List<int>();
        GreedyChoice choice;
        bool redecided;
        while (true)
        {
            (choice, redecided) = _target.ChooseGreedy(accepted.Count, _settings.TieMargin);
            _decisions?.Add(new TokenDecision(choice, redecided ? 1 : verified + 1, redecided));
            // Re-deciding cut the cache back to end with this row's token: the run ends here either way.
            if (redecided || accepted.Count >= verified || choice.Token != _proposal[accepted.Count]) break;
            accepted.Add(choice.Token);
        }
        _accepted += accepted.Count;
        if (verified > 0)
        {
            _length = accepted.Count < verified
                ? Math.Max(Math.Max(1, _settings.DraftMin), accepted.Count + 1)
                : Math.Min(_settings.DraftMax, _length * 2);
        }
        // Keep the pending token and the accepted run; the rejected proposals leave the target's cache.
        if (!redecided) _target.Truncate(before + 1 + accepted.Count);
        Pending = choice.Token;
        _produced += accepted.Count + 1;
        _planner?.Observe(new DraftPass(steps, tests, confident, verified, accepted.Count,
            (double)draftTicks / Stopwatch.Frequency, verified + 1, (double)targetTicks / Stopwatch.Frequency));
        return accepted;
    }

    /// <summary>
    /// Fills <see cref="_proposal"/> with up to <paramref name="most"/> greedy draft tokens following the target's
    /// cached tokens and the pending one, while the draft's top probability stays at draftPMin or above. The draft's
    /// own cache is brought in line by prefix reuse, which also rolls back proposals the target rejected last pass and
    /// catches up on tokens decoded while the draft sat out. Returns the draft steps taken (decode calls, a catch-up
    /// not counted), the confidence tests made and passed, and the time the counted steps took.
    /// </summary>
    private (int Steps, int Tests, int Confident, long Ticks) Propose(int most, CancellationToken cancellationToken)
    {
        _proposal.Clear();
        if (most <= 0) return (0, 0, 0, 0);
        _context.Clear();
        _context.AddRange(_target.Cached);
        _context.Add(Pending);
        // A draft that sat out some passes catches up here in one call; that call is not a draft step the planner
        // should weigh (probes pay it, and they are rare), so only a call of the usual one or two tokens is timed.
        var (_, caughtUp) = _draft.Prefill(_context, cancellationToken);
        var ticks = caughtUp <= 2 ? _draft.LastDecodeTicks : 0;
        var (steps, tests, confident) = (caughtUp <= 2 ? 1 : 0, 0, 0);
        while (true)
        {
            var logits = _draft.Logits();
            var token = Greedy.ArgMax(logits);
            // Vocabularies may differ in a few trailing ids (llama.cpp tolerates it); the target cannot verify those.
            if (token >= _target.VocabularySize) break;
            tests++;
            if (!Greedy.TopProbabilityAtLeast(logits, token, _settings.DraftMinProbability)) break;
            confident++;
            _proposal.Add(token);
            if (_proposal.Count >= most || (_singleLine && _model.HasLineBreak(token))) break;
            cancellationToken.ThrowIfCancellationRequested();
            _draft.Append(token);
            ticks += _draft.LastDecodeTicks;
            steps++;
        }
        return (steps, tests, confident, ticks);
    }
}
