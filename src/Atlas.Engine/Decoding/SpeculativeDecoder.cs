using System.Buffers;
using System.Numerics.Tensors;

namespace Atlas.Engine.Decoding;

/// <summary>
/// Speculative decoding with a draft model. Each step the draft greedily proposes up to <c>DraftMax</c> tokens
/// after the pending one; the target evaluates the pending token and all proposals in one batch, with logits at
/// every position; the longest run of proposals that match the target's own greedy choices is accepted, and the
/// target's choice after that run becomes the next pending token. Both KV caches are rolled back to what was
/// accepted. Because every accepted token is the target's argmax, greedy output equals the target's alone.
/// </summary>
internal sealed class SpeculativeDecoder(KvCacheSession target, KvCacheSession draft, EngineSettings settings) : ITokenDecoder
{
    private readonly List<int> _proposal = [];
    private readonly List<int> _context = [];
    private int _drafted;
    private int _accepted;
    private int _passes;
    private int _length = settings.DraftMax;

    public int Pending { get; private set; }
    public int Room => target.ContextSize - target.Cached.Count;
    public (int Drafted, int Accepted, int TargetPasses) Statistics => (_drafted, _accepted, _passes);

    public (int Reused, int Evaluated) Start(IReadOnlyList<int> prompt, CancellationToken cancellationToken)
    {
        var stats = target.Prefill(prompt, cancellationToken);
        Pending = Greedy.ArgMax(target.Logits());
        return stats;
    }

    public IReadOnlyList<int> Advance(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var before = target.Cached.Count;
        // The batch is the pending token plus the proposals: it must fit in both contexts.
        var most = Math.Min(settings.DraftAdaptive ? _length : settings.DraftMax, Math.Min(target.ContextSize, draft.ContextSize) - before - 1);
        Propose(most, cancellationToken);
        if (_proposal.Count < Math.Max(1, settings.DraftMin)) _proposal.Clear();

        cancellationToken.ThrowIfCancellationRequested();
        var rented = ArrayPool<int>.Shared.Rent(_proposal.Count + 1);
        try
        {
            var batch = rented.AsSpan(0, _proposal.Count + 1);
            batch[0] = Pending;
            for (var i = 0; i < _proposal.Count; i++) batch[i + 1] = _proposal[i];
            target.Append(batch);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
        _passes++;
        _drafted += _proposal.Count;

        var accepted = new List<int>();
        var next = Greedy.ArgMax(target.Logits(0));
        while (accepted.Count < _proposal.Count && next == _proposal[accepted.Count])
        {
            accepted.Add(next);
            next = Greedy.ArgMax(target.Logits(accepted.Count));
        }
        _accepted += accepted.Count;
        if (_proposal.Count > 0)
        {
            _length = accepted.Count < _proposal.Count
                ? Math.Max(Math.Max(1, settings.DraftMin), accepted.Count + 1)
                : Math.Min(settings.DraftMax, _length * 2);
        }
        // Keep the pending token and the accepted run; the rejected proposals leave the target's cache.
        target.Truncate(before + 1 + accepted.Count);
        Pending = next;
        return accepted;
    }

    /// <summary>
    /// Fills <see cref="_proposal"/> with up to <paramref name="most"/> greedy draft tokens following the target's
    /// cached tokens and the pending one. The draft's own cache is brought in line by prefix reuse, which also
    /// rolls back proposals the target rejected last step.
    /// </summary>
    private void Propose(int most, CancellationToken cancellationToken)
    {
        _proposal.Clear();
        if (most <= 0) return;
        _context.Clear();
        _context.AddRange(target.Cached);
        _context.Add(Pending);
        draft.Prefill(_context, cancellationToken);
        while (true)
        {
            var logits = draft.Logits();
            var token = Greedy.ArgMax(logits);
            // Vocabularies may differ in a few trailing ids (llama.cpp tolerates it); the target cannot verify those.
            if (token >= target.VocabularySize) return;
            if (Probability(logits, token) < settings.DraftMinProbability) return;
            _proposal.Add(token);
            if (_proposal.Count >= most) return;
            cancellationToken.ThrowIfCancellationRequested();
            draft.Append(token);
        }
    }

    /// <summary>Softmax probability of one token: exp(l - max) / sum(exp(l - max)).</summary>
    private static float Probability(ReadOnlySpan<float> logits, int token)
    {
        var max = TensorPrimitives.Max(logits);
        var buffer = ArrayPool<float>.Shared.Rent(logits.Length);
        try
        {
            var shifted = buffer.AsSpan(0, logits.Length);
            TensorPrimitives.Subtract(logits, max, shifted);
            TensorPrimitives.Exp(shifted, shifted);
            return MathF.Exp(logits[token] - max) / TensorPrimitives.Sum(shifted);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
