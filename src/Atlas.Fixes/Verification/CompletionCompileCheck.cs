using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Fixes.Verification;

/// <summary>
/// Whether inline C# candidates bring compile errors, for ordering the candidates of an explicit request (see
/// Atlas.Completion's CompileCheck): each is inserted alone into the file's Roslyn document and the member around it
/// is bound, as the fix verifier binds, before and after; an error the original did not have there (matched by id and
/// message) is new. The errors of a half-typed line that a candidate completes away are welcome. The check keeps to
/// a time budget: candidates it has not judged by then stay unknown, and keep the model's order.
/// </summary>
public static class CompletionCompileCheck
{
    /// <summary>
    /// Time for the whole check of one request's candidates. Binding a member takes tens of milliseconds in a warm
    /// repository view; the first bind after an edit can take longer, and the user is waiting for the list.
    /// </summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromMilliseconds(750);

    /// <summary>For each candidate (text replacing ReplacedLength characters at <paramref name="offset"/>), whether it brings a new compile error; null where time ran out.</summary>
    public static async Task<IReadOnlyList<bool?>> NewErrorsAsync(Document document, int offset, IReadOnlyList<(string Text, int ReplacedLength)> candidates, TimeSpan budget, CancellationToken cancellationToken)
    {
        var results = new bool?[candidates.Count];
        using var time = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        time.CancelAfter(budget);
        try
        {
            var text = await document.GetTextAsync(time.Token);
            var root = await document.GetSyntaxRootAsync(time.Token) ?? throw new InvalidOperationException("No syntax tree for a C# document.");
            var member = CSharpFixVerifier.Scope(root, new TextSpan(offset, 0));
            // Baselines by scope: the member at the cursor, or the whole file when a candidate reaches out of its member.
            var baselines = new Dictionary<bool, IReadOnlyList<Diagnostic>>();
            for (var i = 0; i < candidates.Count; i++)
            {
                var (candidate, replaced) = candidates[i];
                var changed = document.WithText(text.WithChanges(new TextChange(new TextSpan(offset, replaced), candidate)));
                var changedRoot = await changed.GetSyntaxRootAsync(time.Token) ?? throw new InvalidOperationException("No syntax tree for a C# document.");
                var scope = CSharpFixVerifier.Scope(changedRoot, new TextSpan(offset, candidate.Length));
                var wholeFile = scope == changedRoot.FullSpan;
                if (!baselines.TryGetValue(wholeFile, out var before))
                    baselines[wholeFile] = before = await CSharpFixVerifier.ErrorsAsync(document, wholeFile ? root.FullSpan : member, time.Token);
                results[i] = BringsNewError(before, await CSharpFixVerifier.ErrorsAsync(changed, scope, time.Token));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Out of time: the candidates not judged yet stay unknown.
        }
        return results;
    }

    private static bool BringsNewError(IReadOnlyList<Diagnostic> before, IReadOnlyList<Diagnostic> after)
    {
        var unmatched = before.GroupBy(CSharpFixVerifier.Key).ToDictionary(g => g.Key, g => g.Count());
        foreach (var error in after)
        {
            var key = CSharpFixVerifier.Key(error);
            if (!unmatched.TryGetValue(key, out var n) || n == 0) return true;
            unmatched[key] = n - 1;
        }
        return false;
    }
}
