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
        if (chooser is not TokenSampler { IsGreedy: true })
        {
            var logits = target.Logits();
            if (decisions is null) return chooser.Next(logits);
            // Held to start words, the decision that matters is among the allowed words, not the model's whole vocabulary.
            var held = chooser is StartWordChooser words ? words.Decide(logits) : Chosen(logits, chooser.Next(logits));
            decisions.Add(new TokenDecision(held, target.LastBatchCount, false));
            return held.Token;
        }
        var batch = target.LastBatchCount;
        var (choice, redecided) = target.ChooseGreedy(-1, tieMargin);
        decisions?.Add(new TokenDecision(choice, batch, redecided));
        return choice.Token;
    }

    /// <summary>
    /// A constrained choice as a decision: the greedy one when the chooser took the argmax, else the chosen token with the
    /// model's favourite as its runner-up (a negative gap: the constraint overruled the model there).
    /// </summary>
    private static GreedyChoice Chosen(ReadOnlySpan<float> logits, int chosen)
    {
        var top = Greedy.Choose(logits);
        return top.Token == chosen ? top : new GreedyChoice(chosen, logits[chosen], top.Token, top.Logit);
    }
}
