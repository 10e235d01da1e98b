using Microsoft.CodeAnalysis.CSharp;

namespace Atlas.Lsp.Bench.Quality;

/// <summary>
/// How close a suggestion's first line came to what the repository has after the cursor. Trailing whitespace is
/// ignored on both sides; leading whitespace counts (the suggestion starts at the cursor).
/// </summary>
internal static class Scores
{
    /// <summary>The first line of a suggestion (empty when there is none), trailing whitespace trimmed.</summary>
    public static string FirstLine(string? suggestion)
    {
        if (suggestion is null) return "";
        var end = suggestion.IndexOf('\n');
        return (end < 0 ? suggestion : suggestion[..end]).TrimEnd();
    }

    public static bool Exact(string? suggestion, string expected) => suggestion is not null && FirstLine(suggestion) == expected.TrimEnd();

    /// <summary>
    /// Whether the suggestion starts with the same C# token as the expected text: the first thing a user reads, and
    /// where the model's word-fragment starts go wrong.
    /// </summary>
    public static bool FirstToken(string? suggestion, string expected)
    {
        if (suggestion is null) return false;
        var want = FirstTokenOf(expected);
        return want.Length > 0 && want == FirstTokenOf(FirstLine(suggestion));
    }

    /// <summary>
    /// How many of the suggestion's lines, from the first, are the lines the file has from the cursor on (trailing
    /// whitespace ignored): the lines a user accepting all of it gets right.
    /// </summary>
    public static int LinesRight(string? suggestion, string truth)
    {
        if (suggestion is null) return 0;
        var wanted = truth.Split('\n');
        var lines = suggestion.Split('\n');
        var right = 0;
        while (right < lines.Length && right < wanted.Length && lines[right].TrimEnd() == wanted[right].TrimEnd()) right++;
        return right;
    }

    /// <summary>Every line of the suggestion is the file's: accepting all of it writes what the file has.</summary>
    public static bool WhollyRight(string? suggestion, string truth) =>
        suggestion is not null && LinesRight(suggestion, truth) == suggestion.Split('\n').Length;

    private static string FirstTokenOf(string text) =>
        SyntaxFactory.ParseTokens(text).FirstOrDefault() is var token && token.RawKind != (int)SyntaxKind.EndOfFileToken ? token.Text : "";

    /// <summary>1 − Levenshtein distance / the longer length, on first lines (1: equal; an empty answer scores 0 unless nothing was expected).</summary>
    public static double EditSimilarity(string? suggestion, string expected)
    {
        var a = FirstLine(suggestion);
        var b = expected.TrimEnd();
        var longer = Math.Max(a.Length, b.Length);
        return longer == 0 ? 1 : 1 - (double)Levenshtein(a, b) / longer;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
