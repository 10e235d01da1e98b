using Atlas.Documents;

namespace Atlas.Context.Budget;

/// <summary>
/// Cuts the text around the cursor at line boundaries to fit token budgets, keeping the lines nearest the cursor.
/// The far edges are snapped to a grid of line numbers, so they stay put while the user types on one line and the
/// prompt changes only near the cursor (which is what lets the engine reuse its KV cache).
/// </summary>
public static class LineWindow
{
    public static (string Prefix, string Suffix) Fit(TextDocument document, int offset, int prefixTokens, int suffixTokens, Func<string, int> countTokens)
    {
        var text = document.Text;
        var cursor = document.PositionAt(offset);
        var lineStart = offset - cursor.Character;
        var lastLine = document.LineCount - 1;
        var lineEnd = cursor.Line < lastLine ? document.OffsetAt(new TextPosition(cursor.Line + 1, 0)) : text.Length;

        // Prefix: whole lines above the cursor line, nearest first, while they fit.
        var used = countTokens(text[lineStart..offset]);
        var first = cursor.Line;
        while (first > 0)
        {
            var cost = countTokens(Line(document, first - 1));
            if (used + cost > prefixTokens) break;
            used += cost;
            first--;
        }
        if (first > 0) first = Math.Min(cursor.Line, (first + ContextBudget.LineStep - 1) / ContextBudget.LineStep * ContextBudget.LineStep);

        // Suffix: the rest of the cursor line, then whole lines below, while they fit.
        used = countTokens(text[offset..lineEnd]);
        var last = cursor.Line;
        while (last < lastLine)
        {
            var cost = countTokens(Line(document, last + 1));
            if (used + cost > suffixTokens) break;
            used += cost;
            last++;
        }
        if (last < lastLine) last = Math.Max(cursor.Line, last / ContextBudget.LineStep * ContextBudget.LineStep);

        var start = document.OffsetAt(new TextPosition(first, 0));
        var end = last < lastLine ? document.OffsetAt(new TextPosition(last + 1, 0)) : text.Length;
        if (last == cursor.Line) end = Math.Max(end, lineEnd);
        // One enormous line (minified code) must not become the whole prompt: cap it at a generous character count.
        start = Math.Max(start, offset - prefixTokens * MaxCharsPerToken);
        end = Math.Min(end, offset + suffixTokens * MaxCharsPerToken);
        return (text[start..offset], text[offset..end]);
    }

    /// <summary>More characters per token than real code has: a cap that only ever bites on degenerate lines.</summary>
    private const int MaxCharsPerToken = 8;

    /// <summary>A line with its line break.</summary>
    private static string Line(TextDocument document, int line)
    {
        var start = document.OffsetAt(new TextPosition(line, 0));
        var end = line + 1 < document.LineCount ? document.OffsetAt(new TextPosition(line + 1, 0)) : document.Text.Length;
        return document.Text[start..end];
    }
}
