using System.Collections.Concurrent;
using Atlas.Context.CSharp;
using Atlas.Fixes.Targets;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TextDocument = Atlas.Documents.TextDocument;

namespace Atlas.Fixes.Verification;

/// <summary>
/// Keeps inline C# suggestions from breaking the file: a suggestion that brings a syntax error the document did
/// not have without it (errors matched by id and message) is cut back, line by line, to its longest prefix that
/// does not, or dropped. Errors the suggestion fixes (the "; expected" of a half-typed line) are welcome.
/// Parsing is incremental: the guard keeps each open document's last syntax tree and hands Roslyn only the span
/// that changed since, so a check costs a few milliseconds even in a long file.
/// </summary>
public sealed class CompletionSyntaxGuard
{
    /// <summary>Documents whose trees are kept; beyond this the oldest is parsed afresh next time.</summary>
    private const int MostDocuments = 16;

    private readonly ConcurrentDictionary<string, (string Text, SyntaxTree Tree)> _trees = new(StringComparer.Ordinal);

    /// <summary>
    /// The server's check for every suggestion (see Atlas.Completion's SuggestionCheck): other languages pass
    /// unchanged, C# is guarded.
    /// </summary>
    public string? Check(TextDocument document, int offset, int replacedLength, string suggestion, CancellationToken cancellationToken) =>
        FixTarget.IsCSharp(document) ? Clean(TreeOf(document, cancellationToken), offset, replacedLength, suggestion, cancellationToken) : suggestion;

    /// <summary>Forgets a closed document's tree.</summary>
    public void Forget(string uri) => _trees.TryRemove(uri, out _);

    /// <summary>
    /// The suggestion (replacing <paramref name="replacedLength"/> characters at <paramref name="offset"/>), its longest
    /// clean prefix (whole lines), or null when even its first line breaks the file.
    /// </summary>
    public static string? Clean(SyntaxTree tree, int offset, int replacedLength, string suggestion, CancellationToken cancellationToken = default)
    {
        var baseline = Errors(tree, cancellationToken);
        var text = tree.GetText(cancellationToken);
        foreach (var candidate in LinePrefixes(suggestion))
        {
            var changed = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(offset, replacedLength), candidate)));
            if (!BringsNewError(baseline, Errors(changed, cancellationToken))) return candidate;
        }
        return null;
    }

    /// <summary>Parses a document's text, for checking several suggestions against it.</summary>
    public static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest));

    /// <summary>
    /// The document's syntax tree, reparsed incrementally from the last one: the edit between the two texts is the
    /// span between their common prefix and common suffix, which is all a keystroke changes.
    /// </summary>
    private SyntaxTree TreeOf(TextDocument document, CancellationToken cancellationToken)
    {
        var text = document.Text;
        SyntaxTree tree;
        if (_trees.TryGetValue(document.Uri, out var last))
        {
            tree = ReferenceEquals(last.Text, text) || last.Text == text
                ? last.Tree
                : last.Tree.WithChangedText(TextDifference.Edited(last.Tree.GetText(cancellationToken), last.Text, text));
        }
        else
        {
            if (_trees.Count >= MostDocuments) _trees.Clear();
            tree = Parse(text);
        }
        _trees[document.Uri] = (text, tree);
        return tree;
    }

    private static bool BringsNewError(List<(string, string)> before, List<(string, string)> after)
    {
        var unmatched = before.GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
        foreach (var error in after)
        {
            if (!unmatched.TryGetValue(error, out var n) || n == 0) return true;
            unmatched[error] = n - 1;
        }
        return false;
    }

    private static List<(string, string)> Errors(SyntaxTree tree, CancellationToken cancellationToken) =>
        [.. tree.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => (d.Id, d.GetMessage()))];

    /// <summary>The whole suggestion, then each shorter prefix that ends at a line end.</summary>
    private static IEnumerable<string> LinePrefixes(string suggestion)
    {
        yield return suggestion;
        for (var end = suggestion.LastIndexOf('\n'); end > 0; end = suggestion.LastIndexOf('\n', end - 1))
        {
            var prefix = suggestion[..end].TrimEnd();
            if (prefix.Length > 0) yield return prefix;
        }
    }
}
