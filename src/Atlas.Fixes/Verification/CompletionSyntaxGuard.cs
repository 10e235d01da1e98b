using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Fixes.Verification;

/// <summary>
/// Keeps inline C# suggestions from breaking the file: a suggestion that brings a syntax error the document did
/// not have without it (errors matched by id and message) is cut back, line by line, to its longest prefix that
/// does not, or dropped. Errors the suggestion fixes (the "; expected" of a half-typed line) are welcome. Parsing is
/// incremental (Roslyn reuses the unchanged tree), so a check costs well under the time of one generated token.
/// </summary>
public static class CompletionSyntaxGuard
{
    /// <summary>The suggestion, its longest clean prefix (whole lines), or null when even its first line breaks the file.</summary>
    public static string? Clean(SyntaxTree tree, int offset, string suggestion, CancellationToken cancellationToken = default)
    {
        var baseline = Errors(tree, cancellationToken);
        var text = tree.GetText(cancellationToken);
        foreach (var candidate in LinePrefixes(suggestion))
        {
            var changed = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(offset, 0), candidate)));
            if (!BringsNewError(baseline, Errors(changed, cancellationToken))) return candidate;
        }
        return null;
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

    /// <summary>Parses a document's text once, to check several suggestions against it.</summary>
    public static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest));

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
