namespace Atlas.Engine.Decoding;

/// <summary>
/// Produces the target model's tokens one step at a time. A step may yield more than one token (speculative
/// decoding, greedy only); every token it yields is the target's greedy choice, decided as <see cref="KvCacheSession.ChooseGreedy"/>
/// decides (a near-tie read from a batch is decided again from a single-token step).
/// </summary>
internal interface ITokenDecoder
{
    /// <summary>Evaluates the prompt (reusing the KV cache) and computes the first <see cref="Pending"/> token.</summary>
    (int Reused, int Evaluated) Start(IReadOnlyList<int> prompt, CancellationToken cancellationToken);

    /// <summary>The target's next token, not yet in its KV cache.</summary>
    int Pending { get; }

    /// <summary>Room left in the target's context.</summary>
    int Room { get; }

    /// <summary>
    /// Decodes <see cref="Pending"/>, and returns the further tokens the target accepted in the same pass
    /// (none without a draft); <see cref="Pending"/> is then the token after them.
    /// </summary>
    IReadOnlyList<int> Advance(CancellationToken cancellationToken);

    /// <summary>Draft statistics so far.</summary>
    (int Drafted, int Accepted, int TargetPasses) Statistics { get; }
}

/// <summary>
/// How one greedy token was decided, for benchmarks that look for where two decodings part: the choice and its
/// runner-up with both logits, the size of the batch the logits came from, and whether a near-tie was decided again
/// from a single-token step.
/// </summary>
public sealed record TokenDecision(GreedyChoice Choice, int BatchTokens, bool Redecided);
