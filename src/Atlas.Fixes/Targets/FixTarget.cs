using Atlas.Documents;
using Microsoft.CodeAnalysis;
using TextDocument = Atlas.Documents.TextDocument;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Fixes.Targets;

/// <summary>
/// The code a fix rewrites: the smallest whole statement or member around the problem (C#, from the syntax tree,
/// which Roslyn builds even for broken code), or the whole lines the problem touches (other languages).
/// Offsets are into the document's text; the range always covers whole lines so the model rewrites complete code.
/// </summary>
public sealed record FixTarget(int Start, int End, string Original, string Kind)
{
    public static FixTarget For(TextDocument document, TextRange problem)
    {
        var start = document.OffsetAt(problem.Start);
        var end = Math.Max(start, document.OffsetAt(problem.End));
        return IsCSharp(document) ? ForCSharp(document, start, end) : WholeLines(document, start, end, "lines");
    }

    public static bool IsCSharp(TextDocument document) =>
        document.LanguageId.Equals("csharp", StringComparison.OrdinalIgnoreCase) ||
        document.Uri.EndsWith(".cs", StringComparison.OrdinalIgnoreCase);

    private static FixTarget ForCSharp(TextDocument document, int start, int end)
    {
        var root = CSharpSyntaxTree.ParseText(document.Text).GetRoot();
        var span = TextSpan.FromBounds(start, end);
        // A zero-width diagnostic (e.g. "; expected" at a line end) belongs to the token before it.
        var node = root.FindNode(span.IsEmpty && start > 0 ? TextSpan.FromBounds(start - 1, start) : span, getInnermostNodeForTie: true);
        var enclosing = node.AncestorsAndSelf().FirstOrDefault(n =>
            (n is StatementSyntax && n is not BlockSyntax) || n is MemberDeclarationSyntax);
        if (enclosing is null) return WholeLines(document, start, end, "lines");
        var kind = enclosing is StatementSyntax ? "statement" : "member";
        // A missing token (the ";" of "; expected") sits after the line break; the code really ends at the last real token.
        var last = enclosing.GetLastToken(includeZeroWidth: false).Span.End;
        return WholeLines(document, enclosing.SpanStart, Math.Max(last, end), kind);
    }

    private static FixTarget WholeLines(TextDocument document, int start, int end, string kind)
    {
        var first = document.PositionAt(start).Line;
        var last = document.PositionAt(end).Line;
        var from = document.OffsetAt(new TextPosition(first, 0));
        var to = document.OffsetAt(new TextPosition(last, document.LineLength(last)));
        return new FixTarget(from, to, document.Text[from..to], kind);
    }
}
