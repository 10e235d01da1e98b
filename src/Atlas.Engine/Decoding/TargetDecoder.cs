namespace Atlas.Engine.Decoding;

/// <summary>The target model alone: one forward pass per token.</summary>
internal sealed class TargetDecoder(KvCacheSession target, ITokenChooser sampler) : ITokenDecoder
{
    private int _passes;

    public int Pending { get; private set; }
    public int Room => target.ContextSize - target.Cached.Count;
    public (int Drafted, int Accepted, int TargetPasses) Statistics => (0, 0, _passes);

    public (int Reused, int Evaluated) Start(IReadOnlyList<int> prompt, CancellationToken cancellationToken)
    {
        var stats = target.Prefill(prompt, cancellationToken);
        Pending = sampler.Next(target.Logits());
        return stats;
    }

    public IReadOnlyList<int> Advance(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        target.Append(Pending);
        _passes++;
        Pending = sampler.Next(target.Logits());
        return [];
    }
}
