namespace Atlas.Completion.Filters;

/// <summary>
/// What the cleaner needs to know about where a suggestion goes: the cursor's line on either side of it, and the text
/// after the cursor (from the cursor on, so its first line is <see cref="LineAfter"/>).
/// </summary>
public sealed record CursorSurroundings(string LineBefore, string LineAfter, string Suffix)
{
    /// <summary>From the text before the cursor and the text after it.</summary>
    public static CursorSurroundings Around(string prefix, string suffix)
    {
        var lineStart = prefix.LastIndexOf('\n') + 1;
        var lineEnd = suffix.IndexOf('\n') is var n and >= 0 ? n : suffix.Length;
        return new(prefix[lineStart..], suffix[..lineEnd].TrimEnd('\r'), suffix);
    }

    /// <summary>The first non-blank line below the cursor's line, or null when there is none.</summary>
    public string? NextLineBelow => LinesBelow.FirstOrDefault();

    /// <summary>The non-blank lines below the cursor's line, in order (trailing whitespace trimmed).</summary>
    public IEnumerable<string> LinesBelow
    {
        get
        {
            var start = Suffix.IndexOf('\n');
            if (start < 0) yield break;
            foreach (var line in Suffix[(start + 1)..].Split('\n'))
                if (!CodeLine.IsBlank(line)) yield return line.TrimEnd();
        }
    }
}
