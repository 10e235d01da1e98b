using Atlas.Completion.Filters;

namespace Atlas.Completion;

/// <summary>One thing the cleaner cut, for the log and the benchmark: which step, from how many chars to how many, and why.</summary>
public sealed record SuggestionCut(string Step, int FromChars, int ToChars, string Reason);

/// <summary>What the cleaner made of the model's text: the text to show (null: nothing), and each cut it made, in order.</summary>
public sealed record CleanedSuggestion(string? Text, IReadOnlyList<SuggestionCut> Cuts)
{
    /// <summary>
    /// The cuts in one clause for the log's line per answer, e.g. "the cleaner cut it from 240 to 61 chars (scope:
    /// the code left the indentation scope of the cursor's line, 240→96; …)"; null when nothing was cut.
    /// </summary>
    public string? Why(string modelText)
    {
        if (Cuts.Count == 0) return null;
        var from = modelText.TrimEnd().Length;
        var steps = string.Join("; ", Cuts.Select(c => Cuts.Count == 1 ? c.Reason : $"{c.Step}: {c.Reason}, {c.FromChars}→{c.ToChars}"));
        return Text is null ? $"the cleaner dropped all {from} chars ({steps})" : $"the cleaner cut it from {from} to {Text.Length} chars ({steps})";
    }
}

/// <summary>
/// What the model wrote, made fit to show: trailing whitespace trimmed, the part that repeats what already follows
/// the cursor dropped, closing brackets the suffix already provides dropped, then the chosen
/// <see cref="MultiLineFilters"/>, and nothing empty.
/// </summary>
public static class SuggestionCleaner
{
    private const string RepeatsTheCode = "the rest repeats the code after the cursor";

    /// <returns>The text to insert at the cursor, or null when nothing worth showing is left (no multi-line filters).</returns>
    public static string? Clean(string suggestion, string lineAfterCursor, string suffix) =>
        Clean(suggestion, new CursorSurroundings("", lineAfterCursor, suffix), MultiLineFilters.None).Text;

    /// <summary>Cleans the model's text for the cursor <paramref name="around"/>, with the given filters, saying what each step cut.</summary>
    public static CleanedSuggestion Clean(string suggestion, CursorSurroundings around, MultiLineFilters filters)
    {
        var cuts = new List<SuggestionCut>();
        var text = suggestion.TrimEnd();
        string Step(string step, string reason, string after)
        {
            if (after.Length < text.Length) cuts.Add(new SuggestionCut(step, text.Length, after.Length, reason));
            return after;
        }

        var rest = around.LineAfter.TrimEnd();
        // The model re-typed the rest of the line: keep only what it adds before that.
        if (rest.Length > 0 && text.EndsWith(rest, StringComparison.Ordinal))
            text = Step("rest of line", RepeatsTheCode, text[..^rest.Length].TrimEnd());
        else
            text = Step("code below", RepeatsTheCode, DropRepeatedSuffixLines(text, around.Suffix));
        text = Step("closers", "the line after the cursor closes those brackets", DropClosersTheSuffixHas(text, rest));

        if (filters.HasFlag(MultiLineFilters.IndentationScope))
            text = Step("scope", "the code below it leaves the cursor line's indentation scope", IndentationScope.Limit(text, around));
        if (filters.HasFlag(MultiLineFilters.Repetition))
            text = Step("repetition", "the model loops on the lines after it", RepetitionLoop.Drop(text));
        if (filters.HasFlag(MultiLineFilters.SuffixCloser))
            text = Step("closer", "the code below the cursor has its closing lines", SuffixClosers.Drop(text, around));

        return new CleanedSuggestion(string.IsNullOrWhiteSpace(text) ? null : text, cuts);
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
