using Atlas.Fixes.Targets;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Fixes.Verification;

/// <summary>
/// Checks a C# fix candidate by compiling it: the candidate replaces the target in an in-memory copy of the
/// document, and it is kept only if the targeted errors are gone from the rewritten code and no error appears that
/// the original did not have (errors are matched by id and message, so moved code is not counted as new).
/// Only the member around the target is bound, before and after: a statement's rewrite cannot break another
/// member's body, and binding one member instead of the file is what keeps a check in the tens of milliseconds.
/// </summary>
public static class CSharpFixVerifier
{
    /// <summary>The original's errors around the target: computed once per fix request and shared by its candidates.</summary>
    public static async Task<IReadOnlyList<Diagnostic>> BaselineAsync(Document document, FixTarget target, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken) ?? throw new InvalidOperationException("No syntax tree for a C# document.");
        return await ErrorsAsync(document, Scope(root, TextSpan.FromBounds(target.Start, target.End)), cancellationToken);
    }

    public static async Task<VerificationResult> VerifyAsync(Document document, FixTarget target, string replacement, IReadOnlyList<FixDiagnostic> targeted, CancellationToken cancellationToken) =>
        await VerifyAsync(document, await BaselineAsync(document, target, cancellationToken), target, replacement, targeted, cancellationToken);

    public static async Task<VerificationResult> VerifyAsync(Document document, IReadOnlyList<Diagnostic> before, FixTarget target, string replacement, IReadOnlyList<FixDiagnostic> targeted, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(replacement))
            return VerificationResult.Failed("empty: the candidate removes the code instead of fixing it");
        if (replacement.Trim() == target.Original.Trim())
            return VerificationResult.Failed("unchanged: the candidate is the original code");

        var text = await document.GetTextAsync(cancellationToken);
        var changed = document.WithText(text.WithChanges(new TextChange(TextSpan.FromBounds(target.Start, target.End), replacement)));
        var rewritten = TextSpan.FromBounds(target.Start, target.Start + replacement.Length);
        var root = await changed.GetSyntaxRootAsync(cancellationToken) ?? throw new InvalidOperationException("No syntax tree for a C# document.");
        var after = await ErrorsAsync(changed, Scope(root, rewritten), cancellationToken);

        foreach (var problem in targeted)
        {
            var still = after.FirstOrDefault(e => rewritten.IntersectsWith(e.Location.SourceSpan) && Same(problem, e));
            if (still is not null)
                return VerificationResult.Failed($"targeted problem still present: {still.Id} {still.GetMessage()}");
        }

        var unmatched = before.GroupBy(Key).ToDictionary(g => g.Key, g => g.Count());
        foreach (var error in after)
        {
            var key = Key(error);
            if (unmatched.TryGetValue(key, out var n) && n > 0)
            {
                unmatched[key] = n - 1;
                continue;
            }
            return VerificationResult.Failed($"new error: {error.Id} {error.GetMessage()}");
        }
        return VerificationResult.Verified;
    }

    /// <summary>The span to bind: the outermost member (method, property, field…) around the code, or the whole file outside any.</summary>
    internal static TextSpan Scope(SyntaxNode root, TextSpan span)
    {
        var node = root.FindNode(span.IsEmpty ? new TextSpan(span.Start, Math.Min(1, root.FullSpan.End - span.Start)) : span, getInnermostNodeForTie: true);
        var member = node.AncestorsAndSelf().OfType<MemberDeclarationSyntax>()
            .LastOrDefault(m => m is not BaseTypeDeclarationSyntax and not BaseNamespaceDeclarationSyntax);
        return member?.FullSpan ?? root.FullSpan;
    }

    internal static (string, string) Key(Diagnostic d) => (d.Id, d.GetMessage());

    private static bool Same(FixDiagnostic problem, Diagnostic error) =>
        problem.Code is { Length: > 0 } code ? string.Equals(code, error.Id, StringComparison.OrdinalIgnoreCase) : error.GetMessage() == problem.Message;

    internal static async Task<IReadOnlyList<Diagnostic>> ErrorsAsync(Document document, TextSpan scope, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken) ?? throw new InvalidOperationException("No semantic model for a C# document.");
        return [.. model.GetDiagnostics(scope, cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error)];
    }
}
