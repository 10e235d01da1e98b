namespace Atlas.Fixes;

/// <summary>The knobs of "fix this", each with its documented default.</summary>
public sealed record FixSettings
{
    /// <summary>Candidates tried before giving up (setting atlas.fixCandidates, default 3).</summary>
    public int Candidates { get; init; } = 3;

    /// <summary>Token cap per candidate (default 256).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Time budget per candidate (default 4 s): a rewrite is longer than a completion.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Temperature of the candidates after the first (the first is greedy).</summary>
    public float Temperature { get; init; } = 0.6f;
}
