namespace Atlas.Context.Budget;

/// <summary>
/// The one token budget of a prompt and its split: the prefix, the suffix and the repository context each get a
/// share; what a piece leaves unused is not redistributed, so a piece never grows because another shrank (and the
/// prompt's shape stays stable while the user types).
/// </summary>
public sealed record ContextBudget
{
    /// <summary>Tokens for the whole prompt: the context window less room for the answer.</summary>
    public int TotalTokens { get; init; } = 6000;
    public double PrefixShare { get; init; } = 0.55;
    public double SuffixShare { get; init; } = 0.15;
    public double ContextShare { get; init; } = 0.30;

    public int PrefixTokens => (int)(TotalTokens * PrefixShare);
    public int SuffixTokens => (int)(TotalTokens * SuffixShare);
    public int ContextTokens => (int)(TotalTokens * ContextShare);

    /// <summary>Window edges move in steps of this many lines, so typing changes the prompt only at its end.</summary>
    public const int LineStep = 16;
}
