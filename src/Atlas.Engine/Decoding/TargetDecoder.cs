namespace Atlas.Engine.Decoding;

/// <summary>The target model alone: one forward pass per token.</summary>
internal sealed class TargetDecoder(KvCacheSession target, ITokenChooser chooser, float tieMargin, List<TokenDecision>? decisions) : ITokenDecoder
{
    private int _passes;

    public int Pending { get; private set; }
    public int Room => target.ContextSize - target.Cached.Count;
    public (int Drafted, int Accepted, int TargetPasses) Statistics => (0, 0, _passes);

    public (int Reused, int Evaluated) Start(IReadOnlyList<int> prompt, CancellationToken cancellationToken)
    {
        var stats = target.Prefill(prompt, cancellationToken);
        Pending = Next();
        return stats;
    }

    public IReadOnlyList<int> Advance(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        target.Append(Pending);
        _passes++;
        Pending = Next();
        return [];
    }

    /// <summary>
    /// Greedy through the session's one rule for near-ties (the prompt's last token may come from a batch), so the
    /// first token is the same whether the prompt was evaluated cold, in batches, or found whole in the cache. A
    /// sampler that is not plain greedy (temperature, the start words) chooses from the logits itself.
    /// </summary>
    private int Next()
    {
        if (chooser is not TokenSampler { IsGreedy: true }) return chooser.Next(target.Logits());
        var batch = target.LastBatchCount;
        var (choice, redecided) = target.ChooseGreedy(-1, tieMargin);
        decisions?.Add(new TokenDecision(choice, batch, redecided));
        return choice.Token;
    }
}
