using Atlas.Documents;

namespace Atlas.Completion;

/// <summary>The text around the cursor that a prompt is built from.</summary>
public sealed record PromptPieces(string Prefix, string Suffix);

/// <summary>
/// The one seam where a document and a position become prompt text. The default takes a bounded window of the
/// document around the cursor (a 20 MB file must not become a 20 MB prompt); a repository-aware builder replaces it.
/// </summary>
public interface IPromptSource
{
    PromptPieces Build(TextDocument document, int offset);
}

/// <summary>The document's own text around the cursor, at most so many characters each side.</summary>
public sealed class PromptWindow(int maxPrefixChars = PromptWindow.DefaultPrefixChars, int maxSuffixChars = PromptWindow.DefaultSuffixChars) : IPromptSource
{
    /// <summary>About 4,000 tokens of code before the cursor.</summary>
    public const int DefaultPrefixChars = 16_000;

    /// <summary>About 1,000 tokens after it: the suffix is decoded again on every keystroke, so it stays short.</summary>
    public const int DefaultSuffixChars = 4_000;

    public PromptPieces Build(TextDocument document, int offset)
    {
        var text = document.Text;
        var start = LineStartAtOrAfter(text, Math.Max(0, offset - maxPrefixChars), offset);
        var end = LineEndAtOrBefore(text, Math.Min(text.Length, offset + maxSuffixChars), offset);
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
        if (index == text.Length) return index;
        var newline = text.LastIndexOf('\n', index - 1, index - limit);
        return newline < 0 ? index : newline + 1;
    }
}
