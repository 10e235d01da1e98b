namespace Atlas.Completion;

/// <summary>
/// What the model wrote, made fit to show: trailing whitespace trimmed, the part that repeats what already follows
/// the cursor dropped, closing brackets the suffix already provides dropped, and nothing empty.
/// </summary>
public static class SuggestionCleaner
{
    /// <returns>The text to insert at the cursor, or null when nothing worth showing is left.</returns>
    public static string? Clean(string suggestion, string lineAfterCursor, string suffix)
    {
        var text = suggestion.TrimEnd();
        if (text.Length == 0) return null;

        var rest = lineAfterCursor.TrimEnd();
        // The model re-typed the rest of the line: keep only what it adds before that.
        if (rest.Length > 0 && text.EndsWith(rest, StringComparison.Ordinal))
            text = text[..^rest.Length].TrimEnd();
        else
            text = DropRepeatedSuffixLines(text, suffix);

        text = DropClosersTheSuffixHas(text, rest);
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>
    /// How many characters after the cursor the suggestion replaces: the whole rest of the line when the suggestion's
    /// first line already contains it (its characters in order, as when the model writes <c>a, b);</c> before an
    /// auto-inserted <c>)</c>), else none. Editors show such a replacement as ghost text around the existing characters,
    /// and accepting it leaves no duplicated closer behind.
    /// </summary>
    public static int ReplacedLength(string suggestion, string lineAfterCursor)
    {
        var rest = lineAfterCursor.TrimEnd();
        if (rest.Length == 0) return 0;
        var firstLine = suggestion.AsSpan(0, suggestion.IndexOf('\n') is var n and >= 0 ? n : suggestion.Length);
        var matched = 0;
        foreach (var c in firstLine)
            if (matched < rest.Length && c == rest[matched]) matched++;
        return matched == rest.Length ? lineAfterCursor.Length : 0;
    }

    /// <summary>A multi-line suggestion that runs into the code below the cursor is cut where that code starts.</summary>
    private static string DropRepeatedSuffixLines(string text, string suffix)
    {
        var next = suffix.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (next is null || next.Length < 2) return text;
        var lines = text.Split('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim() == next)
                return string.Join('\n', lines[..i]).TrimEnd();
        }
        return text;
    }

    /// <summary>
    /// Keeps brackets balanced against the rest of the line: a suggestion that closes a bracket the rest of the line
    /// will close anyway (the editor auto-inserted it) loses its trailing closers.
    /// </summary>
    private static string DropClosersTheSuffixHas(string text, string rest)
    {
        var openInSuggestion = 0;
        foreach (var c in text)
        {
            if (c is '(' or '[' or '{') openInSuggestion++;
            else if (c is ')' or ']' or '}') openInSuggestion--;
        }
        var restLeading = rest.TrimStart();
        while (openInSuggestion < 0 && text.Length > 0 && restLeading.Length > 0 && text[^1] == restLeading[0] && text[^1] is ')' or ']' or '}')
        {
            text = text[..^1];
            restLeading = restLeading[1..];
            openInSuggestion++;
        }
        return text;
    }
}
