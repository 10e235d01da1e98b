namespace Atlas.Completion.Filters;

/// <summary>
/// A multi-line suggestion ends with the indentation scope it starts in (Tabby's limitScopeByIndentation): at the
/// first non-blank line indented less than the cursor's line, the model has left the block the user is writing in and
/// goes on writing code that is not theirs (the next member, the rest of the file). When the cursor's line opens a
/// block (the text before the cursor or the whole line ends with <c>{</c>, <c>(</c> or <c>[</c>, or the next line is
/// a lone <c>{</c>), the scope is that block:
/// its body is indented deeper and it ends at the first line back at the cursor line's depth.
/// </summary>
public static class IndentationScope
{
    /// <returns>The suggestion up to the end of its scope (trailing whitespace trimmed), or as it was.</returns>
    public static string Limit(string text, CursorSurroundings around)
    {
        var lines = text.Split('\n');
        if (lines.Length < 2) return text;
        if (ScopeIndentation(lines, around.LineBefore) is not { } scope) return text;
        var (first, opensBlock) = BlockOpened(lines, around.LineBefore, scope);
        for (var i = first; i < lines.Length; i++)
        {
            if (CodeLine.IsBlank(lines[i])) continue;
            var depth = CodeLine.Indentation(lines[i]);
            if (opensBlock ? depth > scope : depth >= scope) continue;
            // The closer of a block the cursor's line opens is part of it (a copy of it the code below already has
            // is SuffixClosers' to drop). The closer of the enclosing block belongs to the suggestion only when
            // nothing below the cursor closes it: the user is writing at the end of an unclosed block. Where the
            // code below goes on in the scope or closes it, the model's closer would end the block early or twice.
            var keep = CodeLine.IsClosing(lines[i]) && (opensBlock || ScopeIsOpenBelow(around, depth)) ? i + 1 : i;
            return string.Join('\n', lines[..keep]).TrimEnd();
        }
        return text;
    }

    /// <summary>
    /// The indentation of the cursor's line: of the text before the cursor when the line has code there, else of the
    /// first line the suggestion writes (on an empty line the model writes the indentation too).
    /// </summary>
    private static int? ScopeIndentation(string[] lines, string lineBefore)
    {
        if (!CodeLine.IsBlank(lineBefore)) return CodeLine.Indentation(lineBefore);
        if (!CodeLine.IsBlank(lineBefore + lines[0])) return CodeLine.Indentation(lineBefore + lines[0]);
        return lines.Skip(1).FirstOrDefault(l => !CodeLine.IsBlank(l)) is { } first ? CodeLine.Indentation(first) : null;
    }

    /// <summary>
    /// Whether the user is finishing a line that opens a block, and the first line that can end it (after a brace
    /// on a line of its own). On an empty line the user writes statements of the enclosing block instead, and a
    /// block the suggestion opens there stays whole: its body is deeper and its closer as deep as the line.
    /// </summary>
    private static (int First, bool OpensBlock) BlockOpened(string[] lines, string lineBefore, int scope)
    {
        if (CodeLine.IsBlank(lineBefore)) return (1, false);
        if (EndsWithOpener(lineBefore) || EndsWithOpener(lineBefore + lines[0])) return (1, true);
        var next = Array.FindIndex(lines, 1, l => !CodeLine.IsBlank(l));
        return next > 0 && lines[next].Trim() == "{" && CodeLine.Indentation(lines[next]) == scope ? (next + 1, true) : (1, false);
    }

    private static bool EndsWithOpener(string line) => line.TrimEnd() is [.., '{' or '(' or '['];

    /// <summary>Nothing below the cursor is in the scope or closes it: the code below is further out, or there is none.</summary>
    private static bool ScopeIsOpenBelow(CursorSurroundings around, int closerIndentation) =>
        around.NextLineBelow is not { } next || CodeLine.Indentation(next) < closerIndentation;
}
