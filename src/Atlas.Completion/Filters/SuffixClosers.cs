namespace Atlas.Completion.Filters;

/// <summary>
/// A suggestion that ends with closing lines the code below the cursor starts with loses them (Tabby's
/// removeDuplicatedBlockClosingLine): accepting it would close the block twice. Same text at the same indentation
/// only, and only closers of blocks opened before the suggestion: a block the suggestion opens needs its own.
/// </summary>
public static class SuffixClosers
{
    /// <returns>The suggestion without the closing lines the suffix has (possibly empty), or as it was.</returns>
    public static string Drop(string text, CursorSurroundings around)
    {
        // With code after the cursor on its line, the suggestion's last line is followed by that code, not by the line below.
        if (!CodeLine.IsBlank(around.LineAfter)) return text;
        var lines = text.Split('\n');
        // The first line stands after the text before the cursor: compare it as the whole line will read.
        var whole = lines.Select((l, i) => i == 0 ? around.LineBefore + l : l).ToArray();
        var closing = 0;
        while (closing < whole.Length && CodeLine.IsClosing(whole[^(closing + 1)])) closing++;
        if (closing == 0) return text;

        var below = around.LinesBelow.Take(closing).ToList();
        for (var count = Math.Min(closing, below.Count); count > 0; count--)
        {
            if (!whole[^count..].Select(l => l.TrimEnd()).SequenceEqual(below.Take(count))) continue;
            var kept = string.Join('\n', lines[..^count]).TrimEnd();
            var (round, square, curly) = CodeLine.Balance(kept);
            // What is kept must not leave open a bracket it opened: then the dropped closers were its own.
            return round > 0 || square > 0 || curly > 0 ? text : kept;
        }
        return text;
    }
}
