using Atlas.Context.Workspace;
using Atlas.Lsp.Cli;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Bench.Quality;

/// <summary>
/// Next-line cases made from a user's own repository: lines of its C# files hidden at the cursors an editor asks at —
/// right after a member-access dot, at the start of a statement, inside an identifier — so models and settings can be
/// compared on the code they will complete. The repository is read as the server indexes it (.gitignore, binaries,
/// build outputs and large files left out); the choice of cursors is seeded, so a run can be repeated.
/// </summary>
internal static class WorkspaceCases
{
    /// <summary>Longer rests of a line are rarely one completion; shorter than this, a line end says little.</summary>
    private const int MaxExpectedChars = 120;

    public const string MemberAccess = "member-access";
    public const string Statement = "statement";
    public const string Identifier = "identifier";

    public static async Task<List<QualityCase>> MakeAsync(string folder, int count, int seed, ILogger logger, CancellationToken cancellationToken)
    {
        var index = new WorkspaceIndex(logger);
        await index.IndexAsync([folder], cancellationToken);
        var root = index.Roots.FirstOrDefault() ?? throw new UserError($"Workspace folder not found: '{folder}'.");
        var files = index.Files
            .Select(f => new CaseFile(index.Relative(f.Path).Replace('\\', '/'), f.Text))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var candidates = new Dictionary<string, List<(CaseFile File, int Line, int Character, string Expected)>>
        {
            [MemberAccess] = [],
            [Statement] = [],
            [Identifier] = [],
        };
        foreach (var file in files.Where(f => f.Path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)))
        {
            var tree = CSharpSyntaxTree.ParseText(file.Text, new CSharpParseOptions(LanguageVersion.Latest), cancellationToken: cancellationToken);
            var text = tree.GetText(cancellationToken);
            void Consider(string kind, int cursor)
            {
                var line = text.Lines.GetLineFromPosition(cursor);
                var expected = text.ToString(Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(cursor, line.End)).TrimEnd();
                if (expected.Length is 0 or > MaxExpectedChars || !expected.Any(char.IsLetterOrDigit)) return;
                candidates[kind].Add((file, line.LineNumber, cursor - line.Start, expected));
            }
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                switch (node)
                {
                    case MemberAccessExpressionSyntax access:
                        Consider(MemberAccess, access.OperatorToken.Span.End);
                        break;
                    case StatementSyntax statement and not BlockSyntax when StartsItsLine(text, statement.SpanStart):
                        Consider(Statement, statement.SpanStart);
                        break;
                    case IdentifierNameSyntax { Identifier.Text.Length: >= 4 } name:
                        Consider(Identifier, name.SpanStart + name.Identifier.Text.Length / 2);
                        break;
                }
            }
        }
        if (candidates.Values.All(c => c.Count == 0))
            throw new UserError($"No C# lines to make cases from in '{root}'.");

        // An even share per kind, each drawn at random from every file's candidates, at most one case per line.
        var random = new Random(seed);
        var taken = new HashSet<(string, int)>();
        var perKind = candidates.ToDictionary(k => k.Key, k => new Queue<(CaseFile File, int Line, int Character, string Expected)>(k.Value.OrderBy(_ => random.Next())));
        var repository = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar));
        var cases = new List<QualityCase>();
        while (cases.Count < count && perKind.Values.Any(q => q.Count > 0))
        {
            foreach (var (kind, queue) in perKind)
            {
                if (cases.Count >= count) break;
                while (queue.TryDequeue(out var c))
                {
                    if (!taken.Add((c.File.Path, c.Line))) continue;
                    cases.Add(new QualityCase($"{c.File.Path}:{c.Line + 1}:{c.Character + 1}", repository, files, c.File.Path, c.Line, c.Character, c.Expected, kind));
                    break;
                }
            }
        }
        return cases;
    }

    private static bool StartsItsLine(Microsoft.CodeAnalysis.Text.SourceText text, int position)
    {
        var line = text.Lines.GetLineFromPosition(position);
        for (var i = line.Start; i < position; i++)
            if (!char.IsWhiteSpace(text[i])) return false;
        return true;
    }
}
