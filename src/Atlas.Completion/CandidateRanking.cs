using Atlas.Documents;

namespace Atlas.Completion;

/// <summary>
/// A language's compile check of candidates, each inserted alone at <paramref name="offset"/> in place of its
/// ReplacedLength characters: for each, whether it brings a compile error the document did not have (null: not known,
/// as when the check ran out of time). Null for all when the language has no such check or the file does not bind.
/// </summary>
public delegate Task<IReadOnlyList<bool?>?> CompileCheck(TextDocument document, int offset, IReadOnlyList<(string Text, int ReplacedLength)> candidates, CancellationToken cancellationToken);

/// <summary>
/// One of the suggestions for an explicit request, as shown: its text replacing <see cref="ReplacedLength"/> characters
/// at the cursor, its place in the model's own order (0: the greedy answer, the one an automatic request shows), and
/// what the language's checks found.
/// </summary>
public sealed record Candidate(string Text, int ReplacedLength, int ModelRank)
{
    /// <summary>What the cleaner made of the model's text, before the language's syntax check.</summary>
    public required string CleanedText { get; init; }

    /// <summary>The syntax check let it through whole (it adds no syntax error); false when it cut it to a prefix that does not.</summary>
    public bool SyntaxWhole => Text == CleanedText;

    /// <summary>Whether it brings a new compile error; null where that is not known (not C#, the file does not bind, no time).</summary>
    public bool? NewCompileError { get; init; }
}

/// <summary>
/// How the candidates of an explicit request are ordered: those the syntax check left whole before those it had to
/// cut, then, where the file binds, those that bring no new compile error before those that do, then the model's own
/// order. The model ranks by its own odds, token by token; the language knows whether the code holds together.
/// </summary>
public static class CandidateRanking
{
    /// <summary>
    /// The candidates to show, best first: each cleaned text (in the model's order) through the language's syntax check,
    /// those that show nothing or the same as one before them left out, then the compile check on what is left.
    /// </summary>
    public static async Task<IReadOnlyList<Candidate>> RankAsync(TextDocument document, int offset, IReadOnlyList<string?> cleaned, SuggestionCheck? syntax, CompileCheck? compile, CancellationToken cancellationToken)
    {
        var after = LineAfter(document, offset);
        var shown = new List<Candidate>();
        for (var rank = 0; rank < cleaned.Count; rank++)
        {
            if (cleaned[rank] is not { } text) continue;
            var replaced = SuggestionCleaner.ReplacedLength(text, after);
            var checkedText = syntax is null ? text : syntax(document, offset, replaced, text, cancellationToken);
            // The check cuts at line ends, so what it keeps replaces what the whole text did (that rests on the first line).
            if (checkedText is null || shown.Exists(c => c.Text == checkedText)) continue;
            shown.Add(new Candidate(checkedText, replaced, rank) { CleanedText = text });
        }
        if (compile is not null && shown.Count > 1 && await compile(document, offset, [.. shown.Select(c => (c.Text, c.ReplacedLength))], cancellationToken) is { } errors)
            shown = [.. shown.Select((c, i) => c with { NewCompileError = errors[i] })];
        return Order(shown);
    }

    /// <summary>The ordering itself: syntax kept whole, then no new compile error (unknown counts as none), then the model's order.</summary>
    public static IReadOnlyList<Candidate> Order(IEnumerable<Candidate> candidates) =>
        [.. candidates.OrderBy(c => c.SyntaxWhole ? 0 : 1).ThenBy(c => c.NewCompileError == true ? 1 : 0).ThenBy(c => c.ModelRank)];

    /// <summary>The rest of the cursor's line, as the cleaner and the replaced range see it.</summary>
    public static string LineAfter(TextDocument document, int offset)
    {
        var position = document.PositionAt(offset);
        return document.LineText(position.Line)[position.Character..];
    }
}
