using Atlas.Engine.Loading;

namespace Atlas.Engine.Prompting;

/// <summary>
/// A prompt ready for the model: the token sequence the engine decodes, and the same prompt as readable text.
/// Prefix and suffix are tokenized as plain text, so marker look-alikes typed in user code never become control tokens.
/// </summary>
public sealed record FimPrompt(IReadOnlyList<int> Tokens, string Rendered, FimFamily Family, int PrefixTokens, int SuffixTokens, bool Truncated)
{
    /// <summary>
    /// Prefix tokens are cut away in steps of this many (at most a quarter of the room), so the prompt's start stays
    /// put while the user types.
    /// </summary>
    public const int TruncationStep = 256;

    /// <summary>
    /// Lays out prefix and suffix in the model's FIM format within <paramref name="maxTokens"/>. When the pieces do
    /// not fit, the suffix keeps at most a quarter of the room (more if the prefix is short) and both are cut away
    /// from the cursor: the prefix loses its oldest tokens, the suffix its last ones. Line-aware budgeting is the
    /// context builder's job; this is the engine's guarantee that a prompt never overflows the context.
    /// </summary>
    public static FimPrompt Build(LoadedModel model, string prefix, string suffix, int maxTokens)
    {
        var template = model.Template;
        var prefixTokens = model.Tokenize(prefix);
        var suffixTokens = template.Layout.Any(p => p.Slot == FimTemplate.Slot.Suffix) ? model.Tokenize(suffix) : [];
        var markers = template.Layout.Count(p => p.Slot == FimTemplate.Slot.Marker) + (model.Bos is null ? 0 : 1);
        var room = Math.Max(0, maxTokens - markers);

        var truncated = prefixTokens.Length + suffixTokens.Length > room;
        var keepSuffix = suffixTokens.Length;
        var keepPrefix = prefixTokens.Length;
        if (truncated)
        {
            keepSuffix = Math.Min(suffixTokens.Length, Math.Max(room / 4, room - prefixTokens.Length));
            keepPrefix = Math.Min(prefixTokens.Length, room - keepSuffix);
            // Drop whole steps of the oldest prefix tokens: a cut that moved with every keystroke would change the
            // prompt's first tokens each time and leave nothing of the KV cache to reuse.
            var step = Math.Clamp(room / 4, 1, TruncationStep);
            var drop = prefixTokens.Length - keepPrefix;
            drop = Math.Min(prefixTokens.Length, (drop + step - 1) / step * step);
            keepPrefix = prefixTokens.Length - drop;
        }
        var keptPrefix = prefixTokens.AsSpan(prefixTokens.Length - keepPrefix);
        var keptSuffix = suffixTokens.AsSpan(0, keepSuffix);

        var tokens = new List<int>(markers + keepPrefix + keepSuffix);
        if (model.Bos is { } bos) tokens.Add(bos);
        foreach (var piece in template.Layout)
        {
            switch (piece.Slot)
            {
                case FimTemplate.Slot.Prefix:
                    foreach (var t in keptPrefix) tokens.Add((int)t);
                    break;
                case FimTemplate.Slot.Suffix:
                    foreach (var t in keptSuffix) tokens.Add((int)t);
                    break;
                default:
                    tokens.Add(model.SpecialToken(piece.Marker!) ?? throw new InvalidOperationException($"Marker {piece.Marker} vanished from the vocabulary."));
                    break;
            }
        }

        var rendered = truncated
            ? template.Render(TokenText.Decode(model, keptPrefix), TokenText.Decode(model, keptSuffix))
            : template.Render(prefix, template.Family == FimFamily.None ? "" : suffix);
        return new FimPrompt(tokens, rendered, template.Family, keepPrefix, keepSuffix, truncated);
    }
}
