namespace Atlas.TestModels;

/// <summary>
/// One family's fill-in-the-middle tokens, spelled exactly as the real models' vocabularies spell them. A null
/// entry means the family has no such token. <see cref="EndOfText"/> is the token the model ends an infill with.
/// </summary>
public sealed record FimTokenTexts(
    FimTokens Family,
    string Prefix,
    string Suffix,
    string Middle,
    string? Pad = null,
    string? RepoName = null,
    string? FileSeparator = null,
    string? EndOfText = null)
{
    /// <summary>
    /// The tokens in the order they are appended to the donor's vocabulary, each with the tokenizer.ggml metadata
    /// key that tells llama.cpp its role.
    /// </summary>
    public IReadOnlyList<(string Text, string MetadataKey)> Added
    {
        get
        {
            var added = new List<(string, string)>
            {
                (Prefix, FimVocabulary.PrefixKey),
                (Suffix, FimVocabulary.SuffixKey),
                (Middle, FimVocabulary.MiddleKey),
            };
            if (Pad is not null) added.Add((Pad, FimVocabulary.PadKey));
            if (RepoName is not null) added.Add((RepoName, FimVocabulary.RepoKey));
            if (FileSeparator is not null) added.Add((FileSeparator, FimVocabulary.FileSeparatorKey));
            if (EndOfText is not null) added.Add((EndOfText, FimVocabulary.EndOfTextKey));
            return added;
        }
    }
}

/// <summary>The table of every family's FIM token texts: the one place a synthetic model's markers are spelled.</summary>
public static class FimVocabulary
{
    public const string PrefixKey = "tokenizer.ggml.fim_pre_token_id";
    public const string SuffixKey = "tokenizer.ggml.fim_suf_token_id";
    public const string MiddleKey = "tokenizer.ggml.fim_mid_token_id";
    public const string PadKey = "tokenizer.ggml.fim_pad_token_id";
    public const string RepoKey = "tokenizer.ggml.fim_rep_token_id";
    public const string FileSeparatorKey = "tokenizer.ggml.fim_sep_token_id";
    public const string EndOfTextKey = "tokenizer.ggml.eot_token_id";

    public static readonly FimTokenTexts Qwen = new(FimTokens.Qwen,
        "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|endoftext|>");

    public static readonly FimTokenTexts StarCoder = new(FimTokens.StarCoder,
        "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<repo_name>", "<file_sep>", "<|endoftext|>");

    // CodeLlama's SentencePiece vocabulary spells its markers with the word-start mark U+2581.
    public static readonly FimTokenTexts CodeLlama = new(FimTokens.CodeLlama,
        "\u2581<PRE>", "\u2581<SUF>", "\u2581<MID>", EndOfText: "\u2581<EOT>");

    // Fullwidth bars (U+FF5C) and U+2581; DeepSeek names its prefix "begin", its suffix "hole", its middle "end".
    public static readonly FimTokenTexts DeepSeek = new(FimTokens.DeepSeek,
        "<\uFF5Cfim\u2581begin\uFF5C>", "<\uFF5Cfim\u2581hole\uFF5C>", "<\uFF5Cfim\u2581end\uFF5C>", EndOfText: "<|EOT|>");

    public static readonly FimTokenTexts Codestral = new(FimTokens.Codestral, "[PREFIX]", "[SUFFIX]", "[MIDDLE]");

    public static IReadOnlyList<FimTokenTexts> All { get; } = [Qwen, StarCoder, CodeLlama, DeepSeek, Codestral];

    /// <summary>The family's texts, or null for <see cref="FimTokens.None"/>.</summary>
    public static FimTokenTexts? For(FimTokens family) => family switch
    {
        FimTokens.None => null,
        FimTokens.Qwen => Qwen,
        FimTokens.StarCoder => StarCoder,
        FimTokens.CodeLlama => CodeLlama,
        FimTokens.DeepSeek => DeepSeek,
        FimTokens.Codestral => Codestral,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
