using System.Collections.Frozen;

namespace Atlas.Engine.Prompting;

/// <summary>
/// The single owner of every model family's fill-in-the-middle format: which marker tokens identify the family,
/// in which order prefix and suffix are laid out, which tokens end a completion, and which tokens (if any) mark
/// repository context. Nothing else in Atlas spells out a FIM marker.
/// </summary>
public sealed record FimTemplate
{
    /// <summary>One piece of a FIM layout: a marker token, or the prefix or suffix text.</summary>
    public enum Slot { Marker, Prefix, Suffix }

    public readonly record struct Piece(Slot Slot, string? Marker = null)
    {
        public static Piece Mark(string text) => new(Slot.Marker, text);
        public static readonly Piece PrefixText = new(Slot.Prefix);
        public static readonly Piece SuffixText = new(Slot.Suffix);
    }

    public required FimFamily Family { get; init; }

    /// <summary>The three markers whose presence in the vocabulary identifies the family (prefix, suffix, middle).</summary>
    public required (string Prefix, string Suffix, string Middle) Markers { get; init; }

    /// <summary>The layout of the prompt, marker by marker; BOS is added separately when the vocabulary asks for it.</summary>
    public required IReadOnlyList<Piece> Layout { get; init; }

    /// <summary>Marker tokens that end a completion besides the vocabulary's own end-of-generation tokens.</summary>
    public required IReadOnlyList<string> StopMarkers { get; init; }

    /// <summary>Repository-level markers (repo name, file separator) when the family was trained with them.</summary>
    public (string RepoName, string FileSeparator)? RepositoryMarkers { get; init; }

    /// <summary>Plain prefix completion for models with no FIM tokens.</summary>
    public static readonly FimTemplate PrefixOnly = new()
    {
        Family = FimFamily.None,
        Markers = ("", "", ""),
        Layout = [Piece.PrefixText],
        StopMarkers = [],
    };

    /// <summary>Every known family, in detection order (the first whose markers are all in the vocabulary wins).</summary>
    public static readonly IReadOnlyList<FimTemplate> Known =
    [
        new()
        {
            Family = FimFamily.Qwen,
            Markers = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
            Layout = [Piece.Mark("<|fim_prefix|>"), Piece.PrefixText, Piece.Mark("<|fim_suffix|>"), Piece.SuffixText, Piece.Mark("<|fim_middle|>")],
            StopMarkers = ["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|im_end|>", "<|file_separator|>"],
            RepositoryMarkers = ("<|repo_name|>", "<|file_sep|>"),
        },
        new()
        {
            Family = FimFamily.StarCoder,
            Markers = ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
            Layout = [Piece.Mark("<fim_prefix>"), Piece.PrefixText, Piece.Mark("<fim_suffix>"), Piece.SuffixText, Piece.Mark("<fim_middle>")],
            StopMarkers = ["<|endoftext|>", "<fim_pad>", "<file_sep>", "<repo_name>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"],
            RepositoryMarkers = ("<repo_name>", "<file_sep>"),
        },
        new()
        {
            Family = FimFamily.CodeLlama,
            Markers = ("▁<PRE>", "▁<SUF>", "▁<MID>"),
            Layout = [Piece.Mark("▁<PRE>"), Piece.PrefixText, Piece.Mark("▁<SUF>"), Piece.SuffixText, Piece.Mark("▁<MID>")],
            StopMarkers = ["▁<EOT>", "▁<PRE>", "▁<SUF>", "▁<MID>"],
        },
        new()
        {
            Family = FimFamily.DeepSeek,
            Markers = ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
            Layout = [Piece.Mark("<｜fim▁begin｜>"), Piece.PrefixText, Piece.Mark("<｜fim▁hole｜>"), Piece.SuffixText, Piece.Mark("<｜fim▁end｜>")],
            StopMarkers = ["<|EOT|>", "<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"],
        },
        new()
        {
            Family = FimFamily.Codestral,
            Markers = ("[PREFIX]", "[SUFFIX]", "[MIDDLE]"),
            // Codestral was trained suffix-first: [SUFFIX]suffix[PREFIX]prefix, and the middle follows directly.
            Layout = [Piece.Mark("[SUFFIX]"), Piece.SuffixText, Piece.Mark("[PREFIX]"), Piece.PrefixText],
            StopMarkers = ["[PREFIX]", "[SUFFIX]", "[MIDDLE]"],
        },
    ];

    /// <summary>
    /// Picks the family whose prefix, suffix and middle markers all exist in the vocabulary;
    /// <see cref="PrefixOnly"/> when none does.
    /// </summary>
    public static FimTemplate Detect(IReadOnlyDictionary<string, int> specialTokens)
    {
        foreach (var template in Known)
        {
            var (p, s, m) = template.Markers;
            if (specialTokens.ContainsKey(p) && specialTokens.ContainsKey(s) && specialTokens.ContainsKey(m))
                return template;
        }
        return PrefixOnly;
    }

    /// <summary>Every marker text the family uses, for resolving to token ids once at load.</summary>
    public IEnumerable<string> AllMarkerTexts()
    {
        foreach (var piece in Layout)
            if (piece.Marker is not null) yield return piece.Marker;
        foreach (var stop in StopMarkers) yield return stop;
        if (RepositoryMarkers is { } repo)
        {
            yield return repo.RepoName;
            yield return repo.FileSeparator;
        }
    }

    /// <summary>
    /// The prompt as text, markers written out: what a person reads in `atlas-lsp prompt` and what tests pin down.
    /// Code Llama's markers are shown without their sentencepiece word-boundary sign.
    /// </summary>
    public string Render(string prefix, string suffix)
    {
        var text = new System.Text.StringBuilder(prefix.Length + suffix.Length + 64);
        foreach (var piece in Layout)
        {
            text.Append(piece.Slot switch
            {
                Slot.Prefix => prefix,
                Slot.Suffix => suffix,
                _ => DisplayMarker(piece.Marker!),
            });
        }
        return text.ToString();
    }

    /// <summary>A marker as a person writes it (Code Llama's "▁&lt;PRE&gt;" is "&lt;PRE&gt;").</summary>
    public static string DisplayMarker(string marker) => marker.StartsWith('▁') ? marker[1..] : marker;

    internal static FrozenSet<string> AllKnownMarkerTexts { get; } =
        Known.SelectMany(t => t.AllMarkerTexts()).ToFrozenSet(StringComparer.Ordinal);
}
