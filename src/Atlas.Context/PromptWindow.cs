using Atlas.Documents;
using Atlas.Engine;

namespace Atlas.Context;

/// <summary>
/// The text a prompt is built from: around the cursor, and from the rest of the repository (most relevant first),
/// with what the engine needs to lay the repository part out in the model family's format.
/// </summary>
public sealed record PromptPieces(string Prefix, string Suffix)
{
    public IReadOnlyList<ContextFile> Context { get; init; } = [];
    public string? FilePath { get; init; }
    public string? RepositoryName { get; init; }
    public string CommentMarker { get; init; } = "//";

    /// <summary>The words the completion may begin with, where the language knows them (null: any).</summary>
    public StartWords? StartWords { get; init; }
}

/// <summary>
/// The one seam where a document and a position become prompt text. The default takes a bounded window of the
/// document around the cursor (a 20 MB file must not become a 20 MB prompt); a repository-aware builder replaces it.
/// </summary>
public interface IPromptSource
{
    Task<PromptPieces> BuildAsync(TextDocument document, int offset, CancellationToken cancellationToken);
}

/// <summary>The document's own text around the cursor, at most so many characters each side.</summary>
public sealed class PromptWindow(int maxPrefixChars = PromptWindow.DefaultPrefixChars, int maxSuffixChars = PromptWindow.DefaultSuffixChars) : IPromptSource
{
    /// <summary>About 4,000 tokens of code before the cursor.</summary>
    public const int DefaultPrefixChars = 16_000;

    /// <summary>About 1,000 tokens after it: the suffix is decoded again on every keystroke, so it stays short.</summary>
    public const int DefaultSuffixChars = 4_000;

    /// <summary>Window edges move in steps of this many characters, not with every keystroke.</summary>
    public const int Grid = 1024;

    public Task<PromptPieces> BuildAsync(TextDocument document, int offset, CancellationToken cancellationToken) => Task.FromResult(Build(document, offset));

    public PromptPieces Build(TextDocument document, int offset)
    {
        var text = document.Text;
        // An edge that moved with each keystroke would change the prompt's first tokens every time and throw away
        // the whole KV cache; snapped to a grid, the start stays put while the user types, and only the tail changes.
        var grid = Math.Clamp(maxPrefixChars / 4, 1, Grid);
        var earliest = offset - maxPrefixChars;
        var start = earliest <= 0 ? 0 : LineStartAtOrAfter(text, Math.Min(offset, (earliest + grid - 1) / grid * grid), offset);
        grid = Math.Clamp(maxSuffixChars / 4, 1, Grid);
        var latest = offset + maxSuffixChars;
        var end = latest >= text.Length ? text.Length : LineEndAtOrBefore(text, Math.Max(offset, latest / grid * grid), offset);
        return new PromptPieces(text[start..offset], text[offset..end]);
    }

    // Windows are cut at line boundaries so the model never sees half a line at an edge.
    private static int LineStartAtOrAfter(string text, int index, int limit)
    {
        if (index == 0) return 0;
        var newline = text.IndexOf('\n', index, limit - index);
        return newline < 0 ? index : newline + 1;
    }

    private static int LineEndAtOrBefore(string text, int index, int limit)
    {
        if (index == text.Length || index == limit) return index;
        var newline = text.LastIndexOf('\n', index - 1, index - limit);
        return newline < 0 ? index : newline + 1;
    }
}
